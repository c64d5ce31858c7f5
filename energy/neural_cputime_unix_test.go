//go:build unix

package energy

import (
	"syscall"
	"time"
)

// nnCPUTime is the process's user+system CPU time: on a machine shared
// with other jobs it tracks the work done far better than wall time.
func nnCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
