package optim

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func oneGroup(n int, lr, wd float64) []Group {
	return []Group{{Name: "all", Segments: []Segment{{Name: "x", Offset: 0, Len: n}}, LR: lr, WeightDecay: wd}}
}

// The expected values were computed independently with the textbook
// formulas (β^t by exponentiation) in Python.
func TestAdamHandComputedSteps(t *testing.T) {
	opt, err := NewAdam(oneGroup(2, 0.1, 0), DefaultAdam(), 2)
	if err != nil {
		t.Fatal(err)
	}
	p := []float64{1, -2}
	grads := [][]float64{{0.5, -3}, {-1, 0.25}, {2, 0}}
	want := [][]float64{
		{0.900000002, -1.9000000003333333},
		{0.9366103542405654, -1.8394086508071494},
		{0.8946447927181046, -1.792571362060317},
	}
	for k, g := range grads {
		if err := opt.Step(p, g); err != nil {
			t.Fatal(err)
		}
		for i := range p {
			if math.Abs(p[i]-want[k][i]) > 1e-15*math.Abs(want[k][i]) {
				t.Errorf("step %d coord %d: got %.17g want %.17g", k+1, i, p[i], want[k][i])
			}
		}
	}
	if opt.Steps() != 3 {
		t.Errorf("Steps() = %d, want 3", opt.Steps())
	}
}

// Coupled decay must equal plain Adam on the gradient g + wd·θ; decoupled
// decay must equal shrinking θ by (1 − lr·wd) and then a plain Adam step.
func TestAdamWeightDecayVariants(t *testing.T) {
	const lr, wd = 0.05, 0.3
	rng := rand.New(rand.NewPCG(1, 2))
	n := 7
	p0 := make([]float64, n)
	for i := range p0 {
		p0[i] = rng.NormFloat64()
	}
	grads := make([][]float64, 5)
	for k := range grads {
		grads[k] = make([]float64, n)
		for i := range grads[k] {
			grads[k][i] = rng.NormFloat64()
		}
	}

	coupled, _ := NewAdam(oneGroup(n, lr, wd), DefaultAdam(), n)
	plain, _ := NewAdam(oneGroup(n, lr, 0), DefaultAdam(), n)
	pc := append([]float64(nil), p0...)
	pp := append([]float64(nil), p0...)
	for _, g := range grads {
		gg := make([]float64, n)
		for i := range gg {
			gg[i] = g[i] + wd*pp[i]
		}
		coupled.Step(pc, g)
		plain.Step(pp, gg)
	}
	for i := range pc {
		if pc[i] != pp[i] {
			t.Fatalf("L2 decay: coord %d: %v vs %v", i, pc[i], pp[i])
		}
	}

	cfgW := DefaultAdam()
	cfgW.Decoupled = true
	decoupled, _ := NewAdam(oneGroup(n, lr, wd), cfgW, n)
	plain2, _ := NewAdam(oneGroup(n, lr, 0), DefaultAdam(), n)
	pd := append([]float64(nil), p0...)
	pq := append([]float64(nil), p0...)
	for _, g := range grads {
		for i := range pq {
			pq[i] -= lr * wd * pq[i]
		}
		decoupled.Step(pd, g)
		plain2.Step(pq, g)
	}
	for i := range pd {
		if pd[i] != pq[i] {
			t.Fatalf("decoupled decay: coord %d: %v vs %v", i, pd[i], pq[i])
		}
	}
	if pd[0] == pc[0] {
		t.Fatal("coupled and decoupled decay gave the same result; the switch has no effect")
	}
}

func TestAdamConvergesOnQuadratic(t *testing.T) {
	// f(x) = ½ Σ h_i (x_i − c_i)², badly scaled so that plain GD with one
	// step size would struggle; Adam's per-coordinate scaling copes.
	n := 20
	h := make([]float64, n)
	c := make([]float64, n)
	for i := range h {
		h[i] = math.Pow(10, float64(i%5)-2)
		c[i] = float64(i) - 10
	}
	opt, err := NewAdam(oneGroup(n, 0.05, 0), DefaultAdam(), n)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, n)
	g := make([]float64, n)
	for k := 0; k < 5000; k++ {
		if k == 3000 {
			opt.SetLR(0, 0.005)
		}
		for i := range x {
			g[i] = h[i] * (x[i] - c[i])
		}
		if err := opt.Step(x, g); err != nil {
			t.Fatal(err)
		}
	}
	for i := range x {
		if math.Abs(x[i]-c[i]) > 1e-2 {
			t.Errorf("coord %d (h=%g): %v, want %v", i, h[i], x[i], c[i])
		}
	}
}

func TestAdamGroupsAndUntouched(t *testing.T) {
	groups := []Group{
		{Name: "cost", LR: 0.1, Segments: []Segment{{Name: "W", Offset: 0, Len: 6, Rows: 2, Cols: 3}}},
		{Name: "pot", LR: 0.01, Segments: []Segment{{Name: "b", Offset: 8, Len: 2}}},
	}
	opt, err := NewAdam(groups, DefaultAdam(), 10)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, 10)
	g := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	if err := opt.Step(p, g); err != nil {
		t.Fatal(err)
	}
	// First Adam step moves every coordinate by lr·g/(|g|+ε) ≈ lr.
	for i, want := range []float64{-0.1, -0.1, -0.1, -0.1, -0.1, -0.1, 0, 0, -0.01, -0.01} {
		if math.Abs(p[i]-want) > 1e-8 {
			t.Errorf("p[%d] = %v, want %v", i, p[i], want)
		}
	}
	if opt.LR(1) != 0.01 || !math.IsNaN(opt.LR(2)) {
		t.Errorf("LR: %v %v", opt.LR(1), opt.LR(2))
	}
	if err := opt.SetLR(2, 1); !errors.Is(err, ErrGroupIndex) {
		t.Errorf("SetLR out of range: %v", err)
	}
	if err := opt.Step(p[:9], g); !errors.Is(err, ErrLength) {
		t.Errorf("short params: %v", err)
	}
}

func TestNewAdamRejects(t *testing.T) {
	good := DefaultAdam()
	cases := []struct {
		name   string
		groups []Group
		cfg    AdamConfig
		n      int
		want   error
	}{
		{"out of range", oneGroup(5, 0.1, 0), good, 4, ErrInvalidGroups},
		{"negative offset", []Group{{LR: 1, Segments: []Segment{{Offset: -1, Len: 2}}}}, good, 4, ErrInvalidGroups},
		{"overlap across groups", []Group{
			{LR: 1, Segments: []Segment{{Offset: 0, Len: 3}}},
			{LR: 1, Segments: []Segment{{Offset: 2, Len: 2}}}}, good, 4, ErrInvalidGroups},
		{"overlap in group", []Group{{LR: 1, Segments: []Segment{{Offset: 0, Len: 3}, {Offset: 1, Len: 1}}}}, good, 4, ErrInvalidGroups},
		{"bad shape", []Group{{LR: 1, Segments: []Segment{{Offset: 0, Len: 4, Rows: 3, Cols: 2}}}}, good, 4, ErrInvalidGroups},
		{"zero lr", oneGroup(4, 0, 0), good, 4, ErrInvalidGroups},
		{"nan lr", oneGroup(4, math.NaN(), 0), good, 4, ErrInvalidGroups},
		{"inf lr", oneGroup(4, math.Inf(1), 0), good, 4, ErrInvalidGroups},
		{"negative wd", oneGroup(4, 1, -1), good, 4, ErrInvalidGroups},
		{"beta1 = 1", oneGroup(4, 1, 0), AdamConfig{Beta1: 1, Beta2: 0.9, Eps: 1e-8}, 4, ErrInvalidConfig},
		{"eps = 0", oneGroup(4, 1, 0), AdamConfig{Beta1: 0.9, Beta2: 0.9}, 4, ErrInvalidConfig},
	}
	for _, c := range cases {
		if _, err := NewAdam(c.groups, c.cfg, c.n); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Adjacent segments touch but do not overlap.
	if _, err := NewAdam([]Group{
		{LR: 1, Segments: []Segment{{Offset: 0, Len: 2}}},
		{LR: 1, Segments: []Segment{{Offset: 2, Len: 2}}}}, good, 4); err != nil {
		t.Errorf("adjacent segments rejected: %v", err)
	}
}

func TestAdamStateRestoreResumesExactly(t *testing.T) {
	n := 6
	rng := rand.New(rand.NewPCG(3, 4))
	grads := make([][]float64, 8)
	for k := range grads {
		grads[k] = make([]float64, n)
		for i := range grads[k] {
			grads[k][i] = rng.NormFloat64()
		}
	}
	cfg := DefaultAdam()
	cfg.Decoupled = true
	full, _ := NewAdam(oneGroup(n, 0.03, 0.1), cfg, n)
	p := make([]float64, n)
	for k := 0; k < 4; k++ {
		full.Step(p, grads[k])
	}
	st := full.State()
	pMid := append([]float64(nil), p...)
	for k := 4; k < 8; k++ {
		full.Step(p, grads[k])
	}

	resumed, _ := NewAdam(oneGroup(n, 0.5, 0.1), cfg, n) // LR comes from the state
	if err := resumed.Restore(st); err != nil {
		t.Fatal(err)
	}
	st.M[0] = 1e9 // the state must have been copied, not aliased
	for k := 4; k < 8; k++ {
		resumed.Step(pMid, grads[k])
	}
	for i := range p {
		if p[i] != pMid[i] {
			t.Fatalf("coord %d: resumed %v, uninterrupted %v", i, pMid[i], p[i])
		}
	}
	if resumed.Steps() != 8 {
		t.Errorf("Steps after resume = %d", resumed.Steps())
	}
	if err := resumed.Restore(AdamState{M: make([]float64, n)}); !errors.Is(err, ErrLength) {
		t.Errorf("short state: %v", err)
	}
}

func TestAdamStepDoesNotAllocate(t *testing.T) {
	n := 100
	opt, _ := NewAdam(oneGroup(n, 0.01, 0.1), DefaultAdam(), n)
	p := make([]float64, n)
	g := make([]float64, n)
	for i := range g {
		g[i] = float64(i) - 50
	}
	if a := testing.AllocsPerRun(50, func() { opt.Step(p, g) }); a != 0 {
		t.Errorf("Step allocates %v times per call", a)
	}
}

func BenchmarkAdamStep(b *testing.B) {
	n := 100000
	opt, _ := NewAdam(oneGroup(n, 0.01, 0), DefaultAdam(), n)
	p := make([]float64, n)
	g := make([]float64, n)
	for i := range g {
		g[i] = float64(i%7) - 3
	}
	for b.Loop() {
		opt.Step(p, g)
	}
}
