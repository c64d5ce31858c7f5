package optim

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// nesterovWorstCase is f(x) = (L/8)[x₁² + Σ(x_i − x_{i+1})² + x_n²] − (L/4)x₁,
// whose minimum is f* = (L/8)(−1 + 1/(n+1)).
func nesterovWorstCase(n int, L float64) (Problem, float64) {
	fg := func(x, g []float64) float64 {
		f := x[0]*x[0] + x[n-1]*x[n-1]
		for i := range g {
			g[i] = 0
		}
		g[0] += 2 * x[0]
		g[n-1] += 2 * x[n-1]
		for i := 0; i+1 < n; i++ {
			d := x[i] - x[i+1]
			f += d * d
			g[i] += 2 * d
			g[i+1] -= 2 * d
		}
		for i := range g {
			g[i] *= L / 8
		}
		g[0] -= L / 4
		return L/8*f - L/4*x[0]
	}
	return Problem{FuncGrad: fg}, L / 8 * (-1 + 1/float64(n+1))
}

// logisticData is the ill-conditioned, non-separable logistic regression
// of the reference checks: m samples, d features scaled by 10^(−2j/d),
// labels sign(aᵀw + 2·N(0,1)), mean logistic loss without a regulariser.
type logisticData struct {
	m, d int
	a, y []float64
}

func newLogistic(m, d int, rng *rand.Rand) logisticData {
	l := logisticData{m: m, d: d, a: make([]float64, m*d), y: make([]float64, m)}
	w := make([]float64, d)
	for j := range w {
		w[j] = rng.NormFloat64()
	}
	for i := 0; i < m; i++ {
		var s float64
		for j := 0; j < d; j++ {
			v := rng.NormFloat64() * math.Pow(10, -2*float64(j)/float64(d))
			l.a[i*d+j] = v
			s += v * w[j]
		}
		l.y[i] = 1
		if s+2*rng.NormFloat64() < 0 {
			l.y[i] = -1
		}
	}
	return l
}

// sigmoidLoss returns log(1+e^{−z}) and e^{−z}/(1+e^{−z}), stably.
func sigmoidLoss(z float64) (loss, sig float64) {
	if z > 0 {
		e := math.Exp(-z)
		return math.Log1p(e), e / (1 + e)
	}
	e := math.Exp(z)
	return -z + math.Log1p(e), 1 / (1 + e)
}

func (l logisticData) funcGrad(x, g []float64) float64 {
	clear(g)
	var f float64
	for i := 0; i < l.m; i++ {
		row := l.a[i*l.d : (i+1)*l.d]
		loss, sig := sigmoidLoss(l.y[i] * floats.Dot(row, x))
		f += loss
		floats.AddScaled(g, -l.y[i]*sig/float64(l.m), row)
	}
	return f / float64(l.m)
}

// newtonMinimum solves the problem with Newton's method (independent of
// the methods under test) and returns the minimum value.
func (l logisticData) newtonMinimum(t *testing.T) float64 {
	x := make([]float64, l.d)
	g := make([]float64, l.d)
	var f float64
	for it := 0; it < 100; it++ {
		f = l.funcGrad(x, g)
		if floats.Norm(g, 2) < 1e-13 {
			return f
		}
		h := mat.NewSymDense(l.d, nil)
		for i := 0; i < l.m; i++ {
			row := l.a[i*l.d : (i+1)*l.d]
			_, sig := sigmoidLoss(l.y[i] * floats.Dot(row, x))
			h.SymRankOne(h, sig*(1-sig)/float64(l.m), mat.NewVecDense(l.d, row))
		}
		var step mat.VecDense
		if err := step.SolveVec(h, mat.NewVecDense(l.d, g)); err != nil {
			t.Fatalf("Newton step: %v", err)
		}
		floats.AddScaled(x, -1, step.RawVector().Data)
	}
	t.Fatalf("Newton did not converge: ‖g‖ = %g", floats.Norm(g, 2))
	return f
}

func logistic(m, d int, rng *rand.Rand) Problem {
	return Problem{FuncGrad: newLogistic(m, d, rng).funcGrad}
}

// itersToAccuracy runs AccGRAAL's state machine and returns, for each
// relative accuracy, the first iteration k at which f(x̄_k) − f* ≤
// eps·(f(x0) − f*), or −1 if not reached within maxIter.
func itersToAccuracy(t *testing.T, p Problem, x0 []float64, fStar float64, s Settings, eps []float64, maxIter int) []int {
	t.Helper()
	s, err := s.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	a := newAccState(p, x0, s.InitStep, s)
	gap0 := a.bar.f - fStar
	out := make([]int, len(eps))
	for i := range out {
		out[i] = -1
	}
	next := 0
	for k := 1; k <= maxIter && next < len(eps); k++ {
		a.step()
		if a.beta > 1+1e-12 {
			t.Fatalf("iteration %d: β = %v > 1", k, a.beta)
		}
		for next < len(eps) && a.bar.f-fStar <= eps[next]*gap0 {
			out[next] = k
			next++
		}
	}
	return out
}

func within(got, lo, hi int) bool { return got >= lo && got <= hi }

// Reference (docs/optimizers.md §3.6, G1): θ = γ = 1, η₀ = 1e-6 needs 305, 1750
// and 5267 iterations for 1e-2, 1e-4, 1e-6. Our counts must match within a
// few percent (the problem is deterministic; small differences can come
// from the order of floating-point operations).
func TestAccGRAALNesterovWorstCase(t *testing.T) {
	p, fStar := nesterovWorstCase(500, 1)
	x0 := make([]float64, 500)
	got := itersToAccuracy(t, p, x0, fStar, Settings{InitStep: 1e-6}, []float64{1e-2, 1e-4, 1e-6}, 7000)
	want := []int{305, 1750, 5267}
	for i := range want {
		if !within(got[i], want[i]*97/100, want[i]*103/100) {
			t.Errorf("accuracy 1e-%d: %d iterations, reference %d", 2*(i+1), got[i], want[i])
		}
	}
	t.Logf("AccGRAAL θ=γ=1 on G1: %v (reference %v)", got, want)
}

func TestAccGRAALSmallThetaAndInitialStep(t *testing.T) {
	p, fStar := nesterovWorstCase(500, 1)
	x0 := make([]float64, 500)
	eps := []float64{1e-2, 1e-4}
	// θ = 0.25 is faster than θ = 1 (reference 220 and 1231).
	got := itersToAccuracy(t, p, x0, fStar, Settings{InitStep: 1e-6, Theta: 0.25}, eps, 3000)
	if !within(got[0], 200, 240) || !within(got[1], 1130, 1330) {
		t.Errorf("θ = 0.25: %v, reference [220 1231]", got)
	}
	// A step 1e6 times too small costs about log₂(1e6) ≈ 20 doubling
	// iterations, independently of the accuracy.
	big := itersToAccuracy(t, p, x0, fStar, Settings{InitStep: 1}, eps, 3000)
	tiny := itersToAccuracy(t, p, x0, fStar, Settings{InitStep: 1e-12}, eps, 3000)
	for i := range eps {
		if extra := tiny[i] - big[i]; extra < -60 || extra > 80 {
			t.Errorf("accuracy %g: η₀=1e-12 needs %d, η₀=1 needs %d: not an additive log cost", eps[i], tiny[i], big[i])
		}
	}
	t.Logf("θ=0.25: %v; η₀=1: %v; η₀=1e-12: %v", got, big, tiny)
}

// With α_k·β_k = η_k/H_k the averaged iterate is the η-weighted mean of the
// extrapolated points: x̄_{k+1} = Σ_{i≤k} η_i·x̂_i / H_k with x̂₀ = x₀.
func TestAccGRAALAveragingIdentity(t *testing.T) {
	p := logistic(200, 10, rand.New(rand.NewPCG(7, 8)))
	s, _ := Settings{InitStep: 1e-3}.withDefaults()
	x0 := make([]float64, 10)
	for i := range x0 {
		x0[i] = float64(i) / 10
	}
	a := newAccState(p, x0, s.InitStep, s)
	sum := make([]float64, len(x0))
	floats.AddScaled(sum, a.eta, x0) // η₀·x̂₀
	maxRel := 0.0
	for k := 0; k < 300; k++ {
		h := a.h // H_k
		a.step()
		// a.bar is now x̄_{k+1}; compare before adding η_{k+1}·x̂_{k+1}.
		for i := range sum {
			want := sum[i] / h
			maxRel = max(maxRel, math.Abs(a.bar.x[i]-want)/(1+math.Abs(want)))
		}
		if a.beta > 1+1e-12 {
			t.Fatalf("iteration %d: β = %v > 1", k+1, a.beta)
		}
		floats.AddScaled(sum, a.eta, a.xHat)
	}
	if maxRel > 1e-9 {
		t.Errorf("averaging identity violated: max relative deviation %g", maxRel)
	}
	if a.h < 10*s.InitStep {
		t.Errorf("steps did not grow: H = %g", a.h)
	}
}

func TestGRAALOnLogisticRegression(t *testing.T) {
	data := newLogistic(1000, 50, rand.New(rand.NewPCG(11, 12)))
	fStar := data.newtonMinimum(t)
	x0 := make([]float64, 50)
	eps := []float64{1e-2, 1e-4, 1e-6}
	acc := itersToAccuracy(t, Problem{FuncGrad: data.funcGrad}, x0, fStar, Settings{InitStep: 1e-6}, eps, 5000)
	// Reference counts on the authors' draw: 196, 809, 2119. Our draw
	// differs, so only the order of magnitude and the ε^(−1/2) slope are
	// asserted: 100× more accuracy costs ≈ 3–10× more iterations, not 100×.
	if !within(acc[0], 80, 500) || !within(acc[1], 300, 2000) || !within(acc[2], 800, 5000) {
		t.Errorf("AccGRAAL iterations %v outside the expected ranges", acc)
	}
	if r := float64(acc[2]) / float64(acc[1]); r > 5 {
		t.Errorf("iterations grow by %.1f× from 1e-4 to 1e-6; an accelerated method grows ≈ 3×", r)
	}

	// aGRAAL is a GD-type method: it needs many more iterations for 1e-2
	// (reference 2885 vs 196). Its gradient points are its iterates, so the
	// callback records when one first reaches the target value.
	gap0 := data.funcGrad(x0, make([]float64, 50)) - fStar
	evals, first := 0, -1
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	p := Problem{Grad: func(x, g []float64) {
		evals++
		if f := data.funcGrad(x, g); first < 0 && f-fStar <= 1e-2*gap0 {
			first = evals - 2 // minus x0's gradient and the initial probe
			stop()
		}
	}}
	Minimize(ctx, p, x0, Settings{Method: AdaptiveGRAAL, MaxIter: 20000, GradTol: 1e-300})
	if first < 0 || first < 5*acc[0] {
		t.Errorf("aGRAAL reached 1e-2 after %d iterations, AccGRAAL after %d: expected a ≥5× gap", first, acc[0])
	}

	// The public API with restarts reaches a tight gradient tolerance.
	r, err := Minimize(context.Background(), Problem{FuncGrad: data.funcGrad}, x0, Settings{GradTol: 1e-8})
	if err != nil || r.F-fStar > 1e-10 {
		t.Errorf("Minimize: %v, f − f* = %g after %d iterations", err, r.F-fStar, r.Iterations)
	}
	t.Logf("AccGRAAL %v; aGRAAL %d to 1e-2; restarted AccGRAAL to ‖g‖ ≤ 1e-8: %d iterations, %d restarts", acc, first, r.Iterations, r.Restarts)
}

func TestMinimizeAPI(t *testing.T) {
	ctx := context.Background()
	// f(x) = ½ Σ h_i (x_i − c_i)², minimum at c.
	h := []float64{1, 10, 100, 0.1}
	c := []float64{1, -2, 3, 0.5}
	quad := Problem{
		Func: func(x []float64) float64 {
			var f float64
			for i := range x {
				f += 0.5 * h[i] * (x[i] - c[i]) * (x[i] - c[i])
			}
			return f
		},
		Grad: func(x, g []float64) {
			for i := range x {
				g[i] = h[i] * (x[i] - c[i])
			}
		},
	}
	x0 := []float64{0, 0, 0, 0}
	for _, m := range []Method{AcceleratedGRAAL, AdaptiveGRAAL} {
		r, err := Minimize(ctx, quad, x0, Settings{Method: m, GradTol: 1e-9, MaxIter: 100000})
		if err != nil {
			t.Fatalf("%v: %v", m, err)
		}
		if !r.Converged || r.GradNorm > 1e-9 {
			t.Errorf("%v: not converged: %+v", m, r)
		}
		for i := range c {
			if math.Abs(r.X[i]-c[i]) > 1e-8 {
				t.Errorf("%v: x[%d] = %v, want %v", m, i, r.X[i], c[i])
			}
		}
		if math.Abs(r.F) > 1e-15 {
			t.Errorf("%v: f = %v, want ≈ 0", m, r.F)
		}
		if x0[0] != 0 {
			t.Fatal("x0 modified")
		}
	}

	// Without restarts AccGRAAL is only O(1/k) in the gradient norm on this
	// strongly convex problem; the restarts make it linear.
	r, err := Minimize(ctx, quad, x0, Settings{GradTol: 1e-9, MaxIter: 20000, DisableRestart: true})
	if !errors.Is(err, ErrIterationLimit) {
		t.Errorf("without restarts: %v after %d iterations", err, r.Iterations)
	}
	r, err = Minimize(ctx, quad, x0, Settings{GradTol: 1e-9})
	if err != nil || r.Iterations > 3000 || r.Restarts == 0 {
		t.Errorf("with restarts: %v after %d iterations, %d restarts", err, r.Iterations, r.Restarts)
	}

	r, err = Minimize(ctx, quad, x0, Settings{MaxIter: 5})
	if !errors.Is(err, ErrIterationLimit) || r.Iterations != 5 || r.Converged || len(r.X) != 4 {
		t.Errorf("iteration limit: %v, %+v", err, r)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Minimize(cctx, quad, x0, Settings{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if _, err := Minimize(ctx, Problem{Grad: quad.Grad}, x0, Settings{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("AccGRAAL without Func: %v", err)
	}
	if _, err := Minimize(ctx, Problem{Grad: quad.Grad}, x0, Settings{Method: AdaptiveGRAAL, GradTol: 1e-6, MaxIter: 100000}); err != nil {
		t.Errorf("aGRAAL needs only the gradient: %v", err)
	}
	for _, bad := range []Settings{{Theta: -1}, {Phi: 2}, {GradTol: -1}, {MaxIter: -3}, {Method: 7}} {
		if _, err := Minimize(ctx, quad, x0, bad); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("settings %+v: %v", bad, err)
		}
	}
	nan := Problem{FuncGrad: func(x, g []float64) float64 {
		for i := range g {
			g[i] = 1
		}
		if x[0] < -1 {
			return math.NaN()
		}
		return x[0] + x[1]
	}}
	if _, err := Minimize(ctx, nan, []float64{0, 0}, Settings{InitStep: 0.1}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN objective: %v", err)
	}
}

// A quartic has vanishing curvature at its minimum, so AccGRAAL's step keeps
// doubling; without the gradient-norm stop it overflows to NaN.
func TestAccGRAALFlatMinimumStops(t *testing.T) {
	quartic := Problem{FuncGrad: func(x, g []float64) float64 {
		var f float64
		for i := range x {
			f += x[i] * x[i] * x[i] * x[i] / 4
			g[i] = x[i] * x[i] * x[i]
		}
		return f
	}}
	r, err := Minimize(context.Background(), quartic, []float64{2, -1, 0.5}, Settings{GradTol: 1e-10, Theta: 0.1, MaxIter: 100000})
	if err != nil {
		t.Fatalf("%v (%+v)", err, r)
	}
	for _, v := range r.X {
		if !(math.Abs(v) < 1e-3) {
			t.Errorf("x = %v, want ≈ 0", r.X)
		}
	}
}
