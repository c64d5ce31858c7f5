package metrics

import (
	"context"

	"github.com/ebieot/ebieot/internal/parallel"
)

// blockRows is the number of rows per work item of the O(n²) estimators.
// The partition depends only on the input size, never on the number of
// workers, and partial sums are added in block order afterwards, so results
// are bit-identical for any thread count.
const blockRows = 32

func blockCount(rows int) int { return (rows + blockRows - 1) / blockRows }

// forBlocks calls fn(b) for every b in [0, blocks), on up to threads
// goroutines (0 = one per CPU). Blocks are handed out
// dynamically because triangular sums make early blocks more expensive;
// fn must write only to storage owned by block b. It returns ctx.Err() if
// the context ended before every block ran.
func forBlocks(ctx context.Context, threads, blocks int, fn func(b int)) error {
	return parallel.For(ctx, threads, blocks, func(_, b int) error {
		fn(b)
		return nil
	})
}

// sumInOrder adds partial sums in index order, the fixed reduction that
// keeps parallel results deterministic.
func sumInOrder(parts []float64) float64 {
	var s float64
	for _, v := range parts {
		s += v
	}
	return s
}
