package optim

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// separableQuadratic is S1 of docs/optimizers.md §2.9: f(x) = ½ Σ h_i (x_i − c_i)²
// with h log-uniform in [1e-3, 10] and c ~ N(0, 1).
type separableQuadratic struct{ h, c []float64 }

func newSeparableQuadratic(d int, rng *rand.Rand) separableQuadratic {
	q := separableQuadratic{h: make([]float64, d), c: make([]float64, d)}
	for i := range q.h {
		q.h[i] = math.Pow(10, -3+4*rng.Float64())
		q.c[i] = rng.NormFloat64()
	}
	return q
}

func (q separableQuadratic) grad(x, g []float64) float64 {
	var f float64
	for i := range x {
		d := x[i] - q.c[i]
		g[i] = q.h[i] * d
		f += 0.5 * q.h[i] * d * d
	}
	return f
}

func run(t *testing.T, opt Optimizer, q separableQuadratic, steps int) (x []float64, f float64) {
	t.Helper()
	x = make([]float64, len(q.h))
	g := make([]float64, len(q.h))
	for range steps {
		q.grad(x, g)
		if err := opt.Step(x, g); err != nil {
			t.Fatal(err)
		}
	}
	return x, q.grad(x, g)
}

func TestSignumMovesEveryCoordinateByLR(t *testing.T) {
	groups := []Group{{Name: "a", LR: 0.1, Segments: []Segment{{Offset: 0, Len: 3}}}}
	opt, err := NewSignum(groups, SignumConfig{Momentum: 0.9}, 4)
	if err != nil {
		t.Fatal(err)
	}
	p := []float64{1, 1, 1, 7}
	// Sum-style momentum: m₁ = g₁ = (2, −3, 0); m₂ = 0.9·m₁ + g₂ = (1.3, −2.7, 0.5).
	opt.Step(p, []float64{2, -3, 0, 5})
	opt.Step(p, []float64{-0.5, 0, 0.5, 5})
	want := []float64{0.8, 1.2, 0.9, 7}
	for i := range p {
		if math.Abs(p[i]-want[i]) > 1e-15 {
			t.Errorf("p[%d] = %v, want %v", i, p[i], want[i])
		}
	}
}

// Before the transition SoftSignum is Signum, bit for bit; at the first
// soft step they part.
func TestSoftSignumEqualsSignumBeforeTransition(t *testing.T) {
	q := newSeparableQuadratic(300, rand.New(rand.NewPCG(1, 1)))
	for _, base := range []SignumConfig{{Momentum: 0.9}, {Momentum: 0.9, Nesterov: true, Dampening: 0.1}, {}} {
		groups := []Group{
			{Name: "a", LR: 0.01, WeightDecay: 0.1, Segments: []Segment{{Offset: 0, Len: 100}}},
			{Name: "b", LR: 0.003, Segments: []Segment{{Offset: 100, Len: 200}}},
		}
		cfg := DefaultSoftSignum()
		cfg.SignumConfig = base
		cfg.SignSteps, cfg.TransitionSteps = 50, 20
		soft, err := NewSoftSignum(groups, cfg, 300)
		if err != nil {
			t.Fatal(err)
		}
		hard, _ := NewSignum(groups, base, 300)
		xs, xh := make([]float64, 300), make([]float64, 300)
		gs, gh := make([]float64, 300), make([]float64, 300)
		for k := 1; k <= 51; k++ {
			q.grad(xs, gs)
			q.grad(xh, gh)
			soft.Step(xs, gs)
			hard.Step(xh, gh)
			same := true
			for i := range xs {
				same = same && xs[i] == xh[i]
			}
			if k <= 50 && !same {
				t.Fatalf("%+v: trajectories differ at step %d, before the transition", base, k)
			}
			if k == 51 && same {
				t.Fatalf("%+v: no change at the first soft step", base)
			}
		}
		if !math.IsInf(soft.Temperature(5), 1) || soft.Temperature(0) != cfg.TMax {
			t.Errorf("first soft step must use τ = tmax, got %v", soft.Temperature(0))
		}
	}
}

// S1 of §2.9 at reduced size: with constant lr Signum stalls on an
// oscillation plateau ∝ lr²; SoftSignum falls below it after the transition
// (reference at d = 2000, 10 000 steps: 1.2e-1 vs 5.3e-2 with tmax = 1e9
// and 1.1e-3 with tmax = 20).
func TestSoftSignumBreaksSignumPlateau(t *testing.T) {
	const d, steps = 1000, 6000
	q := newSeparableQuadratic(d, rand.New(rand.NewPCG(5, 6)))
	groups := []Group{{Name: "x", LR: 1e-2, Segments: []Segment{{Offset: 0, Len: d}}}}
	signum, _ := NewSignum(groups, SignumConfig{Momentum: 0.9}, d)
	_, fSign := run(t, signum, q, steps)
	_, fMid := run(t, mustSignum(t, groups, d), q, steps*9/10)

	result := map[float64]float64{}
	for _, tmax := range []float64{1e9, 20} {
		cfg := DefaultSoftSignum()
		cfg.SignSteps, cfg.TransitionSteps = SplitSteps(steps, 0.9)
		cfg.TMax = tmax
		soft, err := NewSoftSignum(groups, cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		_, result[tmax] = run(t, soft, q, steps)
	}
	t.Logf("Signum %.3g at 0.9N, %.3g at N; SoftSignum tmax 1e9: %.3g, tmax 20: %.3g", fMid, fSign, result[1e9], result[20])
	if !(fSign > 0.5*fMid) {
		t.Errorf("Signum did not plateau: %g at 0.9N, %g at N", fMid, fSign)
	}
	if !(result[1e9] < fSign/1.5) {
		t.Errorf("SoftSignum (tmax 1e9) %g not clearly below Signum %g", result[1e9], fSign)
	}
	if !(result[20] < fSign/20) {
		t.Errorf("SoftSignum (tmax 20) %g not far below Signum %g", result[20], fSign)
	}
}

func mustSignum(t *testing.T, groups []Group, n int) *Signum {
	s, err := NewSignum(groups, SignumConfig{Momentum: 0.9}, n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSoftSignumRunsPastTransition(t *testing.T) {
	groups := []Group{{LR: 0.1, Segments: []Segment{{Offset: 0, Len: 5}}}}
	cfg := DefaultSoftSignum()
	cfg.SignSteps, cfg.TransitionSteps = 2, 3
	s, _ := NewSoftSignum(groups, cfg, 5)
	p := make([]float64, 5)
	g := []float64{1, -2, 3, -4, 5}
	for range 10 {
		if err := s.Step(p, g); err != nil {
			t.Fatal(err)
		}
	}
	sched := s.Schedule(0)
	if len(sched) != 3 || s.Temperature(0) != sched[2] {
		t.Errorf("schedule %v, temperature %v: the index must clamp to the last entry", sched, s.Temperature(0))
	}
	for _, bad := range []SoftSignumConfig{
		{SignumConfig: DefaultSignum(), TransitionSteps: 0, Eps: 1e-4, TMax: 20},
		{SignumConfig: DefaultSignum(), TransitionSteps: 5, Eps: 0, TMax: 20},
		{SignumConfig: DefaultSignum(), TransitionSteps: 5, Eps: 1e-4, TMax: 0.5},
		{SignumConfig: SignumConfig{Momentum: 1}, TransitionSteps: 5, Eps: 1e-4, TMax: 20},
	} {
		if _, err := NewSoftSignum(groups, bad, 5); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestSignStepsDoNotAllocate(t *testing.T) {
	groups := []Group{{LR: 0.1, WeightDecay: 0.01, Segments: []Segment{{Offset: 0, Len: 50}}}}
	signum, _ := NewSignum(groups, SignumConfig{Momentum: 0.9, Nesterov: true}, 50)
	cfg := DefaultSoftSignum()
	cfg.SignSteps, cfg.TransitionSteps = 1, 1000
	soft, _ := NewSoftSignum(groups, cfg, 50)
	p := make([]float64, 50)
	g := make([]float64, 50)
	for i := range g {
		g[i] = math.Sin(float64(i))
	}
	soft.Step(p, g)
	soft.Step(p, g) // builds the schedule
	for name, o := range map[string]Optimizer{"Signum": signum, "SoftSignum": soft} {
		if a := testing.AllocsPerRun(20, func() { o.Step(p, g) }); a != 0 {
			t.Errorf("%s allocates %v times per step", name, a)
		}
	}
}

// The soft steps by hand: sum-style momentum, the schedule built from the
// direction vector at the first soft step, then indexed by step.
func TestSoftSignumSoftStepsByHand(t *testing.T) {
	groups := []Group{{LR: 0.1, Segments: []Segment{{Offset: 0, Len: 4}}}}
	cfg := DefaultSoftSignum()
	cfg.Momentum = 0.5
	cfg.SignSteps, cfg.TransitionSteps = 1, 2
	cfg.TMax = 1e9
	s, err := NewSoftSignum(groups, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, 4)
	g1 := []float64{1e-3, -2e-3, 4e-3, -1e-4}
	g2 := []float64{2e-3, 1e-3, -1e-3, 3e-4}
	g3 := []float64{-1e-3, 5e-4, 2e-3, 1e-4}
	want := make([]float64, 4)
	m := append([]float64(nil), g1...)
	s.Step(p, g1)
	for i := range want {
		want[i] = -0.1 * sign(m[i])
		m[i] = 0.5*m[i] + g2[i]
	}
	s.Step(p, g2)
	loc, scale := CauchyFit(m)
	tau := Temperatures(FoldedCauchyQuantiles(loc, scale, []float64{0, 0.5}, 10), TanhSaturation(1e-4), 1e9)
	for i := range want {
		want[i] -= 0.1 * math.Tanh(tau[0]*m[i])
		m[i] = 0.5*m[i] + g3[i]
	}
	s.Step(p, g3)
	for i := range want {
		want[i] -= 0.1 * math.Tanh(tau[1]*m[i])
	}
	for i := range p {
		if p[i] != want[i] {
			t.Errorf("p[%d] = %v, want %v", i, p[i], want[i])
		}
	}
	if got := s.Schedule(0); len(got) != 2 || got[0] != tau[0] || got[1] != tau[1] {
		t.Errorf("schedule %v, want %v", got, tau)
	}
}
