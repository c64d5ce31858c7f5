package classifier

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/energy"
)

func testRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func randn(rng *rand.Rand, n int, std float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = std * rng.NormFloat64()
	}
	return v
}

func testSpec(dx, K int, eps float64, hidden []int) energy.Spec {
	classes := make([]string, K)
	prior := make([]float64, K)
	sum := 0.0
	for k := range K {
		classes[k] = fmt.Sprintf("c%d", k)
		prior[k] = float64(k + 1)
		sum += prior[k]
	}
	for k := range prior {
		prior[k] /= sum
	}
	return energy.Spec{Kind: energy.KindClassifier, XDim: dx, YDim: 1, Eps: eps, CostHidden: hidden, Classes: classes, ClassPrior: prior}
}

// testModel returns a model for spec whose parameters are all generic
// (nothing at its initial value).
func testModel(t testing.TB, spec energy.Spec, seed uint64) *Model {
	t.Helper()
	rng := testRNG(seed)
	m, err := New(spec, rng)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p := m.Params()
	for _, b := range m.Blocks() {
		seg := p[b.Offset : b.Offset+b.Len]
		std := 0.5
		if b.Cols > 0 {
			std = 1 / math.Sqrt(float64(b.Cols))
		}
		for i := range seg {
			seg[i] = std * rng.NormFloat64()
		}
	}
	return m
}

func testBatch(rng *rand.Rand, spec energy.Spec, nPair, nSource, nTarget int) *energy.Batch {
	K := len(spec.Classes)
	b := &energy.Batch{
		PairX: randn(rng, nPair*spec.XDim, 1), PairY: make([]float64, nPair), NPair: nPair,
		SourceX: randn(rng, nSource*spec.XDim, 1), NSource: nSource,
		TargetY: make([]float64, nTarget), NTarget: nTarget,
	}
	for i := range b.PairY {
		b.PairY[i] = float64(rng.IntN(K))
	}
	for i := range b.TargetY {
		b.TargetY[i] = float64(rng.IntN(K))
	}
	return b
}

func TestLossGradFiniteDifferences(t *testing.T) {
	cases := []struct {
		dx, K  int
		eps    float64
		hidden []int
	}{
		{3, 2, 1, nil},
		{5, 4, 0.5, nil},
		{2, 3, 2, []int{6}},
		{4, 5, 0.3, []int{7, 5}},
		{7, 10, 1, []int{8}},
	}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("dx%d_K%d_eps%g_h%v", c.dx, c.K, c.eps, c.hidden), func(t *testing.T) {
			spec := testSpec(c.dx, c.K, c.eps, c.hidden)
			m := testModel(t, spec, uint64(10+ci))
			b := testBatch(testRNG(uint64(100+ci)), spec, 9, 37, 5)
			ctx := context.Background()
			p := m.Params()
			grad := make([]float64, len(p))
			if _, err := m.LossGrad(ctx, b, grad, nil); err != nil {
				t.Fatal(err)
			}
			scratch := make([]float64, len(p))
			loss := func() float64 {
				terms, err := m.LossGrad(ctx, b, scratch, nil)
				if err != nil {
					t.Fatal(err)
				}
				return terms.Total
			}
			const h = 1e-6
			for i := range p {
				orig := p[i]
				p[i] = orig + h
				up := loss()
				p[i] = orig - h
				down := loss()
				p[i] = orig
				fd := (up - down) / (2 * h)
				if math.Abs(fd-grad[i]) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("param %d (%s): analytic %.9g, finite difference %.9g", i, m.blockName(i), grad[i], fd)
				}
			}
		})
	}
}

// TestLossTermsByHand checks the three terms against a direct evaluation
// of the formulas of docs/method.md §9.6 through Cost, Potential and
// LogProb.
func TestLossTermsByHand(t *testing.T) {
	spec := testSpec(3, 4, 0.7, []int{5})
	m := testModel(t, spec, 3)
	b := testBatch(testRNG(4), spec, 11, 23, 0)
	terms, err := m.LossGrad(context.Background(), b, make([]float64, len(m.Params())), nil)
	if err != nil {
		t.Fatal(err)
	}
	var paired, target, logZ float64
	for i := range b.NPair {
		paired += m.Cost(b.PairX[i*3:(i+1)*3], int(b.PairY[i])) / spec.Eps
	}
	paired /= float64(b.NPair)
	for k, p := range spec.ClassPrior {
		target += p * m.Potential(k) / spec.Eps
	}
	for i := range b.NSource {
		x := b.SourceX[i*3 : (i+1)*3]
		logZ += m.LogPartition(x)
		// log π(k|x) = (f_k − c(x,k))/ε − log Z(x).
		for k := range 4 {
			want := (m.Potential(k)-m.Cost(x, k))/spec.Eps - m.LogPartition(x)
			if got := m.LogProb(x, []float64{float64(k)}); math.Abs(got-want) > 1e-12 {
				t.Fatalf("LogProb %v, formula %v", got, want)
			}
		}
	}
	logZ /= float64(b.NSource)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"paired", terms.Paired, paired}, {"target", terms.Target, target}, {"log-partition", terms.LogPartition, logZ},
		{"total", terms.Total, paired - target + logZ}} {
		if math.Abs(c.got-c.want) > 1e-12*(1+math.Abs(c.want)) {
			t.Errorf("%s: %v, by hand %v", c.name, c.got, c.want)
		}
	}
}

func TestProbsSumToOneAndMatchLogProb(t *testing.T) {
	for _, hidden := range [][]int{nil, {6, 4}} {
		spec := testSpec(4, 6, 0.5, hidden)
		m := testModel(t, spec, 7)
		rng := testRNG(8)
		const rows = 150
		x := randn(rng, rows*4, 2)
		batch := make([]float64, rows*6)
		if err := m.ProbsBatch(context.Background(), x, rows, batch); err != nil {
			t.Fatal(err)
		}
		p := make([]float64, 6)
		for r := range rows {
			xr := x[r*4 : (r+1)*4]
			m.Probs(xr, p)
			sum := 0.0
			for k, v := range p {
				sum += v
				if lp := m.LogProb(xr, []float64{float64(k)}); math.Abs(math.Log(v)-lp) > 1e-12*(1+math.Abs(lp)) {
					t.Fatalf("row %d class %d: log Probs %v, LogProb %v", r, k, math.Log(v), lp)
				}
				if v != batch[r*6+k] {
					t.Fatalf("row %d class %d: Probs %v, ProbsBatch %v", r, k, v, batch[r*6+k])
				}
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Fatalf("row %d: probabilities sum to %v", r, sum)
			}
		}
		for _, y := range []float64{-1, 6, 2.5} {
			if lp := m.LogProb(x[:4], []float64{y}); !math.IsInf(lp, -1) {
				t.Errorf("LogProb of label %v = %v, want −Inf", y, lp)
			}
		}
	}
}

func TestInitIsThePrior(t *testing.T) {
	for _, hidden := range [][]int{nil, {16}, {8, 8}} {
		spec := testSpec(5, 4, 0.5, hidden)
		m, err := New(spec, testRNG(1))
		if err != nil {
			t.Fatal(err)
		}
		rng := testRNG(2)
		p := make([]float64, 4)
		for range 20 {
			x := randn(rng, 5, 3)
			m.Probs(x, p)
			for k, v := range p {
				if math.Abs(v-spec.ClassPrior[k]) > 1e-15 {
					t.Fatalf("hidden %v: π(%d|x) = %v at init, prior %v", hidden, k, v, spec.ClassPrior[k])
				}
			}
		}
	}
}

// TestSampleFrequencies checks the sampler's class frequencies against
// Probs (chi-square with K−1 degrees of freedom, far tail).
func TestSampleFrequencies(t *testing.T) {
	spec := testSpec(3, 5, 1, nil)
	m := testModel(t, spec, 5)
	x := []float64{0.3, -0.5, 1}
	p := make([]float64, 5)
	m.Probs(x, p)
	const n = 200000
	draws := make([]float64, n)
	if err := m.Sample(context.Background(), x, n, testRNG(6), draws); err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, 5)
	for _, d := range draws {
		counts[int(d)]++
	}
	chi2 := 0.0
	for k := range counts {
		e := n * p[k]
		chi2 += (counts[k] - e) * (counts[k] - e) / e
	}
	if chi2 > 25 { // P(χ²₄ > 25) ≈ 5e-5
		t.Errorf("χ² = %v for counts %v, probabilities %v", chi2, counts, p)
	}
}

func TestDeterministicAcrossThreads(t *testing.T) {
	for _, hidden := range [][]int{nil, {12}} {
		spec := testSpec(6, 4, 0.5, hidden)
		b := testBatch(testRNG(9), spec, 300, 1000, 10)
		var ref []float64
		var refTerms energy.LossTerms
		for _, th := range []int{1, 2, 3, 8} {
			m := testModel(t, spec, 11)
			m.SetThreads(th)
			g := make([]float64, len(m.Params()))
			terms, err := m.LossGrad(context.Background(), b, g, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refTerms = g, terms
				continue
			}
			if terms != refTerms {
				t.Errorf("threads %d: terms %+v, with one thread %+v", th, terms, refTerms)
			}
			for i := range g {
				if g[i] != ref[i] {
					t.Fatalf("threads %d: grad[%d] = %v, with one thread %v", th, i, g[i], ref[i])
				}
			}
		}
	}
}

// TestGaugePinned checks the pinning of docs/method.md §9.6: the gradient
// of the output weights sums to zero over the classes and the gradient of f
// sums to zero, and an unpinned parametrisation (an arbitrary common slope
// added to every class, and intercepts inside the cost) gives conditionals
// that the pinned one reproduces exactly.
func TestGaugePinned(t *testing.T) {
	spec := testSpec(4, 3, 0.5, []int{5})
	m := testModel(t, spec, 12)
	b := testBatch(testRNG(13), spec, 20, 50, 0)
	g := make([]float64, len(m.Params()))
	if _, err := m.LossGrad(context.Background(), b, g, nil); err != nil {
		t.Fatal(err)
	}
	for _, blk := range m.Blocks() {
		switch blk.Name {
		case "cost.out.weight":
			for d := range blk.Cols {
				s := 0.0
				for k := range blk.Rows {
					s += g[blk.Offset+k*blk.Cols+d]
				}
				if math.Abs(s) > 1e-12 {
					t.Errorf("output weight column %d: gradient sums to %v over the classes", d, s)
				}
			}
		case "f":
			s := 0.0
			for _, v := range g[blk.Offset : blk.Offset+blk.Len] {
				s += v
			}
			if math.Abs(s) > 1e-12 {
				t.Errorf("potential gradient sums to %v", s)
			}
		}
	}
	// Shift every raw output row by δ and f by κ·1: π and the loss stay.
	shifted, err := FromParams(spec, m.Params())
	if err != nil {
		t.Fatal(err)
	}
	p := shifted.Params()
	rng := testRNG(14)
	for _, blk := range m.Blocks() {
		switch blk.Name {
		case "cost.out.weight":
			delta := randn(rng, blk.Cols, 3)
			for k := range blk.Rows {
				for d, v := range delta {
					p[blk.Offset+k*blk.Cols+d] += v
				}
			}
		case "f":
			for i := range blk.Len {
				p[blk.Offset+i] += 2.5
			}
		}
	}
	t1, _ := m.LossGrad(context.Background(), b, g, nil)
	t2, _ := shifted.LossGrad(context.Background(), b, g, nil)
	if math.Abs(t1.Total-t2.Total) > 1e-12 {
		t.Errorf("loss moved along the pinned gauge: %v → %v", t1.Total, t2.Total)
	}
	x := b.SourceX[:4]
	for k := range 3 {
		a, c := m.LogProb(x, []float64{float64(k)}), shifted.LogProb(x, []float64{float64(k)})
		if math.Abs(a-c) > 1e-12 {
			t.Errorf("class %d: log π %v → %v", k, a, c)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	spec := testSpec(5, 3, 0.5, []int{7})
	m := testModel(t, spec, 15)
	again, err := FromParams(m.Spec(), m.Params())
	if err != nil {
		t.Fatal(err)
	}
	rng := testRNG(16)
	for range 50 {
		x := randn(rng, 5, 1)
		for k := range 3 {
			y := []float64{float64(k)}
			if a, b := m.LogProb(x, y), again.LogProb(x, y); a != b {
				t.Fatalf("LogProb %v, after the round trip %v", a, b)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	good := testSpec(3, 3, 1, nil)
	bad := func(mut func(*energy.Spec)) energy.Spec {
		s := good
		s.Classes = append([]string(nil), good.Classes...)
		s.ClassPrior = append([]float64(nil), good.ClassPrior...)
		mut(&s)
		return s
	}
	for name, s := range map[string]energy.Spec{
		"kind":        bad(func(s *energy.Spec) { s.Kind = energy.KindGMM }),
		"ydim":        bad(func(s *energy.Spec) { s.YDim = 2 }),
		"one class":   bad(func(s *energy.Spec) { s.Classes = s.Classes[:1]; s.ClassPrior = []float64{1} }),
		"prior len":   bad(func(s *energy.Spec) { s.ClassPrior = s.ClassPrior[:2] }),
		"prior sum":   bad(func(s *energy.Spec) { s.ClassPrior[0] += 0.1 }),
		"prior zero":  bad(func(s *energy.Spec) { s.ClassPrior = []float64{0, 0.5, 0.5} }),
		"dup name":    bad(func(s *energy.Spec) { s.Classes[1] = s.Classes[0] }),
		"gmm setting": bad(func(s *energy.Spec) { s.Potentials = 3 }),
		"eps":         bad(func(s *energy.Spec) { s.Eps = 0 }),
	} {
		if _, err := New(s, testRNG(1)); !errors.Is(err, energy.ErrSpec) {
			t.Errorf("%s: New error %v, want ErrSpec", name, err)
		}
	}
	m := testModel(t, good, 1)
	if _, err := FromParams(good, m.Params()[1:]); !errors.Is(err, energy.ErrShape) {
		t.Errorf("short params: %v", err)
	}
	p := append([]float64(nil), m.Params()...)
	p[0] = math.NaN()
	if _, err := FromParams(good, p); !errors.Is(err, energy.ErrNonFinite) || !strings.Contains(err.Error(), "cost.out.weight") {
		t.Errorf("NaN param: %v", err)
	}
	b := testBatch(testRNG(2), good, 4, 4, 0)
	g := make([]float64, len(m.Params()))
	b.PairY[1] = 3
	if _, err := m.LossGrad(context.Background(), b, g, nil); !errors.Is(err, energy.ErrShape) {
		t.Errorf("label 3 of 3 classes: %v", err)
	}
	b.PairY[1] = 1
	if _, err := m.LossGrad(context.Background(), b, g[1:], nil); !errors.Is(err, energy.ErrShape) {
		t.Errorf("short grad: %v", err)
	}
	b.SourceX[0] = math.Inf(1)
	if _, err := m.LossGrad(context.Background(), b, g, nil); !errors.Is(err, energy.ErrNonFinite) {
		t.Errorf("infinite source: %v", err)
	}
}
