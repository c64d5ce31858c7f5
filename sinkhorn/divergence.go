package sinkhorn

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// DefaultDivergenceTol is Divergence's default marginal tolerance: at small
// ε, Sinkhorn's last digits take many iterations, and an L1 marginal error
// of 1e-6 moves the value by far less than the sampling noise of a
// divergence between samples.
const DefaultDivergenceTol = 1e-6

// DefaultDivergenceMaxIter is Divergence's default iteration bound.
const DefaultDivergenceMaxIter = 100000

// Divergence returns the debiased Sinkhorn divergence
//
//	S_ε(α, β) = OT_ε(α, β) − ½ OT_ε(α, α) − ½ OT_ε(β, β)
//
// between the uniform point clouds x (n×d) and y (m×d) under the cost
// ½‖x − y‖², the metric used for evaluation. It is symmetric, zero for
// identical clouds and non-negative up to the solver tolerance. opt is
// optional (at most one); its Eps is ignored in favour of eps. Small ε is
// handled by ε-scaling in the log domain (Annealing AnnealAuto). A zero
// opt.Tol means DefaultDivergenceTol and a zero opt.MaxIter
// DefaultDivergenceMaxIter: at ε = 1e-3 on unit-scale Gaussian clouds the
// cross term can need ~30 000 iterations.
func Divergence(ctx context.Context, x, y []float64, n, m, d int, eps float64, opt ...Options) (float64, error) {
	if len(opt) > 1 {
		return 0, fmt.Errorf("%w: at most one Options value", ErrInvalidOptions)
	}
	var o Options
	if len(opt) == 1 {
		o = opt[0]
	}
	o.Eps = eps
	if o.Tol == 0 {
		o.Tol = DefaultDivergenceTol
	}
	if o.MaxIter == 0 {
		o.MaxIter = DefaultDivergenceMaxIter
	}
	return DivergenceOf(ctx, &Problem{X: x, Y: y, N: n, M: m, D: d, Cost: HalfSqEuclidean}, o)
}

// DivergenceOf is Divergence for any weighted point problem (its cost must be
// one that can be evaluated between two sources and between two targets,
// i.e. not CostMatrix). With EpsRelativeToMedianCost, ε is fixed from the
// median of the cross cost and the same absolute ε is used for all three
// terms, as the debiasing requires. If a term does not converge, the value
// is still returned together with an error matching ErrNotConverged.
func DivergenceOf(ctx context.Context, p *Problem, opt Options) (float64, error) {
	if p == nil || p.Cost == CostMatrix {
		return 0, fmt.Errorf("%w: the divergence needs points and a point cost", ErrInvalidProblem)
	}
	if opt.WarmF != nil || opt.WarmG != nil {
		return 0, fmt.Errorf("%w: the divergence takes no warm start", ErrInvalidOptions)
	}
	var notConv []error
	run := func(what string, q *Problem, o Options, symmetric bool) (*Result, error) {
		r, err := solve(ctx, q, o, symmetric)
		if errors.Is(err, ErrNotConverged) {
			notConv = append(notConv, fmt.Errorf("%s: %w", what, err))
			err = nil
		}
		if err != nil {
			return nil, fmt.Errorf("sinkhorn divergence, %s: %w", what, err)
		}
		return r, nil
	}
	// Identical weighted clouds: the cross term is the symmetric problem,
	// solved the same way as the others, so the divergence is exactly 0.
	same := p.N == p.M && slices.Equal(p.X, p.Y) && slices.Equal(p.A, p.B)
	xy, err := run("OT(α, β)", p, opt, same)
	if err != nil {
		return 0, err
	}
	abs := opt
	abs.Eps = xy.Eps
	abs.EpsRelativeToMedianCost = false
	xx, err := run("OT(α, α)", &Problem{X: p.X, Y: p.X, N: p.N, M: p.N, D: p.D, A: p.A, B: p.A, Cost: p.Cost, Func: p.Func}, abs, true)
	if err != nil {
		return 0, err
	}
	yy, err := run("OT(β, β)", &Problem{X: p.Y, Y: p.Y, N: p.M, M: p.M, D: p.D, A: p.B, B: p.B, Cost: p.Cost, Func: p.Func}, abs, true)
	if err != nil {
		return 0, err
	}
	return xy.Objective - 0.5*xx.Objective - 0.5*yy.Objective, errors.Join(notConv...)
}
