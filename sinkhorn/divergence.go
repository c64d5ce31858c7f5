package sinkhorn

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// DefaultDivergenceTol is Divergence's default marginal tolerance (L1, each
// of the three terms). The divergence is computed from dual values, whose
// error is second order in the marginal error: at this tolerance the value
// is within DivergenceRelAccuracy (relative) of the converged one on the
// evaluation problems (Swiss-roll samples of 200–1024 points, ε = 1e-3;
// measured 1e-5 to 1e-4), far below the sampling noise of a divergence
// between samples. Pass a smaller Tol for more digits.
const DefaultDivergenceTol = 1e-3

// DivergenceRelAccuracy is the relative accuracy Divergence's default
// tolerance is chosen (and tested) for.
const DivergenceRelAccuracy = 1e-3

// DefaultDivergenceMaxIter is Divergence's default iteration bound.
const DefaultDivergenceMaxIter = 100000

// DefaultDivergenceAnnealFactor is Divergence's default ε-scaling ratio:
// with over-relaxed stages, fewer and longer stages measured 18 % fewer
// iterations than DefaultAnnealFactor on the Swiss-roll evaluation
// problem (ratios 0.35 and 0.1 were worse than 0.25).
const DefaultDivergenceAnnealFactor = 0.25

// Divergence returns the debiased Sinkhorn divergence
//
//	S_ε(α, β) = OT_ε(α, β) − ½ OT_ε(α, α) − ½ OT_ε(β, β)
//
// between the uniform point clouds x (n×d) and y (m×d) under the cost
// ½‖x − y‖², the metric used for evaluation. It is symmetric, zero for
// identical clouds and non-negative up to the solver tolerance. opt is
// optional (at most one); its Eps is ignored in favour of eps.
//
// Defaults for zero fields of opt: Tol DefaultDivergenceTol, MaxIter
// DefaultDivergenceMaxIter, AnnealFactor DefaultDivergenceAnnealFactor.
// Small ε is handled by ε-scaling and over-relaxation (Options.Annealing,
// Options.Relaxation, both automatic). Accuracy: with the default tolerance
// the value is within DivergenceRelAccuracy = 1e-3 relative of the value at
// convergence (measured 7e-5 at 1024 Swiss-roll points and 9e-5 at 200, ε
// = 1e-3, against tolerance 1e-5 references); a 1024×1024 divergence at ε =
// 1e-3 then takes ~240 iterations in all. Pass a smaller Tol
// for more digits. A term that Sinkhorn has not solved within 1000
// iterations is finished by L-BFGS on the semi-dual (see DivergenceOf).
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
	if o.AnnealFactor == 0 {
		o.AnnealFactor = DefaultDivergenceAnnealFactor
	}
	return DivergenceOf(ctx, &Problem{X: x, Y: y, N: n, M: m, D: d, Cost: HalfSqEuclidean}, o)
}

// DivergenceOf is Divergence for any weighted point problem (its cost must be
// one that can be evaluated between two sources and between two targets,
// i.e. not CostMatrix). With EpsRelativeToMedianCost, ε is fixed from the
// median of the cross cost and the same absolute ε is used for all three
// terms, as the debiasing requires. If a term does not converge, the value
// is still returned together with an error matching ErrNotConverged. Each
// term's value is the dual objective at its potentials (see dualValue);
// unlike Divergence, zero options here mean Solve's defaults.
//
// Sinkhorn can stall for thousands of iterations at small ε when mass has
// to travel far. So unless opt.Online is set, the tolerance is negative or
// the cost matrix would exceed 2^24 entries, each term gets at most 1000
// Sinkhorn iterations (or MaxIter if smaller), and a term still above the
// tolerance is finished by L-BFGS on the semi-dual from Sinkhorn's target
// potential, to the same L1 marginal tolerance (Result.Polished).
func DivergenceOf(ctx context.Context, p *Problem, opt Options) (float64, error) {
	return divergenceOf(ctx, p, opt, divergencePolishAfter)
}

// divergenceOf is DivergenceOf with the Sinkhorn budget of a term before
// the hand-over to L-BFGS as a parameter (≤ 0: no hand-over).
func divergenceOf(ctx context.Context, p *Problem, opt Options, polishAfter int) (float64, error) {
	if p == nil || p.Cost == CostMatrix {
		return 0, fmt.Errorf("%w: the divergence needs points and a point cost", ErrInvalidProblem)
	}
	if opt.WarmF != nil || opt.WarmG != nil {
		return 0, fmt.Errorf("%w: the divergence takes no warm start", ErrInvalidOptions)
	}
	var notConv []error
	run := func(what string, q *Problem, o Options, symmetric bool) (*Result, error) {
		budget, tol := o, o.Tol
		if tol == 0 {
			tol = DefaultTol
		}
		maxIter := o.MaxIter
		if maxIter == 0 {
			maxIter = DefaultMaxIter
		}
		polish := polishAfter > 0 && !o.Online && tol > 0 && q.N*q.M <= maxPolishEntries
		if polish {
			budget.MaxIter = min(maxIter, polishAfter)
		}
		r, err := solve(ctx, q, budget, symmetric)
		if polish && errors.Is(err, ErrNotConverged) {
			used := r.Iterations
			err = polishSemiDual(ctx, r, tol)
			if left := maxIter - used; errors.Is(err, ErrNotConverged) && left > 0 {
				// L-BFGS's line search stops where the value's changes
				// drop below rounding, which very tight tolerances can
				// need; Sinkhorn, which needs no values, goes on from there.
				rest := o
				rest.MaxIter, rest.WarmF, rest.WarmG = left, r.F, r.G
				polished := r.PolishIterations
				r, err = solve(ctx, q, rest, symmetric)
				if r != nil {
					r.Iterations += used
					r.Polished, r.PolishIterations = true, polished
				}
			}
		}
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
	return dualValue(xy) - 0.5*dualValue(xx) - 0.5*dualValue(yy), errors.Join(notConv...)
}

// dualValue is the dual objective ⟨a, f⟩ + ⟨b, g⟩ at the returned
// potentials (whose plan has total mass 1, as its rows are exact). It equals
// Objective at convergence, but its error is second order in the marginal
// error where Objective's is first order, because the potentials sit
// near a maximum of the dual; this is what makes a loose tolerance accurate.
func dualValue(r *Result) float64 {
	var v float64
	for i, f := range r.F {
		if r.A[i] > 0 {
			v += r.A[i] * f
		}
	}
	for j, g := range r.G {
		if r.B[j] > 0 {
			v += r.B[j] * g
		}
	}
	return v
}
