package metrics

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// blockRows is the number of rows per work item of the O(n²) estimators.
// The partition depends only on the input size, never on the number of
// workers, and partial sums are added in block order afterwards, so results
// are bit-identical for any GOMAXPROCS.
const blockRows = 32

func blockCount(rows int) int { return (rows + blockRows - 1) / blockRows }

// forBlocks calls fn(b) for every b in [0, blocks), on up to GOMAXPROCS
// goroutines (the CLI's --threads sets GOMAXPROCS). Blocks are handed out
// dynamically because triangular sums make early blocks more expensive;
// fn must write only to storage owned by block b. It returns ctx.Err() if
// the context ended before every block ran.
func forBlocks(ctx context.Context, blocks int, fn func(b int)) error {
	workers := min(runtime.GOMAXPROCS(0), blocks)
	if workers <= 1 {
		for b := range blocks {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn(b)
		}
		return ctx.Err()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				fn(b)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
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
