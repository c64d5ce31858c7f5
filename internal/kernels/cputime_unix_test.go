//go:build unix

package kernels

import (
	"syscall"
	"time"
)

// cpuNow is the process's CPU time (user + system). The benchmarks report
// per-operation CPU time next to wall time because a shared machine
// deschedules them: CPU time then still measures the kernel itself.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
