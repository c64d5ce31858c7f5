package sinkhorn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/optim"
)

// semiDualCase is a random OT problem between point clouds in the unit
// square with squared Euclidean cost and non-uniform weights of mass 1.
type semiDualCase struct {
	n, m int
	cost []float64
	a, b []float64
	eps  float64
}

func newSemiDualCase(n, m int, eps float64, seed uint64) semiDualCase {
	rng := rand.New(rand.NewPCG(seed, 99))
	c := semiDualCase{n: n, m: m, eps: eps, cost: make([]float64, n*m), a: make([]float64, n), b: make([]float64, m)}
	x := make([]float64, 2*n)
	y := make([]float64, 2*m)
	for i := range x {
		x[i] = rng.Float64()
	}
	for j := range y {
		y[j] = rng.Float64()
	}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			dx, dy := x[2*i]-y[2*j], x[2*i+1]-y[2*j+1]
			c.cost[i*m+j] = dx*dx + dy*dy
		}
	}
	semiDualRandomWeights(c.a, rng)
	semiDualRandomWeights(c.b, rng)
	return c
}

func semiDualRandomWeights(w []float64, rng *rand.Rand) {
	var s float64
	for i := range w {
		w[i] = 0.5 + rng.Float64()
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
}

func semiDualLogSumExp(t []float64) float64 {
	top := math.Inf(-1)
	for _, v := range t {
		top = max(top, v)
	}
	var s float64
	for _, v := range t {
		s += math.Exp(v - top)
	}
	return top + math.Log(s)
}

// semiDualSinkhorn is a plain log-domain Sinkhorn loop, written
// independently of the solver under test. It returns the dual value
// Σ a f + Σ b g and the iteration count at an L1 column-marginal error of
// tol (rows are exact after each f update).
func semiDualSinkhorn(c semiDualCase, tol float64, maxIter int) (value float64, iters int) {
	f := make([]float64, c.n)
	g := make([]float64, c.m)
	rowT := make([]float64, c.m)
	colT := make([]float64, c.n)
	for iters = 1; iters <= maxIter; iters++ {
		for i := 0; i < c.n; i++ {
			for j := 0; j < c.m; j++ {
				rowT[j] = math.Log(c.b[j]) + (g[j]-c.cost[i*c.m+j])/c.eps
			}
			f[i] = -c.eps * semiDualLogSumExp(rowT)
		}
		var errL1 float64
		for j := 0; j < c.m; j++ {
			for i := 0; i < c.n; i++ {
				colT[i] = math.Log(c.a[i]) + (f[i]-c.cost[i*c.m+j])/c.eps
			}
			lse := semiDualLogSumExp(colT)
			// Column mass of the current plan before g moves: b_j·e^{(g_j/ε + lse)}.
			errL1 += math.Abs(c.b[j]*math.Exp(g[j]/c.eps+lse) - c.b[j])
			g[j] = -c.eps * lse
		}
		if errL1 <= tol {
			break
		}
	}
	for i := range f {
		value += c.a[i] * f[i]
	}
	for j := range g {
		value += c.b[j] * g[j]
	}
	return value, iters
}

func TestSemiDualGradientMatchesFiniteDifferences(t *testing.T) {
	c := newSemiDualCase(12, 9, 0.05, 1)
	obj, err := NewSemiDualObjective(c.cost, c.n, c.m, c.a, c.b, c.eps)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	g := make([]float64, c.m)
	for j := range g {
		g[j] = 0.1 * rng.NormFloat64()
	}
	grad := make([]float64, c.m)
	obj.FuncGrad(g, grad)
	scratch := make([]float64, c.m)
	const h = 1e-6
	for j := range g {
		gp := append([]float64(nil), g...)
		gm := append([]float64(nil), g...)
		gp[j] += h
		gm[j] -= h
		fd := (obj.FuncGrad(gp, scratch) - obj.FuncGrad(gm, scratch)) / (2 * h)
		if math.Abs(fd-grad[j]) > 1e-8 {
			t.Errorf("∂φ/∂g_%d: analytic %.12g, central difference %.12g", j, grad[j], fd)
		}
	}
	// The gradient is a marginal difference, so it sums to zero.
	var s float64
	for _, v := range grad {
		s += v
	}
	if math.Abs(s) > 1e-14 {
		t.Errorf("gradient sums to %g, want 0", s)
	}
}

func TestSemiDualSolvesEntropicOT(t *testing.T) {
	ctx := context.Background()
	for _, eps := range []float64{0.1, 0.02} {
		c := newSemiDualCase(40, 30, eps, 7)
		want, _ := semiDualSinkhorn(c, 1e-14, 100000)
		for _, method := range []optim.Method{optim.AcceleratedGRAAL, optim.AdaptiveGRAAL} {
			r, err := SemiDual(ctx, c.cost, c.n, c.m, c.a, c.b, eps, optim.Settings{Method: method, GradTol: 1e-11, MaxIter: 200000})
			if err != nil {
				t.Fatalf("ε=%g %v: %v", eps, method, err)
			}
			if math.Abs(r.Value-want) > 1e-9*math.Abs(want) {
				t.Errorf("ε=%g %v: value %.15g, Sinkhorn %.15g", eps, method, r.Value, want)
			}
			// The implied plan: rows exact, columns within the tolerance.
			var rowErr, colErr float64
			col := make([]float64, c.m)
			var cost float64
			for i := 0; i < c.n; i++ {
				var row float64
				for j := 0; j < c.m; j++ {
					p := c.a[i] * c.b[j] * math.Exp((r.F[i]+r.G[j]-c.cost[i*c.m+j])/eps)
					row += p
					col[j] += p
					cost += p * c.cost[i*c.m+j]
				}
				rowErr += math.Abs(row - c.a[i])
			}
			for j := range col {
				colErr += math.Abs(col[j] - c.b[j])
			}
			if rowErr > 1e-13 || colErr > 1e-9 || math.Abs(colErr-r.MarginalError) > 1e-12 {
				t.Errorf("ε=%g %v: marginal errors rows %g, columns %g (reported %g)", eps, method, rowErr, colErr, r.MarginalError)
			}
			if math.Abs(cost-r.TransportCost) > 1e-12 || cost > r.Value {
				t.Errorf("ε=%g %v: transport cost %g, reported %g, value %g", eps, method, cost, r.TransportCost, r.Value)
			}
			t.Logf("ε=%g %v: %d iterations, %d evaluations, value %.12g", eps, method, r.Iterations, r.Evaluations, r.Value)
		}
	}
}

func TestSemiDualInputs(t *testing.T) {
	ctx := context.Background()
	c := newSemiDualCase(4, 3, 0.1, 5)
	// Unnormalised weights give the same solution as normalised ones.
	a2 := make([]float64, len(c.a))
	for i := range a2 {
		a2[i] = 7 * c.a[i]
	}
	r1, err1 := SemiDual(ctx, c.cost, 4, 3, c.a, c.b, 0.1, optim.Settings{GradTol: 1e-12})
	r2, err2 := SemiDual(ctx, c.cost, 4, 3, a2, c.b, 0.1, optim.Settings{GradTol: 1e-12})
	if err1 != nil || err2 != nil || math.Abs(r1.Value-r2.Value) > 1e-12 {
		t.Errorf("normalisation: %v %v, values %v %v", err1, err2, r1.Value, r2.Value)
	}
	nan := append([]float64(nil), c.cost...)
	nan[5] = math.NaN()
	for name, call := range map[string]func() error{
		"short cost": func() error { _, err := SemiDual(ctx, c.cost[:11], 4, 3, c.a, c.b, 0.1, optim.Settings{}); return err },
		"negative a": func() error {
			_, err := SemiDual(ctx, c.cost, 4, 3, []float64{1, -1, 1, 1}, c.b, 0.1, optim.Settings{})
			return err
		},
		"zero mass b": func() error {
			_, err := SemiDual(ctx, c.cost, 4, 3, c.a, []float64{0, 0, 0}, 0.1, optim.Settings{})
			return err
		},
		"zero eps": func() error { _, err := SemiDual(ctx, c.cost, 4, 3, c.a, c.b, 0, optim.Settings{}); return err },
		"NaN cost": func() error { _, err := SemiDual(ctx, nan, 4, 3, c.a, c.b, 0.1, optim.Settings{}); return err },
	} {
		if err := call(); !errors.Is(err, ErrSemiDualInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := SemiDual(ctx, c.cost, 4, 3, c.a, c.b, 0.1, optim.Settings{Theta: -1}); !errors.Is(err, optim.ErrInvalidConfig) {
		t.Errorf("bad settings: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	r, err := SemiDual(cancelled, c.cost, 4, 3, c.a, c.b, 0.1, optim.Settings{})
	if !errors.Is(err, context.Canceled) || len(r.G) != 3 {
		t.Errorf("cancelled: %v (result %+v)", err, r)
	}
	// A target with zero weight receives no mass.
	r, err = SemiDual(ctx, c.cost, 4, 3, c.a, []float64{0.5, 0, 0.5}, 0.1, optim.Settings{GradTol: 1e-12})
	if err != nil || r.MarginalError > 1e-11 {
		t.Errorf("empty target: %v, marginal error %g", err, r.MarginalError)
	}
}

// Benchmarks: the same 200×200 problem solved to a marginal error of about
// 1e-8 by accelerated GRAAL, GRAAL and the plain log-domain Sinkhorn loop
// of the tests. "evals" counts passes over the cost matrix (a Sinkhorn
// iteration is two). gonum's L-BFGS on the same objective is benchmarked
// from BENCHMARKS.optim.md: gonum/optimize imports stat/distmv, whose
// golang.org/x/tools dependency has no go.sum entry in this module yet.
const (
	semiDualBenchN   = 200
	semiDualBenchTol = 1e-8
)

func benchmarkSemiDualGRAAL(b *testing.B, eps float64, method optim.Method) {
	c := newSemiDualCase(semiDualBenchN, semiDualBenchN, eps, 11)
	var r SemiDualResult
	for b.Loop() {
		var err error
		r, err = SemiDual(context.Background(), c.cost, c.n, c.m, c.a, c.b, eps, optim.Settings{Method: method, GradTol: semiDualBenchTol, MaxIter: 1000000})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Iterations), "iters")
	b.ReportMetric(float64(r.Evaluations), "evals")
	b.ReportMetric(r.MarginalError*1e9, "marg-L1/1e-9")
}

func benchmarkSemiDualSinkhorn(b *testing.B, eps float64) {
	c := newSemiDualCase(semiDualBenchN, semiDualBenchN, eps, 11)
	var iters int
	for b.Loop() {
		// An L1 tolerance of √m·tol matches the others' Euclidean tolerance.
		_, iters = semiDualSinkhorn(c, semiDualBenchTol*math.Sqrt(float64(c.m)), 1000000)
	}
	b.ReportMetric(float64(iters), "iters")
	b.ReportMetric(float64(2*iters), "evals")
}

func BenchmarkSemiDualAccGRAALEps0_05(b *testing.B) {
	benchmarkSemiDualGRAAL(b, 0.05, optim.AcceleratedGRAAL)
}
func BenchmarkSemiDualGRAALEps0_05(b *testing.B) {
	benchmarkSemiDualGRAAL(b, 0.05, optim.AdaptiveGRAAL)
}
func BenchmarkSemiDualSinkhornEps0_05(b *testing.B) {
	benchmarkSemiDualSinkhorn(b, 0.05)
}
func BenchmarkSemiDualAccGRAALEps0_01(b *testing.B) {
	benchmarkSemiDualGRAAL(b, 0.01, optim.AcceleratedGRAAL)
}
func BenchmarkSemiDualGRAALEps0_01(b *testing.B) {
	benchmarkSemiDualGRAAL(b, 0.01, optim.AdaptiveGRAAL)
}
func BenchmarkSemiDualSinkhornEps0_01(b *testing.B) {
	benchmarkSemiDualSinkhorn(b, 0.01)
}
func BenchmarkSemiDualAccGRAALEps0_002(b *testing.B) {
	benchmarkSemiDualGRAAL(b, 0.002, optim.AcceleratedGRAAL)
}
func BenchmarkSemiDualGRAALEps0_002(b *testing.B) {
	benchmarkSemiDualGRAAL(b, 0.002, optim.AdaptiveGRAAL)
}
func BenchmarkSemiDualSinkhornEps0_002(b *testing.B) {
	benchmarkSemiDualSinkhorn(b, 0.002)
}
