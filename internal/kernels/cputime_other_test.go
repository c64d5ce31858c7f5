//go:build !unix

package kernels

import "time"

// cpuNow is unavailable here; the CPU-time metrics then read 0.
func cpuNow() time.Duration { return 0 }
