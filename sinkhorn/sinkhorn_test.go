package sinkhorn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func randPoints(rng *rand.Rand, n, d int, shift float64) []float64 {
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64() + shift
	}
	return x
}

func randWeights(rng *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.2 + rng.Float64()
	}
	return w
}

func costMatrix(p *Problem) []float64 {
	if p.Cost == CostMatrix {
		return p.C
	}
	f := pointCost(p.Cost, p.Func)
	c := make([]float64, p.N*p.M)
	for i := range p.N {
		for j := range p.M {
			c[i*p.M+j] = f(p.X[i*p.D:(i+1)*p.D], p.Y[j*p.D:(j+1)*p.D])
		}
	}
	return c
}

func normalised(w []float64, n int) []float64 {
	out, err := normalise(w, n, "test")
	if err != nil {
		panic(err)
	}
	return out
}

// denseScaling is the textbook Sinkhorn loop, written independently of the
// package: v = b / Kᵀu, u = a / Kv, iters times, from u = 1; it returns the
// plan diag(u) K diag(v).
func denseScaling(c, a, b []float64, n, m int, eps float64, iters int) []float64 {
	k := make([]float64, n*m)
	for i := range k {
		k[i] = math.Exp(-c[i] / eps)
	}
	u, v := make([]float64, n), make([]float64, m)
	for i := range u {
		u[i] = 1
	}
	for range iters {
		for j := range m {
			var s float64
			for i := range n {
				s += k[i*m+j] * u[i]
			}
			v[j] = b[j] / s
		}
		for i := range n {
			var s float64
			for j := range m {
				s += k[i*m+j] * v[j]
			}
			u[i] = a[i] / s
		}
	}
	p := make([]float64, n*m)
	for i := range n {
		for j := range m {
			p[i*m+j] = u[i] * k[i*m+j] * v[j]
		}
	}
	return p
}

func requireClose(t *testing.T, what string, got, want []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for k := range want {
		if math.Abs(got[k]-want[k]) > rel*math.Abs(want[k]) {
			t.Fatalf("%s[%d] = %.17g, want %.17g (relative tolerance %g)", what, k, got[k], want[k], rel)
		}
	}
}

var ctx = context.Background()

// TestAgreesWithDenseScalingLoop: with the tolerance disabled, every solver
// produces the plan of the textbook loop after the same number of
// iterations, on weighted problems with n ≠ m and d up to 64.
func TestAgreesWithDenseScalingLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, d := range []int{1, 3, 64} {
		n, m := 23, 17
		p := &Problem{X: randPoints(rng, n, d, 0), Y: randPoints(rng, m, d, 0.5), N: n, M: m, D: d,
			A: randWeights(rng, n), B: randWeights(rng, m)}
		c := costMatrix(p)
		eps := 0.3 * float64(d)
		want := denseScaling(c, normalised(p.A, n), normalised(p.B, m), n, m, eps, 40)
		for _, tc := range []struct {
			name string
			opt  Options
		}{
			{"log", Options{Method: LogDomain}},
			{"kernel", Options{Method: Kernel}},
			{"online", Options{Online: true}},
			{"log-2-threads", Options{Method: LogDomain, Threads: 2}},
			{"kernel-3-threads", Options{Method: Kernel, Threads: 3}},
		} {
			opt := tc.opt
			opt.Eps, opt.Tol, opt.MaxIter = eps, -1, 40
			r, err := Solve(ctx, p, opt)
			if err != nil {
				t.Fatalf("d=%d %s: %v", d, tc.name, err)
			}
			if r.Iterations != 40 || r.Converged {
				t.Errorf("d=%d %s: %d iterations, converged %v; want exactly 40, not converged", d, tc.name, r.Iterations, r.Converged)
			}
			requireClose(t, tc.name+" plan", r.Plan(), want, 1e-12)
		}
	}
}

// TestMarginalsAndReportedError: the returned plan has exact row marginals,
// its column L1 error is within the tolerance, and the reported error is the
// one of that plan.
func TestMarginalsAndReportedError(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	n, m := 60, 45
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, m, 2, 1), N: n, M: m, D: 2, A: randWeights(rng, n), B: randWeights(rng, m)}
	for _, method := range []Method{LogDomain, Kernel} {
		const tol = 1e-8
		r, err := Solve(ctx, p, Options{Eps: 0.2, Tol: tol, Method: method, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		plan := r.Plan()
		col := make([]float64, m)
		for i := range n {
			row := plan[i*m : (i+1)*m]
			var s float64
			for j, v := range row {
				s += v
				col[j] += v
			}
			if math.Abs(s-r.A[i]) > 1e-14 {
				t.Fatalf("%v: row %d sums to %v, want %v", method, i, s, r.A[i])
			}
		}
		var e float64
		for j := range col {
			e += math.Abs(col[j] - r.B[j])
		}
		if !r.Converged || e > tol || math.Abs(e-r.MarginalError()) > 1e-13 {
			t.Errorf("%v: converged %v, plan's column error %.3g, reported %.3g, tolerance %g", method, r.Converged, e, r.MarginalError(), tol)
		}
		// Cost and objective from the dense plan.
		c := costMatrix(p)
		var cost, kl float64
		for k, v := range plan {
			if v > 0 {
				ab := r.A[k/m] * r.B[k%m]
				cost += v * c[k]
				kl += v*math.Log(v/ab) - v + ab
			}
		}
		if math.Abs(cost-r.Cost) > 1e-12*cost || math.Abs(cost+r.Eps*kl-r.Objective) > 1e-11*math.Abs(r.Objective) {
			t.Errorf("%v: cost %v objective %v, from the plan %v and %v", method, r.Cost, r.Objective, cost, cost+r.Eps*kl)
		}
	}
}

// TestLogAndKernelAgree at convergence, and both agree with the online mode
// bit for bit where they share the arithmetic (log vs online).
func TestLogAndKernelAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	n, m := 80, 70
	p := &Problem{X: randPoints(rng, n, 3, 0), Y: randPoints(rng, m, 3, 0.3), N: n, M: m, D: 3}
	opt := Options{Eps: 0.5, Tol: 1e-12, Threads: 2}
	opt.Method = LogDomain
	lr, err := Solve(ctx, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Method = Kernel
	kr, err := Solve(ctx, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if kr.Method != Kernel || kr.FellBack {
		t.Fatalf("kernel run used %v (fell back %v)", kr.Method, kr.FellBack)
	}
	requireClose(t, "kernel vs log plan", kr.Plan(), lr.Plan(), 1e-9)
	if math.Abs(kr.Objective-lr.Objective) > 1e-10 {
		t.Errorf("objectives differ: kernel %v, log %v", kr.Objective, lr.Objective)
	}
	opt.Method, opt.Online = LogDomain, true
	or, err := Solve(ctx, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(or.F, lr.F) || !slices.Equal(or.G, lr.G) || or.Iterations != lr.Iterations {
		t.Error("online mode differs from the stored-cost log domain")
	}
}

// TestSmallEpsilonLimit1D: in 1-D with equal uniform clouds, as ε → 0 the
// entropic plan tends to the sorted matching, whose cost is known exactly.
// At ε = 1e-4 × median cost the kernel underflows (the textbook loop gives
// NaN), the kernel solver falls back, and the log domain converges.
func TestSmallEpsilonLimit1D(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	n := 30
	x, y := randPoints(rng, n, 1, 0), randPoints(rng, n, 1, 2)
	p := &Problem{X: x, Y: y, N: n, M: n, D: 1}
	xs, ys := slices.Clone(x), slices.Clone(y)
	slices.Sort(xs)
	slices.Sort(ys)
	var exact float64
	for i := range xs {
		exact += (xs[i] - ys[i]) * (xs[i] - ys[i]) / float64(n)
	}
	for _, method := range []Method{Kernel, LogDomain} {
		r, err := Solve(ctx, p, Options{Eps: 1e-4, EpsRelativeToMedianCost: true, Tol: 1e-7, Method: method, MaxIter: 50000})
		if err != nil {
			t.Fatalf("%v: %v", method, err)
		}
		if method == Kernel && !r.FellBack {
			t.Errorf("kernel solver did not fall back at ε = %g", r.Eps)
		}
		if r.Method != LogDomain || !r.Converged {
			t.Errorf("%v: finished with %v, converged %v", method, r.Method, r.Converged)
		}
		if math.Abs(r.Cost-exact) > 1e-3*exact {
			t.Errorf("%v: entropic cost %v at ε = %g, sorted matching %v", method, r.Cost, r.Eps, exact)
		}
		// The barycentric map sends the k-th smallest x to the k-th smallest y.
		bm, err := r.BarycentricMap()
		if err != nil {
			t.Fatal(err)
		}
		for i, xi := range x {
			k, _ := slices.BinarySearch(xs, xi)
			if math.Abs(bm[i]-ys[k]) > 1e-2 {
				t.Fatalf("%v: T(x_%d) = %v, sorted matching gives %v", method, i, bm[i], ys[k])
			}
		}
		if method == LogDomain {
			c := costMatrix(p)
			plain := denseScaling(c, normalised(nil, n), normalised(nil, n), n, n, r.Eps, 5)
			if !slices.ContainsFunc(plain, math.IsNaN) {
				t.Errorf("the textbook kernel loop did not underflow at ε = %g", r.Eps)
			}
		}
	}
}

// TestGaussianClosedForm: between N(0, a) and N(μ, b) with cost (x − y)², the
// entropic plan is Gaussian with cross-covariance c solving
// c / (ab − c²) = 2/ε, i.e. c = (√(ε² + 16ab) − ε)/4. With 1500 samples each
// the discrete plan's cross-covariance matches within a 2% sampling
// tolerance (evaluated with the sample variances). (At 1500 points the
// discretisation error is ~1%.)
func TestGaussianClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	n := 1500
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
		y[i] = 1 + 1.5*rng.NormFloat64()
	}
	for _, eps := range []float64{0.5, 2} {
		r, err := Solve(ctx, &Problem{X: x, Y: y, N: n, M: n, D: 1}, Options{Eps: eps, Tol: 1e-9, Annealing: AnnealOff})
		if err != nil {
			t.Fatal(err)
		}
		mx, my := mean(x), mean(y)
		va, vb := variance(x, mx), variance(y, my)
		want := (math.Sqrt(eps*eps+16*va*vb) - eps) / 4
		var got float64
		err = r.PlanRows(ctx, func(i int, row []float64) error {
			for j, pij := range row {
				got += pij * (x[i] - mx) * (y[j] - my)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 0.02*want {
			t.Errorf("ε=%g: plan cross-covariance %v, closed form %v", eps, got, want)
		}
		t.Logf("ε=%g: plan cross-covariance %v, closed form %v (%d iterations, %v)", eps, got, want, r.Iterations, r.Method)
	}
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func variance(v []float64, m float64) float64 {
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return s / float64(len(v))
}

// TestZeroWeights: zero-weight points carry no mass, the rest of the plan is
// the plan of the problem without them, and their potentials are the
// c-transforms.
func TestZeroWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	n, m, d := 12, 10, 2
	x, y := randPoints(rng, n, d, 0), randPoints(rng, m, d, 1)
	a, b := randWeights(rng, n), randWeights(rng, m)
	a[0], a[5], b[3] = 0, 0, 0
	var keepI, keepJ []int
	for i, v := range a {
		if v > 0 {
			keepI = append(keepI, i)
		}
	}
	for j, v := range b {
		if v > 0 {
			keepJ = append(keepJ, j)
		}
	}
	sub := &Problem{N: len(keepI), M: len(keepJ), D: d}
	for _, i := range keepI {
		sub.X = append(sub.X, x[i*d:(i+1)*d]...)
		sub.A = append(sub.A, a[i])
	}
	for _, j := range keepJ {
		sub.Y = append(sub.Y, y[j*d:(j+1)*d]...)
		sub.B = append(sub.B, b[j])
	}
	for _, method := range []Method{LogDomain, Kernel} {
		opt := Options{Eps: 0.4, Tol: 1e-11, Method: method}
		full, err := Solve(ctx, &Problem{X: x, Y: y, N: n, M: m, D: d, A: a, B: b}, opt)
		if err != nil {
			t.Fatal(err)
		}
		part, err := Solve(ctx, sub, opt)
		if err != nil {
			t.Fatal(err)
		}
		fp, pp := full.Plan(), part.Plan()
		for i := range n {
			for j := range m {
				v := fp[i*m+j]
				if (a[i] == 0 || b[j] == 0) && v != 0 {
					t.Fatalf("%v: mass %v on zero-weight pair (%d, %d)", method, v, i, j)
				}
			}
		}
		for si, i := range keepI {
			for sj, j := range keepJ {
				if w := pp[si*len(keepJ)+sj]; math.Abs(fp[i*m+j]-w) > 1e-9*w {
					t.Fatalf("%v: plan (%d, %d) = %v, without zero weights %v", method, i, j, fp[i*m+j], w)
				}
			}
		}
		// c-transform of the zero-weight target j = 3.
		c := costMatrix(&Problem{X: x, Y: y, N: n, M: m, D: d})
		var s float64
		for _, i := range keepI {
			s += full.A[i] * math.Exp((full.F[i]-c[i*m+3])/full.Eps)
		}
		if want := -full.Eps * math.Log(s); math.Abs(full.G[3]-want) > 1e-9 {
			t.Errorf("%v: zero-weight target potential %v, c-transform %v", method, full.G[3], want)
		}
		for _, v := range append(slices.Clone(full.F), full.G...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%v: non-finite potential", method)
			}
		}
	}
}

// TestDuplicatedPoints: duplicated sources get identical plan rows.
func TestDuplicatedPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	n, m := 20, 15
	x := randPoints(rng, n, 2, 0)
	copy(x[2:4], x[0:2])
	copy(x[10:12], x[0:2])
	y := randPoints(rng, m, 2, 0)
	copy(y[4:6], y[6:8])
	r, err := Solve(ctx, &Problem{X: x, Y: y, N: n, M: m, D: 2}, Options{Eps: 0.1, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	plan := r.Plan()
	requireClose(t, "duplicate row", plan[1*m:2*m], plan[0:m], 1e-12)
	requireClose(t, "duplicate row", plan[5*m:6*m], plan[0:m], 1e-12)
	for i := range n {
		if math.Abs(plan[i*m+2]-plan[i*m+3]) > 1e-12*plan[i*m+3] {
			t.Fatalf("duplicate targets get %v and %v from row %d", plan[i*m+2], plan[i*m+3], i)
		}
	}
}

// TestTolerancesHonoured: a looser tolerance stops earlier, and every run
// stops at the first iteration whose error is within its tolerance.
func TestTolerancesHonoured(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	n := 100
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, n, 2, 1), N: n, M: n, D: 2}
	prev := math.MaxInt
	for _, tol := range []float64{1e-12, 1e-9, 1e-6, 1e-3} {
		r, err := Solve(ctx, p, Options{Eps: 0.5, Tol: tol, Annealing: AnnealOff, Method: LogDomain})
		if err != nil {
			t.Fatal(err)
		}
		h := r.MarginalErrors
		if len(h) != r.Iterations || h[len(h)-1] > tol {
			t.Fatalf("tol %g: %d iterations, history %d, final %g", tol, r.Iterations, len(h), h[len(h)-1])
		}
		for _, e := range h[:len(h)-1] {
			if e <= tol {
				t.Fatalf("tol %g: kept iterating after error %g", tol, e)
			}
		}
		if r.Iterations >= prev {
			t.Errorf("tol %g took %d iterations, tighter tolerance took %d", tol, r.Iterations, prev)
		}
		prev = r.Iterations
	}
}

func TestNotConvergedStillReturnsResult(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n := 30
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, n, 2, 1), N: n, M: n, D: 2}
	r, err := Solve(ctx, p, Options{Eps: 0.01, Tol: 1e-12, MaxIter: 3, Annealing: AnnealOff})
	if !errors.Is(err, ErrNotConverged) || r == nil {
		t.Fatalf("got result %v, error %v; want a result and ErrNotConverged", r != nil, err)
	}
	var nc *NotConvergedError
	if !errors.As(err, &nc) || nc.Iterations != 3 || nc.MarginalError != r.MarginalError() || r.Converged {
		t.Errorf("error %+v, result error %v converged %v", nc, r.MarginalError(), r.Converged)
	}
}

// TestEpsScalingSavesIterations: at ε = 1e-3 × median cost and tolerance
// 1e-9, annealing reaches the same plan in fewer total iterations.
func TestEpsScalingSavesIterations(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8)) // a well-separated instance: plain Sinkhorn converges in ~7600 iterations
	n := 100
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = rng.Float64()
		y[i] = 0.5 + 2*rng.Float64()
	}
	p := &Problem{X: x, Y: y, N: n, M: n, D: 1}
	// Plain iterations: over-relaxation would take both below 500
	// iterations and is tested separately.
	opt := Options{Eps: 1e-3, EpsRelativeToMedianCost: true, Tol: 1e-9, MaxIter: 20000, Relaxation: 1}
	opt.Annealing = AnnealOff
	plain, err := Solve(ctx, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Annealing = AnnealOn
	ann, err := Solve(ctx, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plain log domain %d iterations, ε-scaling %d", plain.Iterations, ann.Iterations)
	if ann.Iterations >= plain.Iterations {
		t.Errorf("ε-scaling took %d iterations, plain %d", ann.Iterations, plain.Iterations)
	}
	if math.Abs(ann.Objective-plain.Objective) > 1e-6*math.Abs(plain.Objective) {
		t.Errorf("objectives differ: %v vs %v", ann.Objective, plain.Objective)
	}
}

func TestWarmStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	n := 50
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, n, 2, 1), N: n, M: n, D: 2}
	cold, err := Solve(ctx, p, Options{Eps: 0.1, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []Method{LogDomain, Kernel} {
		warm, err := Solve(ctx, p, Options{Eps: 0.1, Tol: 1e-10, Method: method, WarmF: cold.F, WarmG: cold.G})
		if err != nil {
			t.Fatal(err)
		}
		if warm.Iterations > 2 {
			t.Errorf("%v: warm start from the solution took %d iterations (cold %d)", method, warm.Iterations, cold.Iterations)
		}
	}
}

func TestDeterministicForThreadCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	n, m := 101, 77
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, m, 2, 1), N: n, M: m, D: 2}
	for _, method := range []Method{LogDomain, Kernel} {
		opt := Options{Eps: 0.05, Tol: 1e-9, Method: method, Threads: 3}
		r1, err1 := Solve(ctx, p, opt)
		r2, err2 := Solve(ctx, p, opt)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !slices.Equal(r1.F, r2.F) || !slices.Equal(r1.G, r2.G) || r1.Objective != r2.Objective {
			t.Errorf("%v: two runs with 3 threads differ", method)
		}
	}
}

// TestSamplePairs: empirical pair frequencies match the plan within 5
// binomial standard deviations (fixed seed).
func TestSamplePairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	n, m := 5, 4
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, m, 2, 0), N: n, M: m, D: 2, A: []float64{1, 0, 2, 1, 1}}
	r, err := Solve(ctx, p, Options{Eps: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	const k = 200000
	pairs := r.SamplePairs(rand.New(rand.NewPCG(1, 2)), k)
	counts := make([]float64, n*m)
	for _, pr := range pairs {
		counts[pr.I*m+pr.J]++
	}
	for idx, pij := range r.Plan() {
		sd := math.Sqrt(k * pij * (1 - pij))
		if math.Abs(counts[idx]-k*pij) > 5*sd+1e-9 {
			t.Errorf("pair %d: %v draws, expected %v ± %v", idx, counts[idx], k*pij, sd)
		}
	}
	again := r.SamplePairs(rand.New(rand.NewPCG(1, 2)), k)
	if !slices.Equal(pairs, again) {
		t.Error("same seed gave different pairs")
	}
}

func TestBarycentricMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	n, m, d := 9, 7, 3
	p := &Problem{X: randPoints(rng, n, d, 0), Y: randPoints(rng, m, d, 0), N: n, M: m, D: d, A: []float64{1, 1, 0, 1, 1, 1, 1, 1, 1}}
	r, err := Solve(ctx, p, Options{Eps: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	bm, err := r.BarycentricMap()
	if err != nil {
		t.Fatal(err)
	}
	plan := r.Plan()
	c := costMatrix(p)
	for i := range n {
		// The zero-weight row uses its conditional exp((g_j − C_ij)/ε) b_j.
		w := make([]float64, m)
		var s float64
		for j := range m {
			if r.A[i] > 0 {
				w[j] = plan[i*m+j]
			} else {
				w[j] = r.B[j] * math.Exp((r.G[j]-c[i*m+j])/r.Eps)
			}
			s += w[j]
		}
		for k := range d {
			var want float64
			for j := range m {
				want += w[j] * p.Y[j*d+k] / s
			}
			if math.Abs(bm[i*d+k]-want) > 1e-12 {
				t.Errorf("T(x_%d)_%d = %v, want %v", i, k, bm[i*d+k], want)
			}
		}
	}
	if _, err := (&Result{}).BarycentricMap(); !errors.Is(err, ErrInvalidProblem) {
		t.Errorf("map without target points: %v", err)
	}
}

func TestDivergence(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	n, m, d := 70, 50, 2
	x, y := randPoints(rng, n, d, 0), randPoints(rng, m, d, 0.7)
	for _, eps := range []float64{1e-3, 0.1, 1} {
		same, err := Divergence(ctx, x, x, n, n, d, eps)
		if err != nil || same != 0 {
			t.Errorf("ε=%g: divergence of identical clouds %v (%v)", eps, same, err)
		}
		xy, err := Divergence(ctx, x, y, n, m, d, eps)
		if err != nil {
			t.Fatal(err)
		}
		yx, err := Divergence(ctx, y, x, m, n, d, eps)
		if err != nil {
			t.Fatal(err)
		}
		// Symmetric up to the effect of the default tolerance (1e-6) ...
		if xy <= 0 || math.Abs(xy-yx) > 1e-4*xy {
			t.Errorf("ε=%g: S(x,y) = %v, S(y,x) = %v", eps, xy, yx)
		}
		// ... and to the last digits with a tight one.
		if eps >= 0.1 {
			tight := Options{Tol: 1e-11}
			xy, err1 := Divergence(ctx, x, y, n, m, d, eps, tight)
			yx, err2 := Divergence(ctx, y, x, m, n, d, eps, tight)
			if err1 != nil || err2 != nil || math.Abs(xy-yx) > 1e-9*xy {
				t.Errorf("ε=%g, tolerance 1e-11: S(x,y) = %v, S(y,x) = %v (%v, %v)", eps, xy, yx, err1, err2)
			}
		}
		t.Logf("ε=%g: S = %v", eps, xy)
	}
	// Two clouds of the same distribution are closer than shifted ones.
	x2 := randPoints(rng, n, d, 0)
	near, err := Divergence(ctx, x, x2, n, n, d, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	far, err := Divergence(ctx, x, y, n, m, d, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if !(near >= -1e-8 && near < far) {
		t.Errorf("same-distribution divergence %v, shifted %v", near, far)
	}
}

func TestSolveBatchMatchesSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 16))
	problems := make([]*Problem, 40)
	for k := range problems {
		problems[k] = &Problem{X: randPoints(rng, 16, 2, 0), Y: randPoints(rng, 16, 2, 1), N: 16, M: 16, D: 2, Cost: Rotation}
	}
	opt := Options{Eps: 0.2, Tol: 1e-9, Threads: 2}
	res, err := SolveBatch(ctx, problems, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Threads = 1
	for k, p := range problems {
		r, err := Solve(ctx, p, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.F, res[k].F) || r.Iterations != res[k].Iterations || !res[k].Converged {
			t.Fatalf("problem %d differs from a single solve", k)
		}
	}
	// A bad problem is reported with its index, the others still solved.
	problems[3] = &Problem{N: 2, M: 2, D: 2, X: []float64{1}}
	res, err = SolveBatch(ctx, problems, opt)
	if !errors.Is(err, ErrInvalidProblem) || res[3] != nil || res[4] == nil {
		t.Errorf("bad problem: err %v", err)
	}
}

func TestRotationCost(t *testing.T) {
	x, y := []float64{1, 2}, []float64{0.5, -3}
	rp := []float64{3, 0.5}   // R₊y = (−y₂, y₁)
	rm := []float64{-3, -0.5} // R₋y = (y₂, −y₁)
	want := math.Min(math.Sqrt(sqDist(x, rp)), math.Sqrt(sqDist(x, rm)))
	if got := rotationCost(x, y); math.Abs(got-want) > 1e-15 {
		t.Errorf("rotation cost %v, want %v", got, want)
	}
	if _, err := Solve(ctx, &Problem{X: []float64{1, 2, 3}, Y: []float64{1, 2, 3}, N: 1, M: 1, D: 3, Cost: Rotation}, Options{Eps: 1}); !errors.Is(err, ErrInvalidProblem) {
		t.Errorf("3-D rotation cost: %v", err)
	}
}

func TestRelativeEpsUsesMedianCost(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	n, m := 31, 20 // 620 costs: an even count
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, m, 2, 0), N: n, M: m, D: 2}
	c := slices.Clone(costMatrix(p))
	slices.Sort(c)
	med := (c[len(c)/2-1] + c[len(c)/2]) / 2
	r, err := Solve(ctx, p, Options{Eps: 0.1, EpsRelativeToMedianCost: true})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Eps-0.1*med) > 1e-15 {
		t.Errorf("ε = %v, want 0.1 × median %v", r.Eps, med)
	}
}

func TestInvalidInput(t *testing.T) {
	good := func() *Problem {
		return &Problem{X: []float64{0, 1}, Y: []float64{1, 2}, N: 2, M: 2, D: 1}
	}
	cases := map[string]func(p *Problem){
		"short X":          func(p *Problem) { p.X = p.X[:1] },
		"NaN point":        func(p *Problem) { p.Y[0] = math.NaN() },
		"negative weight":  func(p *Problem) { p.A = []float64{1, -1} },
		"all-zero weights": func(p *Problem) { p.B = []float64{0, 0} },
		"weight length":    func(p *Problem) { p.B = []float64{1} },
		"no func":          func(p *Problem) { p.Cost = CostFunc },
		"matrix size":      func(p *Problem) { p.Cost, p.C = CostMatrix, []float64{1, 2, 3} },
		"Inf cost":         func(p *Problem) { p.Cost, p.C = CostMatrix, []float64{1, 2, 3, math.Inf(1)} },
		"no points":        func(p *Problem) { p.N = 0 },
	}
	for name, mutate := range cases {
		p := good()
		mutate(p)
		if _, err := Solve(ctx, p, Options{Eps: 1}); !errors.Is(err, ErrInvalidProblem) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, opt := range map[string]Options{
		"zero eps":       {},
		"NaN tol":        {Eps: 1, Tol: math.NaN()},
		"relaxation 2":   {Eps: 1, Relaxation: 2},
		"relaxation 0.5": {Eps: 1, Relaxation: 0.5},
		"bad factor":     {Eps: 1, AnnealFactor: 2},
		"warm length":    {Eps: 1, WarmF: []float64{1}},
		"online+C":       {Eps: 1, Online: true},
		"neg max iter":   {Eps: 1, MaxIter: -1},
	} {
		p := good()
		if name == "online+C" {
			p = &Problem{N: 2, M: 2, Cost: CostMatrix, C: []float64{0, 1, 1, 0}}
		}
		if _, err := Solve(ctx, p, opt); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A precomputed matrix needs no points, and a user function works.
	r, err := Solve(ctx, &Problem{N: 2, M: 2, Cost: CostMatrix, C: []float64{0, 1, 1, 0}}, Options{Eps: 0.1})
	if err != nil || r.Plan()[0] < 0.49 {
		t.Errorf("cost matrix problem: %v", err)
	}
	f := func(x, y []float64) float64 { return math.Abs(x[0] - y[0]) }
	r, err = Solve(ctx, &Problem{X: []float64{0, 1}, Y: []float64{1, 0}, N: 2, M: 2, D: 1, Cost: CostFunc, Func: f}, Options{Eps: 0.1})
	if err != nil || r.Plan()[1] < 0.49 {
		t.Errorf("cost function problem: %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	c, cancel := context.WithCancel(ctx)
	cancel()
	rng := rand.New(rand.NewPCG(18, 18))
	p := &Problem{X: randPoints(rng, 10, 2, 0), Y: randPoints(rng, 10, 2, 0), N: 10, M: 10, D: 2}
	if _, err := Solve(c, p, Options{Eps: 1, Threads: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled solve: %v", err)
	}
}

func TestNonFiniteCostFunction(t *testing.T) {
	f := func(x, y []float64) float64 { return math.Log(x[0] - y[0]) } // NaN for x < y
	p := &Problem{X: []float64{0, 1}, Y: []float64{0.5, 2}, N: 2, M: 2, D: 1, Cost: CostFunc, Func: f}
	if _, err := Solve(ctx, p, Options{Eps: 1}); !errors.Is(err, ErrInvalidProblem) {
		t.Errorf("NaN cost: %v", err)
	}
}

// TestAnnealingRespectsMaxIter: ε-scaling counts every stage's iterations,
// and the reported error belongs to a pass at the target ε.
func TestAnnealingRespectsMaxIter(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 20))
	n := 40
	p := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, n, 2, 1), N: n, M: n, D: 2}
	r, err := Solve(ctx, p, Options{Eps: 1e-3, Tol: 1e-9, MaxIter: 5, Annealing: AnnealOn})
	if !errors.Is(err, ErrNotConverged) || r.Iterations != 5 || len(r.MarginalErrors) != 5 {
		t.Fatalf("err %v, %d iterations, history %d", err, r.Iterations, len(r.MarginalErrors))
	}
	if r.Eps != 1e-3 {
		t.Errorf("result at ε = %v", r.Eps)
	}
	// The last history entry is the error of the returned plan.
	plan := r.Plan()
	var e float64
	for j := range n {
		var s float64
		for i := range n {
			s += plan[i*n+j]
		}
		e += math.Abs(s - r.B[j])
	}
	if math.Abs(e-r.MarginalError()) > 1e-10*e {
		t.Errorf("plan's error %v, reported %v", e, r.MarginalError())
	}
}
