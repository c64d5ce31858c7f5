package sinkhorn

import (
	"context"
	"fmt"

	"github.com/ebieot/ebieot/points"
)

// NewProblem returns the problem between the point sets x (sources) and y
// (targets) under a point cost, with uniform weights. The sets are
// referenced, not copied; set A or B on the result for other weights.
func NewProblem(x, y points.Set, cost CostKind) (*Problem, error) {
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("%w: sources: %v", ErrInvalidProblem, err)
	}
	if err := y.Validate(); err != nil {
		return nil, fmt.Errorf("%w: targets: %v", ErrInvalidProblem, err)
	}
	if x.Cols != y.Cols {
		return nil, fmt.Errorf("%w: sources are %d-dimensional, targets %d-dimensional", ErrInvalidProblem, x.Cols, y.Cols)
	}
	return &Problem{X: x.Data, Y: y.Data, N: x.Rows, M: y.Rows, D: x.Cols, Cost: cost}, nil
}

// DivergenceBetween is Divergence between two point sets of the same
// dimension.
func DivergenceBetween(ctx context.Context, x, y points.Set, eps float64, opt ...Options) (float64, error) {
	if x.Cols != y.Cols {
		return 0, fmt.Errorf("sinkhorn divergence: %w: %d- and %d-dimensional points", ErrInvalidProblem, x.Cols, y.Cols)
	}
	return Divergence(ctx, x.Data, y.Data, x.Rows, y.Rows, x.Cols, eps, opt...)
}
