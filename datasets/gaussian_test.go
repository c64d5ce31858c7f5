package datasets

import (
	"math"
	"math/rand/v2"
	"testing"
)

// simpson integrates f over [a, b] with n (even) intervals.
func simpson(f func(float64) float64, a, b float64, n int) float64 {
	h := (b - a) / float64(n)
	sum := f(a) + f(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(a+float64(i)*h)
	}
	return sum * h / 3
}

func testProblem() GaussianEOT {
	return GaussianEOT{MuX: []float64{0.5, -1}, A: []float64{1.5, 0.7}, MuY: []float64{-2, 3}, B: []float64{0.8, 2.5}, Eps: 0.6}
}

func TestGaussianKSolvesTheVarianceEquation(t *testing.T) {
	for _, eps := range []float64{1e-9, 1e-3, 0.5, 1, 30, 1e6} {
		g := GaussianEOT{MuX: []float64{0, 0}, A: []float64{0.3, 4}, MuY: []float64{0, 0}, B: []float64{2, 0.1}, Eps: eps}
		for d, k := range g.K() {
			a2, b2 := g.A[d]*g.A[d], g.B[d]*g.B[d]
			// The conditional variance ε·k plus the explained part k²a²
			// must give the target variance b².
			if got := k*k*a2 + eps*k; math.Abs(got-b2) > 1e-12*b2 {
				t.Errorf("eps %v dim %d: k²a²+εk = %v, want b² = %v", eps, d, got, b2)
			}
			if eps >= 1e-3 && eps <= 30 { // where the issue's form does not cancel
				issue := (-eps + math.Sqrt(eps*eps+4*a2*b2)) / (2 * a2)
				if math.Abs(k-issue) > 1e-12*issue {
					t.Errorf("eps %v dim %d: k = %v, issue formula %v", eps, d, k, issue)
				}
			}
		}
	}
}

// The entropic OT plan for cost ½‖x−y‖² has log-density
// (f(x) + g(y) − ½‖x−y‖²)/ε, so ∂²/∂x_d∂y_e log π = δ_de/ε. Only the
// conditional depends on both x and y, so check its mixed partials by
// central finite differences.
func TestGaussianPlanHasTheEntropicCrossTerm(t *testing.T) {
	g := testProblem()
	x, y := []float64{0.3, -0.4}, []float64{-1.5, 2}
	const h = 1e-3
	at := func(d, e int, sx, sy float64) float64 {
		xx, yy := append([]float64(nil), x...), append([]float64(nil), y...)
		xx[d] += sx
		yy[e] += sy
		return g.LogProb(xx, yy)
	}
	for d := range 2 {
		for e := range 2 {
			mixed := (at(d, e, h, h) - at(d, e, h, -h) - at(d, e, -h, h) + at(d, e, -h, -h)) / (4 * h * h)
			want := 0.0
			if d == e {
				want = 1 / g.Eps
			}
			if math.Abs(mixed-want) > 1e-6 {
				t.Errorf("∂²logπ/∂x%d∂y%d = %v, want %v", d+1, e+1, mixed, want)
			}
		}
	}
}

// Integrating the conditional against the source marginal must give the
// target marginal N(MuY, B²), and each conditional must be a normalised
// density with mean CondMean.
func TestGaussianConditionalIntegrates(t *testing.T) {
	g := testProblem()
	normal := func(v, mu, sd float64) float64 {
		r := (v - mu) / sd
		return math.Exp(-0.5*r*r) / (sd * math.Sqrt(2*math.Pi))
	}
	k, cv := g.K(), g.CondVar()
	for d := range 2 {
		for _, y := range []float64{g.MuY[d] - 2*g.B[d], g.MuY[d] + 0.3*g.B[d], g.MuY[d] + 3*g.B[d]} {
			marg := simpson(func(x float64) float64 {
				return normal(x, g.MuX[d], g.A[d]) * normal(y, g.MuY[d]+k[d]*(x-g.MuX[d]), math.Sqrt(cv[d]))
			}, g.MuX[d]-12*g.A[d], g.MuX[d]+12*g.A[d], 4000)
			if want := normal(y, g.MuY[d], g.B[d]); math.Abs(marg-want) > 1e-9 {
				t.Errorf("dim %d: ∫p(x)p(y|x)dx at y=%v is %v, want %v", d+1, y, marg, want)
			}
		}
	}
	// Two-dimensional integral of exp(LogProb) and of y·exp(LogProb).
	x := []float64{1.2, -0.1}
	mean := make([]float64, 2)
	g.CondMean(x, mean)
	sd := []float64{math.Sqrt(cv[0]), math.Sqrt(cv[1])}
	var mass, m0, m1 float64
	simpson2 := func(f func(y0, y1 float64) float64) float64 {
		return simpson(func(y0 float64) float64 {
			return simpson(func(y1 float64) float64 { return f(y0, y1) }, mean[1]-10*sd[1], mean[1]+10*sd[1], 400)
		}, mean[0]-10*sd[0], mean[0]+10*sd[0], 400)
	}
	mass = simpson2(func(y0, y1 float64) float64 { return math.Exp(g.LogProb(x, []float64{y0, y1})) })
	m0 = simpson2(func(y0, y1 float64) float64 { return y0 * math.Exp(g.LogProb(x, []float64{y0, y1})) })
	m1 = simpson2(func(y0, y1 float64) float64 { return y1 * math.Exp(g.LogProb(x, []float64{y0, y1})) })
	if math.Abs(mass-1) > 1e-9 || math.Abs(m0-mean[0]) > 1e-9 || math.Abs(m1-mean[1]) > 1e-9 {
		t.Fatalf("∫π(y|x)dy = %v, mean (%v, %v), want 1 and %v", mass, m0, m1, mean)
	}
}

// moments returns column means and the covariance of columns i and j
// between two matrices with the same rows.
func crossMoment(a Matrix, i int, b Matrix, j int) (meanA, meanB, cov float64) {
	n := float64(a.Rows)
	for r := range a.Rows {
		meanA += a.Row(r)[i]
		meanB += b.Row(r)[j]
	}
	meanA /= n
	meanB /= n
	for r := range a.Rows {
		cov += (a.Row(r)[i] - meanA) * (b.Row(r)[j] - meanB)
	}
	return meanA, meanB, cov / n
}

// TestGaussianSampledMoments compares sample moments with the exact ones.
// Tolerance: 5 standard errors (mean: sd/√n; variance: var·√(2/n);
// covariance: √((var_a var_b + cov²)/n)), so a correct sampler fails with
// probability below 1e-5 per check — and with fixed seeds, never.
func TestGaussianSampledMoments(t *testing.T) {
	g := testProblem()
	const n = 100_000
	rng := rand.New(rand.NewPCG(11, 12))
	s := g.Streams(rng, n, n, n)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.XNames[1] != "x2" || s.YNames[0] != "y1" || s.PairX.Rows != n || s.SourceX.Rows != n || s.TargetY.Rows != n {
		t.Fatalf("streams layout: %v %v %d %d %d", s.XNames, s.YNames, s.PairX.Rows, s.SourceX.Rows, s.TargetY.Rows)
	}
	check := func(what string, got, want, se float64) {
		t.Helper()
		if math.Abs(got-want) > 5*se {
			t.Errorf("%s = %v, want %v ± %v", what, got, want, 5*se)
		}
	}
	cross := g.CrossCov()
	for d := range 2 {
		va, vb := g.A[d]*g.A[d], g.B[d]*g.B[d]
		mx, my, cxy := crossMoment(s.PairX, d, s.PairY, d)
		_, _, vx := crossMoment(s.PairX, d, s.PairX, d)
		_, _, vy := crossMoment(s.PairY, d, s.PairY, d)
		check("pair mean x", mx, g.MuX[d], math.Sqrt(va/n))
		check("pair mean y", my, g.MuY[d], math.Sqrt(vb/n))
		check("pair var x", vx, va, va*math.Sqrt(2.0/n))
		check("pair var y", vy, vb, vb*math.Sqrt(2.0/n))
		check("pair cov(x,y)", cxy, cross[d], math.Sqrt((va*vb+cross[d]*cross[d])/n))
		_, _, off := crossMoment(s.PairX, d, s.PairY, 1-d)
		check("pair cov across dimensions", off, 0, math.Sqrt(va*g.B[1-d]*g.B[1-d]/n))

		ms, _, vs := crossMoment(s.SourceX, d, s.SourceX, d)
		check("source mean", ms, g.MuX[d], math.Sqrt(va/n))
		check("source var", vs, va, va*math.Sqrt(2.0/n))
		mt, _, vt := crossMoment(s.TargetY, d, s.TargetY, d)
		check("target mean", mt, g.MuY[d], math.Sqrt(vb/n))
		check("target var", vt, vb, vb*math.Sqrt(2.0/n))
	}
	x0 := []float64{2, 1}
	c := g.SampleCond(rng, x0, n)
	mean, cv := make([]float64, 2), g.CondVar()
	g.CondMean(x0, mean)
	for d := range 2 {
		m, _, v := crossMoment(c, d, c, d)
		check("conditional mean", m, mean[d], math.Sqrt(cv[d]/n))
		check("conditional var", v, cv[d], cv[d]*math.Sqrt(2.0/n))
	}
}

func TestGaussianStreamsAreReproducible(t *testing.T) {
	g := DefaultGaussianEOT(3, 0.5)
	a := g.Streams(rand.New(rand.NewPCG(7, 7)), 10, 5, 5)
	b := g.Streams(rand.New(rand.NewPCG(7, 7)), 10, 5, 5)
	sameStreams(t, a, b)
	c := g.Streams(rand.New(rand.NewPCG(8, 7)), 10, 5, 5)
	if c.PairX.Data[0] == a.PairX.Data[0] {
		t.Fatal("another seed gave the same data")
	}
}

func TestGaussianValidate(t *testing.T) {
	if err := DefaultGaussianEOT(5, 1).Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []GaussianEOT{
		{},
		{MuX: []float64{0}, A: []float64{1}, MuY: []float64{0, 1}, B: []float64{1}, Eps: 1},
		{MuX: []float64{0}, A: []float64{0}, MuY: []float64{0}, B: []float64{1}, Eps: 1},
		{MuX: []float64{0}, A: []float64{1}, MuY: []float64{0}, B: []float64{-1}, Eps: 1},
		{MuX: []float64{math.NaN()}, A: []float64{1}, MuY: []float64{0}, B: []float64{1}, Eps: 1},
		{MuX: []float64{0}, A: []float64{1}, MuY: []float64{0}, B: []float64{1}, Eps: 0},
		{MuX: []float64{0}, A: []float64{1}, MuY: []float64{0}, B: []float64{1}, Eps: math.Inf(1)},
	}
	for _, g := range bad {
		if err := g.Validate(); err == nil {
			t.Errorf("%+v accepted", g)
		}
	}
}
