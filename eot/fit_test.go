package eot

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
)

// gaussModel is a 1-D conditional model y|x ~ N(θ₀ + θ₁x, 1) written as an
// energy model with ε = 1: c(x,y) = ½(y − θ₀ − θ₁x)², f ≡ 0, log Z = ½log 2π.
// Its exact loss lets the learner's mechanics be tested on their own.
type gaussModel struct {
	p     []float64
	calls int
}

func (m *gaussModel) Spec() energy.Spec {
	return energy.Spec{Kind: energy.KindGMM, XDim: 1, YDim: 1, Eps: 1}
}
func (m *gaussModel) Params() []float64 { return m.p }
func (m *gaussModel) Blocks() []energy.ParamBlock {
	return []energy.ParamBlock{{Name: "theta", Role: energy.RoleCost, Offset: 0, Len: 2}}
}
func (m *gaussModel) LossGrad(ctx context.Context, b *energy.Batch, grad []float64, rng *rand.Rand) (energy.LossTerms, error) {
	m.calls++
	grad[0], grad[1] = 0, 0
	var paired float64
	for i := 0; i < b.NPair; i++ {
		x, y := b.PairX[i], b.PairY[i]
		r := y - m.p[0] - m.p[1]*x
		paired += r * r / 2
		grad[0] -= r / float64(b.NPair)
		grad[1] -= r * x / float64(b.NPair)
	}
	paired /= float64(b.NPair)
	logZ := 0.5 * math.Log(2*math.Pi)
	return energy.LossTerms{Paired: paired, LogPartition: logZ, Total: paired + logZ}, nil
}
func (m *gaussModel) Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error {
	for i := range n {
		dst[i] = m.p[0] + m.p[1]*x[0] + rng.NormFloat64()
	}
	return nil
}
func (m *gaussModel) LogProb(x, y []float64) float64 {
	r := y[0] - m.p[0] - m.p[1]*x[0]
	return -r*r/2 - 0.5*math.Log(2*math.Pi)
}

// linearData draws y = 1 + 2x + noise pairs and unpaired rows.
func linearData(seed uint64, pairs int) *datasets.Streams {
	rng := rand.New(rand.NewPCG(seed, 0))
	s := &datasets.Streams{XNames: []string{"x"}, YNames: []string{"y"},
		PairX: datasets.NewMatrix(pairs, 1), PairY: datasets.NewMatrix(pairs, 1),
		SourceX: datasets.NewMatrix(50, 1), TargetY: datasets.NewMatrix(50, 1)}
	for i := range pairs {
		x := rng.NormFloat64()
		s.PairX.Data[i], s.PairY.Data[i] = x, 1+2*x+rng.NormFloat64()
	}
	for i := range 50 {
		s.SourceX.Data[i], s.TargetY.Data[i] = rng.NormFloat64(), 1+rng.NormFloat64()*math.Sqrt(5)
	}
	return s
}

func baseOptions() Options {
	return Options{Steps: 3000, BatchSize: 32, LRCost: 0.01, LRPotential: 0.01, Seed: 7}
}

func TestFitRecoversLinearConditional(t *testing.T) {
	m := &gaussModel{p: []float64{0, 0}}
	res, err := Fit(context.Background(), m, linearData(1, 2000), nil, baseOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 3000 || res.Stopped != Completed {
		t.Fatalf("steps %d, stopped %q", res.Steps, res.Stopped)
	}
	if math.Abs(m.p[0]-1) > 0.1 || math.Abs(m.p[1]-2) > 0.1 {
		t.Fatalf("learned θ = %v, want ≈ (1, 2)", m.p)
	}
	if len(res.History) != 30 {
		t.Fatalf("history has %d rows, want one per 100 steps", len(res.History))
	}
	if first, last := res.History[0].Paired, res.History[len(res.History)-1].Paired; !(last < first) {
		t.Fatalf("paired term did not fall: %v → %v", first, last)
	}
}

func TestFitIsDeterministic(t *testing.T) {
	run := func(seed uint64) []float64 {
		m := &gaussModel{p: []float64{0, 0}}
		o := baseOptions()
		o.Steps, o.Seed = 200, seed
		if _, err := Fit(context.Background(), m, linearData(2, 100), nil, o); err != nil {
			t.Fatal(err)
		}
		return m.p
	}
	a, b, c := run(3), run(3), run(4)
	if a[0] != b[0] || a[1] != b[1] {
		t.Fatalf("same seed, different parameters: %v vs %v", a, b)
	}
	if a[0] == c[0] && a[1] == c[1] {
		t.Fatal("different seeds gave identical parameters: minibatches ignore the seed")
	}
}

func TestFitValidationEarlyStoppingAndKeepBest(t *testing.T) {
	data := linearData(3, 400)
	valid := linearData(4, 200)
	// A learning rate this large makes the iterates bounce, so validation
	// stops improving and patience must end the run early.
	m := &gaussModel{p: []float64{0, 0}}
	o := baseOptions()
	o.Steps, o.ValidEvery, o.Patience, o.KeepBest = 5000, 50, 3, true
	o.LRCost = 0.05
	res, err := Fit(context.Background(), m, data, valid, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != EarlyStopped || res.Steps >= 5000 {
		t.Fatalf("stopped %q after %d steps; want early stopping", res.Stopped, res.Steps)
	}
	// KeepBest: the final parameters score exactly the best validation NLL.
	v := newValidator(m, valid)
	got, _ := v.nll(context.Background(), nil)
	if got != res.BestValidNLL {
		t.Fatalf("validation NLL of the kept parameters %v, best recorded %v", got, res.BestValidNLL)
	}
	var seen bool
	for _, e := range res.History {
		if e.Step == res.BestStep && e.ValidNLL == res.BestValidNLL {
			seen = true
		}
	}
	if !seen {
		t.Fatalf("best step %d not in the history", res.BestStep)
	}
}

func TestFitInterruptedReturnsPartialResult(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &gaussModel{p: []float64{0, 0}}
	o := baseOptions()
	o.LogEvery = 10
	o.Progress = func(p Progress) {
		if p.Step >= 50 {
			cancel()
		}
	}
	res, err := Fit(ctx, m, linearData(5, 100), nil, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if res == nil || res.Steps != 50 || res.Stopped != Interrupted || m.calls != 50 {
		t.Fatalf("result %+v after %d gradient calls; want 50 steps, interrupted", res, m.calls)
	}
}

func TestFitRejectsBadInput(t *testing.T) {
	m := &gaussModel{p: []float64{0, 0}}
	for name, o := range map[string]Options{
		"steps": {Steps: 0, BatchSize: 1, LRCost: 1, LRPotential: 1},
		"batch": {Steps: 1, BatchSize: 0, LRCost: 1, LRPotential: 1},
		"lr":    {Steps: 1, BatchSize: 1, LRCost: math.NaN(), LRPotential: 1},
	} {
		if _, err := Fit(context.Background(), m, linearData(6, 10), nil, o); err == nil {
			t.Errorf("%s: bad options accepted", name)
		}
	}
	empty := linearData(6, 0)
	empty.SourceX, empty.PairX, empty.PairY = datasets.NewMatrix(0, 1), datasets.NewMatrix(0, 1), datasets.NewMatrix(0, 1)
	if _, err := Fit(context.Background(), m, empty, nil, baseOptions()); !errors.Is(err, ErrNoData) {
		t.Fatalf("no sources: error %v, want ErrNoData", err)
	}
}

func TestClipNorm(t *testing.T) {
	g := []float64{3, 4}
	clipNorm(g, 1)
	if math.Abs(g[0]-0.6) > 1e-15 || math.Abs(g[1]-0.8) > 1e-15 {
		t.Fatalf("clipped to %v, want (0.6, 0.8)", g)
	}
	h := []float64{0.3, 0.4}
	clipNorm(h, 1)
	if h[0] != 0.3 || h[1] != 0.4 {
		t.Fatalf("a gradient inside the ball changed: %v", h)
	}
}
