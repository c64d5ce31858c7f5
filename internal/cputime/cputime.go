//go:build unix

// Package cputime reads the CPU time the process has used. Benchmarks report
// it next to wall time because the machines here are shared: wall time then
// measures the contention, CPU time (summed over threads) the work.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user+system CPU time of the whole process so far, or
// 0 if the system cannot tell.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
