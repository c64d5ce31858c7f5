package sinkhorn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/internal/cputime"
)

func TestAnnealedScheduleWorkedExamples(t *testing.T) {
	// geometric lists diameter²·(scaling²)^k, k = 0 … K−1, for the K with
	// diameter·scaling^(K−1) > blur ≥ diameter·scaling^K.
	geometric := func(diameter, scaling float64, k int) []float64 {
		out := make([]float64, k)
		for i := range out {
			out[i] = diameter * diameter * math.Pow(scaling*scaling, float64(i))
		}
		return out
	}
	cat := func(parts ...[]float64) []float64 {
		var out []float64
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, c := range []struct {
		name                    string
		diameter, blur, scaling float64
		want                    []float64
	}{
		// The demo's setting: blur = √1e-3, a Swiss-roll diameter of 5.5;
		// 5.5·0.5^7 = 0.043 > 0.0316 ≥ 5.5·0.5^8 = 0.021, so 8 terms.
		{"swiss roll", 5.5, math.Sqrt(1e-3), 0.5, cat([]float64{30.25}, geometric(5.5, 0.5, 8), []float64{1e-3})},
		// 2·0.9^6 = 1.06 > 1 ≥ 2·0.9^7 = 0.96: 7 terms.
		{"slow cooling", 2, 1, 0.9, cat([]float64{4}, geometric(2, 0.9, 7), []float64{1})},
		// log(blur/diameter)/log(scaling) = 0.43: one term.
		{"one stage", 1, 0.74, 0.5, []float64{1, 1, 0.74 * 0.74}},
		// The diameter is already below the blur: arange is empty.
		{"diameter below blur", 0.1, 0.5, 0.5, []float64{0.01, 0.25}},
		{"diameter equals blur", 0.3, 0.3, 0.5, []float64{0.09, 0.09}},
	} {
		got, err := AnnealedSchedule(c.diameter, c.blur, c.scaling)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s: %d stages %v, want %d %v", c.name, len(got), got, len(c.want), c.want)
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-13*c.want[i] {
				t.Errorf("%s: ε[%d] = %v, want %v", c.name, i, got[i], c.want[i])
			}
		}
	}
	for _, c := range [][3]float64{{0, 1, 0.5}, {1, 0, 0.5}, {1, 1, 1}, {1, 1, 0}, {math.Inf(1), 1, 0.5}, {1, math.NaN(), 0.5}, {1e3, 1e-3, 0.999999}} {
		if _, err := AnnealedSchedule(c[0], c[1], c[2]); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("schedule%v: error %v, want ErrInvalidOptions", c, err)
		}
	}
}

// referenceAnnealed is geomloss's estimator written out plainly, for tiny
// clouds: explicit cost matrices, math.Exp, a schedule built by repeated
// multiplication of the blur radius, and every step spelled out.
func referenceAnnealed(x, y []float64, n, m, d int, eps, scaling float64) float64 {
	cost := func(u, v []float64, nu, nv int) [][]float64 {
		c := make([][]float64, nu)
		for i := range c {
			c[i] = make([]float64, nv)
			for j := range c[i] {
				var s float64
				for k := range d {
					s += (u[i*d+k] - v[j*d+k]) * (u[i*d+k] - v[j*d+k])
				}
				c[i][j] = s / 2
			}
		}
		return c
	}
	cxy, cyx, cxx, cyy := cost(x, y, n, m), cost(y, x, m, n), cost(x, x, n, n), cost(y, y, m, m)
	var diam2 float64
	for k := range d {
		lo, hi := x[k], x[k]
		for i := range n {
			lo, hi = min(lo, x[i*d+k]), max(hi, x[i*d+k])
		}
		for j := range m {
			lo, hi = min(lo, y[j*d+k]), max(hi, y[j*d+k])
		}
		diam2 += (hi - lo) * (hi - lo)
	}
	diam, blur := math.Sqrt(diam2), math.Sqrt(eps)
	sched := []float64{diam2}
	for r := diam; r > blur; r *= scaling {
		sched = append(sched, r*r)
	}
	sched = append(sched, eps)

	// softmin over the columns of c with uniform weights 1/len(g).
	softmin := func(c [][]float64, g []float64, e float64) []float64 {
		out := make([]float64, len(c))
		for i, row := range c {
			best := math.Inf(-1)
			for j := range row {
				best = max(best, (g[j]-row[j])/e)
			}
			var s float64
			for j := range row {
				s += math.Exp((g[j]-row[j])/e - best)
			}
			out[i] = -e * (best + math.Log(s/float64(len(g))))
		}
		return out
	}
	avg := func(old, upd []float64) []float64 {
		out := make([]float64, len(old))
		for i := range old {
			out[i] = (old[i] + upd[i]) / 2
		}
		return out
	}
	zn, zm := make([]float64, n), make([]float64, m)
	e0 := sched[0]
	fab, gab, faa, gbb := softmin(cxy, zm, e0), softmin(cyx, zn, e0), softmin(cxx, zn, e0), softmin(cyy, zm, e0)
	for _, e := range sched {
		nfab, ngab, nfaa, ngbb := softmin(cxy, gab, e), softmin(cyx, fab, e), softmin(cxx, faa, e), softmin(cyy, gbb, e)
		fab, gab, faa, gbb = avg(fab, nfab), avg(gab, ngab), avg(faa, nfaa), avg(gbb, ngbb)
	}
	e := sched[len(sched)-1]
	fab, gab, faa, gbb = softmin(cxy, gab, e), softmin(cyx, fab, e), softmin(cxx, faa, e), softmin(cyy, gbb, e)
	var v float64
	for i := range n {
		v += (fab[i] - faa[i]) / float64(n)
	}
	for j := range m {
		v += (gab[j] - gbb[j]) / float64(m)
	}
	return v
}

func TestAnnealedMatchesPlainReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 1))
	for _, c := range []struct {
		n, m, d      int
		eps, scaling float64
	}{
		{2, 2, 2, 1e-3, 0.5},
		{2, 3, 2, 0.05, 0.5},
		{3, 2, 1, 0.2, 0.7},
		{4, 5, 3, 1e-2, 0.5},
		{2, 2, 2, 100, 0.5}, // blur above the diameter
	} {
		x, y := make([]float64, c.n*c.d), make([]float64, c.m*c.d)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range y {
			y[i] = 0.5 + rng.NormFloat64()
		}
		got, err := AnnealedDivergence(ctx, x, y, c.n, c.m, c.d, c.eps, c.scaling, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := referenceAnnealed(x, y, c.n, c.m, c.d, c.eps, c.scaling)
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%+v: %v, reference %v", c, got, want)
		}
	}
}

// TestAnnealedSinglePoints: between two Diracs every potential pair sums to
// the cost after the first averaged step, so the value is ½‖x − y‖²
// whatever the schedule.
func TestAnnealedSinglePoints(t *testing.T) {
	for _, eps := range []float64{1e-3, 0.1, 10} {
		got, err := AnnealedDivergence(ctx, []float64{0.3, -1}, []float64{2, 0.5}, 1, 1, 2, eps, 0.5, 0)
		want := 0.5 * (1.7*1.7 + 1.5*1.5)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("ε = %v: %v (%v), want %v", eps, got, err, want)
		}
	}
	if got, err := AnnealedDivergence(ctx, []float64{1, 1, 1, 1}, []float64{1, 1}, 2, 1, 2, 1e-3, 0, 0); got != 0 || err != nil {
		t.Errorf("coincident points: %v (%v), want 0", got, err)
	}
}

func TestAnnealedZeroForIdenticalClouds(t *testing.T) {
	n := 300
	x := swissRoll(rand.New(rand.NewPCG(72, 1)), n)
	y := append([]float64(nil), x...)
	got, err := AnnealedDivergence(ctx, x, y, n, n, 2, 1e-3, 0, 0)
	if err != nil || got != 0 {
		t.Errorf("S(α, α) = %v (%v), want exactly 0", got, err)
	}
}

// TestAnnealedTendsToConverged: geomloss's estimator takes one averaged
// step per ε, so it lags behind the solution as ε falls; with more and
// closer stages (scaling → 1) the lag, and the gap to the converged
// divergence, vanish.
func TestAnnealedTendsToConverged(t *testing.T) {
	n, m := 60, 67
	x := swissRoll(rand.New(rand.NewPCG(70, 1)), n)
	y := swissRoll(rand.New(rand.NewPCG(70, 2)), m)
	const eps = 1
	conv, err := Divergence(ctx, x, y, n, m, 2, eps, Options{Tol: 1e-11})
	if err != nil {
		t.Fatal(err)
	}
	prev := math.Inf(1)
	for _, s := range []float64{0.5, 0.9, 0.99, 0.999} {
		v, err := AnnealedDivergence(ctx, x, y, n, m, 2, eps, s, 0)
		if err != nil {
			t.Fatal(err)
		}
		gap := math.Abs(v-conv) / conv
		t.Logf("scaling %v: %.9g, converged %.9g, relative gap %.2g", s, v, conv, gap)
		if !(gap < prev/2) {
			t.Errorf("scaling %v: gap %.2g did not shrink from %.2g", s, gap, prev)
		}
		prev = gap
	}
	if prev > 1e-6 {
		t.Errorf("scaling 0.999: relative gap %.2g to the converged divergence", prev)
	}
}

func TestAnnealedIndependentOfThreads(t *testing.T) {
	n, m := 150, 130
	x := swissRoll(rand.New(rand.NewPCG(73, 1)), n)
	y := swissRoll(rand.New(rand.NewPCG(73, 2)), m)
	one, err := annealedDivergence(ctx, x, y, n, m, 2, 1e-3, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, threads := range []int{2, 3, 7} {
		v, err := annealedDivergence(ctx, x, y, n, m, 2, 1e-3, 0.5, threads)
		if err != nil || v != one {
			t.Errorf("%d threads: %v (%v), 1 thread: %v", threads, v, err, one)
		}
	}
}

func TestAnnealedInvalidInput(t *testing.T) {
	x, y := []float64{0, 0, 1, 1}, []float64{2, 2}
	for _, c := range []struct {
		name         string
		x, y         []float64
		n, m, d      int
		eps, scaling float64
		want         error
	}{
		{"zero ε", x, y, 2, 1, 2, 0, 0.5, ErrInvalidOptions},
		{"NaN ε", x, y, 2, 1, 2, math.NaN(), 0.5, ErrInvalidOptions},
		{"infinite ε", x, y, 2, 1, 2, math.Inf(1), 0.5, ErrInvalidOptions},
		{"scaling 1", x, y, 2, 1, 2, 1e-3, 1, ErrInvalidOptions},
		{"negative scaling", x, y, 2, 1, 2, 1e-3, -0.5, ErrInvalidOptions},
		{"short y", x, y, 2, 2, 2, 1e-3, 0.5, ErrInvalidProblem},
		{"no points", nil, y, 0, 1, 2, 1e-3, 0.5, ErrInvalidProblem},
		{"NaN point", []float64{0, math.NaN(), 1, 1}, y, 2, 1, 2, 1e-3, 0.5, ErrInvalidProblem},
	} {
		if _, err := AnnealedDivergence(ctx, c.x, c.y, c.n, c.m, c.d, c.eps, c.scaling, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := AnnealedDivergence(cancelled, x, y, 2, 1, 2, 1e-3, 0.5, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v", err)
	}
}

// BenchmarkAnnealedDivergence1024 times the authors' estimator on the
// evaluation problem: two independent 1024-point Swiss-roll samples, ε =
// 1e-3, scaling 0.5. It reports the value, the number of ε stages and CPU
// seconds per evaluation.
func BenchmarkAnnealedDivergence1024(b *testing.B) {
	n := 1024
	x := swissRoll(rand.New(rand.NewPCG(50, 1)), n)
	y := swissRoll(rand.New(rand.NewPCG(50, 2)), n)
	sched, err := AnnealedSchedule(jointDiameter(x, y, 2), math.Sqrt(1e-3), DefaultAnnealedScaling)
	if err != nil {
		b.Fatal(err)
	}
	var value float64
	cpu0 := cputime.Process()
	for b.Loop() {
		if value, err = AnnealedDivergence(ctx, x, y, n, n, 2, 1e-3, 0, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(value, "S")
	b.ReportMetric(float64(len(sched)), "stages")
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
