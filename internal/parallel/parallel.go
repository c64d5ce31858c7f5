// Package parallel is the one worker pool of the module. Every parallel
// loop in the libraries goes through it, with an explicit thread count taken
// from the caller's options, so that no library reads or sets GOMAXPROCS and
// every package keeps the same determinism contract:
//
// the work is split into tasks whose boundaries depend only on the problem
// size (and, where a package says so, on the thread count), each task writes
// only storage it owns, and partial results are reduced in task order by the
// caller. Which goroutine ran which task then never changes a result.
package parallel

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Threads returns the number of goroutines a thread setting asks for: n
// when it is positive, else the number of logical CPUs (a property of the
// machine, not of the scheduler settings, so that a library's default does
// not change when a program tunes GOMAXPROCS).
func Threads(n int) int {
	if n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// For calls fn(worker, task) for every task in [0, tasks) on
// min(Threads(threads), tasks) goroutines. Workers take the next task as
// they become free, which balances uneven tasks; worker is in
// [0, workers) and lets fn use per-worker scratch space. With one worker
// everything runs on the calling goroutine.
//
// For returns the error of the lowest-numbered task that failed; once a
// task has failed or ctx has ended no new task starts. If ctx ended before
// every task ran and no task failed, it returns ctx.Err().
func For(ctx context.Context, threads, tasks int, fn func(worker, task int) error) error {
	if tasks <= 0 {
		return ctx.Err()
	}
	workers := Workers(threads, tasks)
	if workers == 1 {
		for t := range tasks {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(0, t); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, tasks)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil {
				t := int(next.Add(1) - 1)
				if t >= tasks {
					return
				}
				if errs[t] = fn(w, t); errs[t] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if int(next.Load()) < tasks {
		return ctx.Err()
	}
	return nil
}

// Workers is the number of goroutines For uses for tasks tasks.
func Workers(threads, tasks int) int {
	return max(1, min(Threads(threads), tasks))
}

// Blocks splits [0, n) into min(Threads(threads), n) contiguous blocks of
// nearly equal size and calls fn(block, lo, hi) for each, in parallel. The
// partition depends only on n and threads, for callers whose per-block
// partial results must not depend on anything else.
func Blocks(ctx context.Context, threads, n int, fn func(block, lo, hi int)) error {
	nb := Workers(threads, n)
	return For(ctx, nb, nb, func(_, b int) error {
		fn(b, b*n/nb, (b+1)*n/nb)
		return nil
	})
}
