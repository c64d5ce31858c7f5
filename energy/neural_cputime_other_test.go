//go:build !unix

package energy

import "time"

func nnCPUTime() time.Duration { return 0 }
