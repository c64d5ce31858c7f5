package sinkhorn

import (
	"context"
	"sync"
)

// parallelBlocks splits [0, n) into min(threads, n) fixed contiguous blocks
// and runs fn on each, block b in its own goroutine. The partition depends
// only on n and threads, so per-block partial results reduced in block order
// are deterministic.
func parallelBlocks(ctx context.Context, threads, n int, fn func(block, lo, hi int)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	nb := blockCount(threads, n)
	if nb <= 1 {
		fn(0, 0, n)
		return nil
	}
	var wg sync.WaitGroup
	for b := range nb {
		lo, hi := b*n/nb, (b+1)*n/nb
		wg.Go(func() { fn(b, lo, hi) })
	}
	wg.Wait()
	return ctx.Err()
}

func blockCount(threads, n int) int {
	return max(1, min(threads, n))
}
