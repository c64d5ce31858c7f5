package sinkhorn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// twoLumps returns n points of which a fraction near (0,0) and the rest
// near (3,0), all with a little jitter: between two such clouds with
// different fractions a quarter of the mass must cross the gap, the case
// where Sinkhorn's alternating updates crawl at small ε.
func twoLumps(rng *rand.Rand, n int, fracLeft float64) []float64 {
	pts := make([]float64, 2*n)
	left := int(math.Round(fracLeft * float64(n)))
	for i := range n {
		cx := 3.0
		if i < left {
			cx = 0
		}
		pts[2*i] = cx + 0.05*rng.NormFloat64()
		pts[2*i+1] = 0.05 * rng.NormFloat64()
	}
	return pts
}

// TestPolishFinishesStalledSinkhorn stops Sinkhorn early on a stalling
// problem and checks that L-BFGS on the semi-dual brings the plan to the
// tolerance and the value to the one Sinkhorn reaches when run to the same
// tolerance without limit.
func TestPolishFinishesStalledSinkhorn(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := twoLumps(rng, 60, 0.5), twoLumps(rng, 50, 0.75)
	p := &Problem{X: x, Y: y, N: 60, M: 50, D: 2, Cost: HalfSqEuclidean}
	const eps, tol = 2e-3, 1e-6
	ctx := context.Background()

	ref, err := Solve(ctx, p, Options{Eps: eps, Tol: tol, MaxIter: 1000000})
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	if ref.Iterations < 200 {
		t.Fatalf("the reference took only %d iterations: the test needs a slow problem", ref.Iterations)
	}

	r, err := solve(ctx, p, Options{Eps: eps, Tol: tol, MaxIter: 60}, false)
	if !errors.Is(err, ErrNotConverged) {
		t.Fatalf("60 Sinkhorn iterations should not reach %g (err %v)", tol, err)
	}
	before := r.MarginalError()
	if err := polishSemiDual(ctx, r, tol); err != nil {
		t.Fatalf("polish: %v", err)
	}
	if !r.Polished || !r.Converged || r.PolishIterations == 0 {
		t.Fatalf("polished %v, converged %v after %d iterations", r.Polished, r.Converged, r.PolishIterations)
	}
	// The marginal error reported must be the plan's: recompute it (to the
	// rounding of exponents near C/ε ≈ 2000).
	rows, cols := make([]float64, p.N), make([]float64, p.M)
	for i := range p.N {
		for j := range p.M {
			dx, dy := x[2*i]-y[2*j], x[2*i+1]-y[2*j+1]
			c := 0.5 * (dx*dx + dy*dy)
			pij := r.A[i] * r.B[j] * math.Exp((r.F[i]+r.G[j]-c)/eps)
			rows[i] += pij
			cols[j] += pij
		}
	}
	marg := 0.0
	for i, v := range rows {
		marg += math.Abs(v - r.A[i])
	}
	for j, v := range cols {
		marg += math.Abs(v - r.B[j])
	}
	if marg > tol || math.Abs(marg-r.MarginalError()) > 1e-10 {
		t.Errorf("marginal error %g (reported %g, %g before the polish), tolerance %g", marg, r.MarginalError(), before, tol)
	}
	if got, want := dualValue(r), dualValue(ref); math.Abs(got-want) > 1e-8*math.Abs(want) {
		t.Errorf("value %.15g after the polish, %.15g from Sinkhorn to convergence", got, want)
	}
	t.Logf("Sinkhorn alone: %d iterations; 60 + %d L-BFGS iterations", ref.Iterations, r.PolishIterations)
}

// TestDivergenceHandsOverToPolish checks that the divergence with the
// hand-over after a few Sinkhorn iterations equals the divergence with
// Sinkhorn alone.
func TestDivergenceHandsOverToPolish(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := twoLumps(rng, 60, 0.5), twoLumps(rng, 50, 0.75)
	p := &Problem{X: x, Y: y, N: 60, M: 50, D: 2, Cost: HalfSqEuclidean}
	opt := Options{Eps: 2e-3, Tol: 1e-7, MaxIter: 1000000}
	ctx := context.Background()
	plain, err := divergenceOf(ctx, p, opt, 0)
	if err != nil {
		t.Fatal(err)
	}
	handed, err := divergenceOf(ctx, p, opt, 30)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(handed-plain) > 1e-7*math.Abs(plain) {
		t.Errorf("divergence %.12g with the hand-over, %.12g without", handed, plain)
	}
	if !(plain > 0.1) {
		t.Errorf("divergence %g: a quarter of the mass crossing a gap of 3 should cost about 1", plain)
	}
}
