package sinkhorn

import (
	"context"
	"errors"
	"fmt"

	"github.com/ebieot/ebieot/internal/parallel"
)

// SolveBatch solves many (typically small) independent problems
// concurrently: opt.Threads workers (0 = one per CPU) each solve whole
// problems single-threaded, so every result is the same bits as Solve with
// Threads = 1 and does not depend on scheduling. Each problem stops at its
// own tolerance.
//
// results[i] is nil only if problem i failed outright. The error joins the
// per-problem errors, each prefixed with its index; errors.Is(err,
// ErrNotConverged) reports whether any problem missed its tolerance (those
// results are still returned, with Converged false).
func SolveBatch(ctx context.Context, problems []*Problem, opt Options) ([]*Result, error) {
	if opt.WarmF != nil || opt.WarmG != nil {
		return nil, fmt.Errorf("%w: a batch takes no warm start", ErrInvalidOptions)
	}
	if opt.Threads < 0 {
		return nil, fmt.Errorf("%w: threads %d", ErrInvalidOptions, opt.Threads)
	}
	one := opt
	one.Threads = 1
	results := make([]*Result, len(problems))
	errs := make([]error, len(problems))
	_ = parallel.For(ctx, opt.Threads, len(problems), func(_, i int) error {
		// Per-problem errors are joined below rather than stopping the
		// batch.
		results[i], errs[i] = Solve(ctx, problems[i], one)
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sinkhorn batch: %w", err)
	}
	var joined []error
	for i, err := range errs {
		if err != nil {
			joined = append(joined, fmt.Errorf("problem %d: %w", i, err))
		}
	}
	return results, errors.Join(joined...)
}
