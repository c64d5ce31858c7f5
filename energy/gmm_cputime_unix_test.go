//go:build unix

package energy

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of the whole process. The
// benchmarks report it per operation next to wall time because this
// machine's cores are shared: wall time then measures the contention, CPU
// time (summed over threads) the work.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
