package sinkhorn

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// Sinkhorn's alternating updates contract slowly when a lump of mass has to
// travel far at small ε (their rate approaches 1 like exp(−C/ε)), and
// over-relaxation only shortens that tail. One such term of a Swiss-roll
// evaluation (1024 points, ε = 1e-3) took 24 800 iterations, 112 s; L-BFGS
// on the semi-dual, whose curvature information sees the slow direction,
// took 213 iterations from a cold start on the same problem. The
// divergence therefore gives Sinkhorn a budget and hands a term that has
// not converged within it to L-BFGS, warm-started from Sinkhorn's target
// potential.
const (
	// divergencePolishAfter is the Sinkhorn iteration budget (ε-scaling
	// stages included) of a divergence term before the hand-over. The
	// terms of the evaluation problems take 140–430 iterations; on the
	// stalled one above, 1500 iterations and 84 L-BFGS iterations took
	// 6.8 s instead of 112 s.
	divergencePolishAfter = 1000
	// maxPolishEntries bounds the cost matrix the hand-over may hold
	// (8 bytes each): beyond it, Sinkhorn runs to its own MaxIter.
	maxPolishEntries = 1 << 24
	// maxPolishIterations bounds the L-BFGS iterations.
	maxPolishIterations = 20000
)

// polishSemiDual continues r, a result whose L1 marginal error is above
// tol, by L-BFGS on the semi-dual (see SemiDualObjective) from its target
// potential G, until the infinity norm of the column-marginal error is at
// most tol/m, so that the L1 error is at most tol. It rewrites r in place:
// G, F (the exact c-transform of G, so the rows of the plan are exact),
// Objective, Cost, Converged, Polished and PolishIterations, and appends
// the final marginal error to MarginalErrors.
func polishSemiDual(ctx context.Context, r *Result, tol float64) error {
	src, err := r.cost.materialise(ctx, r.threads)
	if err != nil {
		return err
	}
	obj, err := NewSemiDualObjective(src.dense, r.n, r.m, r.A, r.B, r.Eps)
	if err != nil {
		return err
	}
	obj.SetThreads(r.threads)
	// gonum asks for the value and the gradient at the same point in two
	// calls; one pass over the cost gives both.
	var lastX, lastGrad []float64
	var lastF float64
	eval := func(x []float64) {
		if lastX != nil && slices.Equal(x, lastX) {
			return
		}
		if lastGrad == nil {
			lastGrad = make([]float64, len(x))
		}
		lastF = obj.FuncGrad(x, lastGrad)
		lastX = append(lastX[:0], x...)
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(grad, x []float64) { eval(x); copy(grad, lastGrad) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: tol / float64(r.m),
		MajorIterations:   maxPolishIterations,
		// gonum's default also stops when the value has not moved by 1e-10
		// in 100 iterations, which the tiny values of a near-optimal
		// semi-dual do long before the marginals meet the tolerance.
		Converger: optimize.NeverTerminate{},
	}
	res, optErr := optimize.Minimize(prob, slices.Clone(r.G), settings, &optimize.LBFGS{})
	if err := ctx.Err(); err != nil {
		return err
	}
	if res == nil || res.X == nil {
		return fmt.Errorf("semi-dual polish: %w", optErr)
	}
	sd := obj.Result(res.X)
	r.F, r.G = sd.F, sd.G
	r.Objective, r.Cost = sd.Value, sd.TransportCost
	r.MarginalErrors = append(r.MarginalErrors, sd.MarginalError)
	r.Polished = true
	r.PolishIterations = res.Stats.MajorIterations
	r.Converged = sd.MarginalError <= tol
	if math.IsNaN(r.Objective) {
		return fmt.Errorf("%w: the semi-dual value is NaN", ErrInvalidProblem)
	}
	if !r.Converged {
		// L-BFGS stopped short (iteration bound, or a line search that
		// could no longer make progress at rounding level).
		return &NotConvergedError{Iterations: r.Iterations, MarginalError: sd.MarginalError, Tol: tol}
	}
	return nil
}
