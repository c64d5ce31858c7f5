package sinkhorn

import (
	"context"

	"github.com/ebieot/ebieot/internal/parallel"
)

// parallelBlocks splits [0, n) into min(threads, n) fixed contiguous blocks
// and runs fn on each, block b in its own goroutine. The partition depends
// only on n and threads, so per-block partial results reduced in block order
// are deterministic.
func parallelBlocks(ctx context.Context, threads, n int, fn func(block, lo, hi int)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return parallel.Blocks(ctx, threads, n, fn)
}

func blockCount(threads, n int) int {
	return parallel.Workers(threads, n)
}
