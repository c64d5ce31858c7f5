package optim

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// accPoint is a point with its value and gradient.
type accPoint struct {
	x, g []float64
	f    float64
}

func newAccPoint(n int) accPoint {
	return accPoint{x: make([]float64, n), g: make([]float64, n)}
}

// accState is accelerated GRAAL's iteration state, kept in a struct so that
// tests can check its invariants step by step. Indices follow the method's
// description: after k steps, x = x_k, bar = x̄_k, til = x̃_k, eta = η_k,
// etaPrev = η_{k−1}, h = H_k, hPrev = H_{k−1}, beta = β_k.
type accState struct {
	p                Problem
	theta, gamma, nu float64
	maxStep          float64
	x, xNext, xHat   []float64
	bar, til         accPoint
	barNext, tilNext accPoint
	eta, etaPrev     float64
	h, hPrev, beta   float64
	evals            int
}

func newAccState(p Problem, x0 []float64, eta0 float64, s Settings) *accState {
	start := accPoint{x: append([]float64(nil), x0...), g: make([]float64, len(x0))}
	start.f = p.funcGrad(start.x, start.g)
	a := newAccStateAt(p, start, eta0, s)
	a.evals++
	return a
}

// newAccStateAt starts the method at a point whose value and gradient are
// already known (a restart), copying it.
func newAccStateAt(p Problem, start accPoint, eta0 float64, s Settings) *accState {
	n := len(start.x)
	a := &accState{
		p: p, theta: s.Theta, gamma: s.Gamma, maxStep: s.MaxStep,
		nu: s.Gamma / (4 * s.Theta * (1 + s.Gamma) * (1 + s.Gamma)),
		x:  append([]float64(nil), start.x...), xNext: make([]float64, n), xHat: make([]float64, n),
		bar: newAccPoint(n), til: newAccPoint(n), barNext: newAccPoint(n), tilNext: newAccPoint(n),
		eta: eta0, etaPrev: eta0, h: eta0, hPrev: eta0, beta: 1,
	}
	for _, pt := range []accPoint{a.til, a.bar} {
		copy(pt.x, start.x)
		copy(pt.g, start.g)
	}
	a.til.f, a.bar.f = start.f, start.f
	return a
}

// inverseCurvature is Λ(x; z) = 2·B_f(x; z)/‖∇f(x) − ∇f(z)‖², with
// B_f(x; z) = f(x) − f(z) − ⟨∇f(z), x − z⟩ the Bregman divergence. For
// convex L-smooth f it is ≥ 1/L.
//
// Two roundoff guards (found necessary in practice; exact arithmetic never
// triggers them wrongly):
//   - when x and z agree to about 1e-7 relatively, B_f and the gradient
//     difference are cancellation noise (values like ±1e17 occur) and a
//     negative Λ would make the next step negative: return +Inf, the value
//     exact arithmetic gives in the limit;
//   - when B_f is below 1e-10 of |f| (or not positive), the function
//     difference is dominated by rounding, which near the solution would
//     make Λ random and stall the method. There f is locally quadratic and
//     2·B_f equals ⟨∇f(x) − ∇f(z), x − z⟩, which has no cancellation of
//     function values, so that estimate is used instead.
func inverseCurvature(x, z accPoint) float64 {
	var dx2, xn2, zn2, inner, cross, dg2 float64
	for i := range x.x {
		d := x.x[i] - z.x[i]
		e := x.g[i] - z.g[i]
		dx2 += d * d
		xn2 += x.x[i] * x.x[i]
		zn2 += z.x[i] * z.x[i]
		inner += z.g[i] * d
		cross += e * d
		dg2 += e * e
	}
	if math.Sqrt(dx2) <= 1e-7*math.Sqrt(max(xn2, zn2)) || dg2 == 0 {
		return math.Inf(1)
	}
	twiceBregman := 2 * (x.f - z.f - inner)
	if !(twiceBregman > 2e-10*max(math.Abs(x.f), math.Abs(z.f))) {
		twiceBregman = cross
	}
	if !(twiceBregman > 0) {
		return math.Inf(1)
	}
	return twiceBregman / dg2
}

// step performs one iteration k → k+1.
func (a *accState) step() {
	g1 := 1 + a.gamma
	alpha := g1 * a.eta / (a.h + g1*a.eta)
	beta := a.beta
	for i := range a.x {
		a.xNext[i] = a.x[i] - a.eta*a.til.g[i]
		a.barNext.x[i] = beta*a.til.x[i] + (1-beta)*a.bar.x[i]
		a.xHat[i] = a.xNext[i] + a.theta*(a.xNext[i]-a.x[i])
		a.tilNext.x[i] = alpha*a.xHat[i] + (1-alpha)*a.barNext.x[i]
	}
	a.barNext.f = a.p.funcGrad(a.barNext.x, a.barNext.g)
	a.tilNext.f = a.p.funcGrad(a.tilNext.x, a.tilNext.g)
	a.evals += 2
	lambda := min(inverseCurvature(a.barNext, a.til), inverseCurvature(a.barNext, a.tilNext))
	eta := min(g1*a.eta, a.nu*a.hPrev*lambda/a.etaPrev, a.maxStep)
	a.etaPrev, a.eta = a.eta, eta
	a.hPrev, a.h = a.h, a.h+eta
	a.beta = eta / (alpha * a.h)
	a.x, a.xNext = a.xNext, a.x
	a.bar, a.barNext = a.barNext, a.bar
	a.til, a.tilNext = a.tilNext, a.til
}

// shouldRestart reports whether the output moved uphill: either f(x̄)
// increased by more than rounding, or (robust where function values are at
// rounding level) the step x̄_{k+1} − x̄_k makes a positive angle with the
// gradient at x̄_{k+1}.
func (a *accState) shouldRestart() bool {
	if a.bar.f-a.barNext.f > 1e-12*math.Abs(a.barNext.f) {
		return true
	}
	var slope float64
	for i, g := range a.bar.g {
		slope += g * (a.bar.x[i] - a.barNext.x[i])
	}
	return slope > 0
}

func accGRAAL(ctx context.Context, p Problem, x0 []float64, s Settings) (Result, error) {
	n := len(x0)
	eta0 := s.InitStep
	extra := 0
	if eta0 == 0 && n > 0 {
		// Probe before building the state so x̃₀'s gradient is not clobbered.
		g := make([]float64, n)
		p.grad(x0, g)
		if floats.Norm(g, 2) > s.GradTol {
			eta0 = initialStep(p, x0, g, make([]float64, n), make([]float64, n))
			extra = 2
		}
	}
	if eta0 == 0 {
		eta0 = 1e-6
	}
	a := newAccState(p, x0, min(eta0, s.MaxStep), s)
	res := Result{}
	finish := func(pt accPoint, err error) (Result, error) {
		res.X = append([]float64(nil), pt.x...)
		res.F = pt.f
		res.GradNorm = floats.Norm(pt.g, 2)
		res.Converged = res.GradNorm <= s.GradTol
		res.FuncEvals = a.evals
		res.GradEvals = a.evals + extra
		return res, err
	}
	if !allFinite(a.til.f, a.til.g) {
		return finish(a.til, fmt.Errorf("AccGRAAL at x0: %w", ErrNonFinite))
	}
	if n == 0 || floats.Norm(a.til.g, 2) <= s.GradTol {
		return finish(a.til, nil)
	}
	for res.Iterations < s.MaxIter {
		if err := ctx.Err(); err != nil {
			return finish(a.bar, fmt.Errorf("AccGRAAL iteration %d: %w", res.Iterations, err))
		}
		a.step()
		res.Iterations++
		if !s.DisableRestart && a.shouldRestart() {
			// Start afresh from the better of the last two outputs, keeping
			// the current step size as η₀.
			start := a.bar
			if a.barNext.f < a.bar.f {
				start = a.barNext
			}
			evals := a.evals
			a = newAccStateAt(p, start, min(a.eta, s.MaxStep), s)
			a.evals = evals
			res.Restarts++
			continue
		}
		if !allFinite(a.bar.f, a.bar.g) || !allFinite(a.til.f, a.til.g) || !(a.eta > 0) {
			// The previous output is the last point known to be finite.
			return finish(a.barNext, fmt.Errorf("AccGRAAL iteration %d: %w", res.Iterations, ErrNonFinite))
		}
		// The guarantee is for x̄, but x̃ is evaluated anyway and may reach
		// the tolerance first; stopping on either also ends runs on flat
		// problems before the growing step overflows.
		if floats.Norm(a.bar.g, 2) <= s.GradTol {
			return finish(a.bar, nil)
		}
		if floats.Norm(a.til.g, 2) <= s.GradTol {
			return finish(a.til, nil)
		}
	}
	return finish(a.bar, fmt.Errorf("AccGRAAL after %d iterations: %w", res.Iterations, ErrIterationLimit))
}
