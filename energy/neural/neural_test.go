package neural

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ebieot/ebieot/energy"
)

// testSpec is a small architecture: big enough to have every kind of
// layer (split first layer, hidden-to-hidden, linear output), small enough
// for finite differences over every parameter.
func testSpec() energy.Spec {
	lv := energy.DefaultLangevin()
	lv.Steps = 5
	lv.BufferSize = 1000
	return energy.Spec{Kind: energy.KindNeural, XDim: 2, YDim: 2, Eps: 0.7, CostHidden: []int{6}, PotentialHidden: []int{5, 4}, LeakySlope: 0.2, Langevin: &lv}
}

func testModel(t *testing.T, seed uint64) *Model {
	t.Helper()
	n, err := New(testSpec(), rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func normals(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func TestNeuralTinyGraphBuildsAndRuns(t *testing.T) {
	spec := energy.Spec{Kind: energy.KindNeural, XDim: 1, YDim: 1, Eps: 1, CostHidden: []int{3}, PotentialHidden: []int{2}}
	n, err := New(spec, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := buildSampler(n, 2)
	if err != nil {
		t.Fatal(err)
	}
	xs := []float64{0.3, -1}
	if err := g.setX(xs); err != nil {
		t.Fatal(err)
	}
	y, grad := []float64{0.5, 2}, make([]float64, 2)
	if err := g.gradient(y, grad, 1); err != nil {
		t.Fatal(err)
	}
	for i := range y {
		x := xs[i : i+1]
		h := 1e-6
		fd := (n.Energy(x, []float64{y[i] + h}) - n.Energy(x, []float64{y[i] - h})) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-7 {
			t.Errorf("row %d: graph ∇y = %v, finite difference %v", i, grad[i], fd)
		}
	}
}

func TestNeuralDefaults(t *testing.T) {
	n, err := New(energy.Spec{XDim: 2, YDim: 3, Eps: 1}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	s := n.Spec()
	if s.Kind != energy.KindNeural || !slices.Equal(s.CostHidden, []int{256}) || !slices.Equal(s.PotentialHidden, []int{256, 256}) || s.LeakySlope != 0.2 {
		t.Errorf("defaults not filled: %+v", s)
	}
	if s.Langevin == nil || *s.Langevin != energy.DefaultLangevin() {
		t.Errorf("Langevin = %+v, want %+v", s.Langevin, energy.DefaultLangevin())
	}
	want := (5*256 + 256 + 256 + 1) + (3*256 + 256 + 256*256 + 256 + 256 + 1)
	if len(n.Params()) != want {
		t.Errorf("%d parameters, want %d", len(n.Params()), want)
	}
	// PyTorch's Linear init: U(−1/√fan_in, 1/√fan_in) per layer.
	for _, b := range n.Blocks() {
		fanIn := b.Rows
		if b.Rows == 0 { // bias: fan-in of its layer's weight, the block before
			continue
		}
		bound := 1 / math.Sqrt(float64(fanIn))
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range n.Params()[b.Offset : b.Offset+b.Len] {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if lo < -bound || hi > bound || (b.Len >= 256 && (lo > -0.9*bound || hi < 0.9*bound)) {
			t.Errorf("%s: range [%v, %v], want within and filling ±%v", b.Name, lo, hi, bound)
		}
	}
	// Spec() must not alias the model's slices.
	s.CostHidden[0] = 7
	if n.Spec().CostHidden[0] != 256 {
		t.Error("Spec() aliases the model's hidden sizes")
	}
}

func TestNeuralSpecErrors(t *testing.T) {
	bad := []energy.Spec{
		{Kind: energy.KindGMM, XDim: 1, YDim: 1, Eps: 1},
		{XDim: 0, YDim: 1, Eps: 1},
		{XDim: 1, YDim: 1, Eps: 0},
		{XDim: 1, YDim: 1, Eps: 1, CostHidden: []int{0}},
		{XDim: 1, YDim: 1, Eps: 1, LeakySlope: -0.1},
		{XDim: 1, YDim: 1, Eps: 1, Langevin: &energy.Langevin{Steps: 0, StepSize: 0.1, InitStd: 1}},
		{XDim: 1, YDim: 1, Eps: 1, Langevin: &energy.Langevin{Steps: 1, StepSize: 0.1, InitStd: 1, RestartProb: 2}},
		{XDim: 1, YDim: 1, Eps: 1, Langevin: &energy.Langevin{Steps: 1, StepSize: math.NaN(), InitStd: 1}},
	}
	for i, s := range bad {
		if _, err := New(s, rand.New(rand.NewPCG(1, 1))); !errors.Is(err, energy.ErrSpec) {
			t.Errorf("spec %d: err = %v, want energy.ErrSpec", i, err)
		}
	}
	n := testModel(t, 1)
	if _, err := FromParams(n.Spec(), n.Params()[1:]); !errors.Is(err, energy.ErrSpec) {
		t.Errorf("short params: err = %v, want energy.ErrSpec", err)
	}
	p := slices.Clone(n.Params())
	p[3] = math.Inf(1)
	if _, err := FromParams(n.Spec(), p); !errors.Is(err, energy.ErrSpec) {
		t.Errorf("infinite param: err = %v, want energy.ErrSpec", err)
	}
}

func TestNeuralBlocksCoverParams(t *testing.T) {
	n := testModel(t, 1)
	off := 0
	sawPotential := false
	for _, b := range n.Blocks() {
		if b.Offset != off {
			t.Fatalf("%s starts at %d, want %d", b.Name, b.Offset, off)
		}
		if b.Rows*b.Cols != 0 && b.Rows*b.Cols != b.Len {
			t.Errorf("%s: %d×%d != %d", b.Name, b.Rows, b.Cols, b.Len)
		}
		if b.Role == energy.RolePotential {
			sawPotential = true
		} else if sawPotential {
			t.Errorf("cost block %s after potential blocks", b.Name)
		}
		off += b.Len
	}
	if off != len(n.Params()) || !sawPotential {
		t.Errorf("blocks cover %d of %d parameters", off, len(n.Params()))
	}
	// The first cost weight is (Dx+Dy)×hidden.
	if b := n.Blocks()[0]; b.Rows != 4 || b.Cols != 6 || b.Role != energy.RoleCost {
		t.Errorf("first block %+v", b)
	}
}

func TestNeuralParamsRoundTrip(t *testing.T) {
	n := testModel(t, 3)
	m, err := FromParams(n.Spec(), n.Params())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Params(), n.Params()) || !slices.Equal(m.Blocks(), n.Blocks()) {
		t.Fatal("params or blocks differ after round trip")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for range 10 {
		x, y := normals(rng, 2), normals(rng, 2)
		if a, b := n.Energy(x, y), m.Energy(x, y); a != b {
			t.Errorf("energy %v != %v", a, b)
		}
	}
	// Same parameters, same rng ⇒ same samples, bit for bit.
	s1, s2 := make([]float64, 40), make([]float64, 40)
	if err := n.Sample(context.Background(), []float64{1, -1}, 20, rand.New(rand.NewPCG(9, 9)), s1); err != nil {
		t.Fatal(err)
	}
	if err := m.Sample(context.Background(), []float64{1, -1}, 20, rand.New(rand.NewPCG(9, 9)), s2); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s1, s2) {
		t.Error("samples differ between the model and its round trip")
	}
	if m.Params()[0] = 42; n.Params()[0] == 42 {
		t.Error("NeuralFromParams aliases its input")
	}
}

// The sampler graph's ∇_y E must match finite differences of the plain
// forward pass, row by row, including after in-place parameter updates.
func TestNeuralInputGradient(t *testing.T) {
	n := testModel(t, 7)
	rng := rand.New(rand.NewPCG(2, 3))
	const rows = 9
	g, err := buildSampler(n, rows)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		if round == 1 { // what an optimizer step does between calls
			for i := range n.params {
				n.params[i] += 0.1 * rng.NormFloat64()
			}
		}
		xs := normals(rng, rows*2)
		if err := g.setX(xs); err != nil {
			t.Fatal(err)
		}
		y := normals(rng, rows*2)
		grad := make([]float64, len(y))
		if err := g.gradient(y, grad, 1/n.spec.Eps); err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			x := xs[2*i : 2*i+2]
			for d := range 2 {
				yp, ym := slices.Clone(y[2*i:2*i+2]), slices.Clone(y[2*i:2*i+2])
				const h = 1e-6
				yp[d] += h
				ym[d] -= h
				fd := (n.Energy(x, yp) - n.Energy(x, ym)) / (2 * h)
				if got := grad[2*i+d]; math.Abs(got-fd) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("round %d row %d dim %d: ∇y E = %v, finite difference %v", round, i, d, got, fd)
				}
			}
		}
	}
}

// weightedObjective is Σ wc_i c(x_i,y_i) + Σ wf_j f(y_j) by the plain
// forward pass: what the training graph differentiates.
func weightedObjective(n *Model, xc, yc, wc, yf, wf []float64) float64 {
	s := 0.0
	for i, w := range wc {
		s += w * n.Cost(xc[2*i:2*i+2], yc[2*i:2*i+2])
	}
	for j, w := range wf {
		s += w * n.Potential(yf[2*j:2*j+2])
	}
	return s
}

func checkParamGrad(t *testing.T, n *Model, grad []float64, obj func() float64) {
	t.Helper()
	const h = 1e-6
	for i := range n.params {
		keep := n.params[i]
		n.params[i] = keep + h
		up := obj()
		n.params[i] = keep - h
		down := obj()
		n.params[i] = keep
		fd := (up - down) / (2 * h)
		if math.Abs(grad[i]-fd) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("∂/∂θ[%d] = %v, finite difference %v", i, grad[i], fd)
		}
	}
}

// The training graph's parameter gradient against finite differences, for
// row counts that split over several workers and for a potential-only
// batch; also after an in-place parameter update.
func TestNeuralParamGradient(t *testing.T) {
	n := testModel(t, 11)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, sizes := range [][2]int{{70, 90}, {0, 5}, {3, 0}} {
		nc, nf := sizes[0], sizes[1]
		xc, yc, wc := normals(rng, 2*nc), normals(rng, 2*nc), normals(rng, nc)
		yf, wf := normals(rng, 2*nf), normals(rng, nf)
		for round := range 2 {
			if round == 1 {
				for i := range n.params {
					n.params[i] += 0.05 * rng.NormFloat64()
				}
			}
			grad := make([]float64, len(n.params))
			c, f := make([]float64, nc), make([]float64, nf)
			if err := n.trainRows(context.Background(), xc, yc, wc, yf, wf, grad, c, f); err != nil {
				t.Fatal(err)
			}
			for i := range c {
				if want := n.Cost(xc[2*i:2*i+2], yc[2*i:2*i+2]); math.Abs(c[i]-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("c[%d] = %v, forward pass %v", i, c[i], want)
				}
			}
			for j := range f {
				if want := n.Potential(yf[2*j : 2*j+2]); math.Abs(f[j]-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("f[%d] = %v, forward pass %v", j, f[j], want)
				}
			}
			checkParamGrad(t, n, grad, func() float64 { return weightedObjective(n, xc, yc, wc, yf, wf) })
		}
	}
}

// LossGrad must return exactly the gradient of the contrastive surrogate
// (1/ε)[mean_p c(x,y) − mean_t f(y) + mean_s (f(ŷ) − c(x,ŷ))] at the
// samples ŷ it drew (read back from the replay buffer), with exact Paired
// and Target terms and NaN for the unknown log-partition.
func TestNeuralLossGradFormula(t *testing.T) {
	n := testModel(t, 13)
	rng := rand.New(rand.NewPCG(6, 6))
	b := &energy.Batch{
		NPair: 20, PairX: normals(rng, 40), PairY: normals(rng, 40),
		NTarget: 30, TargetY: normals(rng, 60),
		NSource: 70, SourceX: normals(rng, 140),
	}
	grad := make([]float64, len(n.Params()))
	st, err := n.LossGradStats(context.Background(), b, grad, rand.New(rand.NewPCG(8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	if n.ReplayLen() != b.NSource || st.Restarted != 0 {
		t.Fatalf("replay holds %d samples after one call (restarted %d), want %d fresh", n.ReplayLen(), st.Restarted, b.NSource)
	}
	yHat := slices.Clone(n.buffer.data)
	eps := n.spec.Eps
	surrogate := func() (paired, target, total float64) {
		for i := range b.NPair {
			paired += n.Cost(b.PairX[2*i:2*i+2], b.PairY[2*i:2*i+2]) / (eps * float64(b.NPair))
		}
		for j := range b.NTarget {
			target += n.Potential(b.TargetY[2*j:2*j+2]) / (eps * float64(b.NTarget))
		}
		total = paired - target
		for k := range b.NSource {
			y := yHat[2*k : 2*k+2]
			total += (n.Potential(y) - n.Cost(b.SourceX[2*k:2*k+2], y)) / (eps * float64(b.NSource))
		}
		return
	}
	paired, target, total := surrogate()
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*(1+math.Abs(b)) }
	if !near(st.Paired, paired) || !near(st.Target, target) || !near(st.Contrastive, total) {
		t.Errorf("terms (%v, %v, %v), want (%v, %v, %v)", st.Paired, st.Target, st.Contrastive, paired, target, total)
	}
	if !math.IsNaN(st.LogPartition) || !math.IsNaN(st.Total) {
		t.Errorf("LogPartition %v and Total %v should be NaN", st.LogPartition, st.Total)
	}
	checkParamGrad(t, n, grad, func() float64 { _, _, v := surrogate(); return v })

	// The samples must have moved from their N(0, I) starts towards low
	// energy: the mean energy over the batch drops.
	before, after := 0.0, 0.0
	starts := rand.New(rand.NewPCG(8, 8))
	y0 := make([]float64, len(yHat))
	if _, err := mustBuffer(t, 2, 10, 0.95, 1).Starts(y0, starts); err != nil {
		t.Fatal(err)
	}
	for k := range b.NSource {
		before += n.Energy(b.SourceX[2*k:2*k+2], y0[2*k:2*k+2])
		after += n.Energy(b.SourceX[2*k:2*k+2], yHat[2*k:2*k+2])
	}
	if !(after < before) {
		t.Errorf("Langevin did not lower the mean energy: %v → %v", before/70, after/70)
	}

	// A second call restarts most chains from the buffer (probability 0.95).
	st, err = n.LossGradStats(context.Background(), b, grad, rand.New(rand.NewPCG(9, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if st.Restarted < 55 || n.ReplayLen() != 2*b.NSource {
		t.Errorf("second call restarted %d of 70 chains, replay holds %d", st.Restarted, n.ReplayLen())
	}
}

func TestNeuralDeterministic(t *testing.T) {
	run := func() ([]float64, []float64, energy.LossTerms) {
		n := testModel(t, 21)
		rng := rand.New(rand.NewPCG(1, 2))
		b := &energy.Batch{NPair: 8, PairX: normals(rng, 16), PairY: normals(rng, 16), NTarget: 40, TargetY: normals(rng, 80), NSource: 66, SourceX: normals(rng, 132)}
		grad := make([]float64, len(n.Params()))
		var lt energy.LossTerms
		var err error
		for range 2 {
			if lt, err = n.LossGrad(context.Background(), b, grad, rng); err != nil {
				t.Fatal(err)
			}
		}
		s := make([]float64, 2*70)
		if err := n.Sample(context.Background(), []float64{0.5, 0}, 70, rng, s); err != nil {
			t.Fatal(err)
		}
		return grad, s, lt
	}
	g1, s1, l1 := run()
	g2, s2, l2 := run()
	if !slices.Equal(g1, g2) || !slices.Equal(s1, s2) || l1.Paired != l2.Paired || l1.Target != l2.Target {
		t.Error("same seeds gave different results")
	}
}

func TestNeuralInputErrors(t *testing.T) {
	n := testModel(t, 1)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 1))
	grad := make([]float64, len(n.Params()))
	bad := []*energy.Batch{
		nil,
		{},
		{NPair: 2, PairX: make([]float64, 4), PairY: make([]float64, 3)},
		{NSource: 1, SourceX: make([]float64, 1)},
		{NTarget: -1},
	}
	for i, b := range bad {
		if _, err := n.LossGrad(ctx, b, grad, rng); err == nil {
			t.Errorf("batch %d: no error", i)
		}
	}
	if _, err := n.LossGrad(ctx, &energy.Batch{NTarget: 1, TargetY: []float64{1, 2}}, grad[1:], rng); err == nil {
		t.Error("short gradient: no error")
	}
	if err := n.Sample(ctx, []float64{1}, 2, rng, make([]float64, 4)); err == nil {
		t.Error("short x: no error")
	}
	if err := n.Sample(ctx, []float64{1, 2}, 2, rng, make([]float64, 3)); err == nil {
		t.Error("short dst: no error")
	}
	if !math.IsNaN(n.Energy([]float64{1}, []float64{1, 2})) {
		t.Error("Energy with a short x is not NaN")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := n.Sample(cctx, []float64{1, 2}, 2, rng, make([]float64, 4)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sample: err = %v", err)
	}
}

var _ energy.Model = (*Model)(nil)

// The batched evaluation graph (fixed chunks of evalRows, the last one
// padded, spread over the workers) against the plain forward pass.
func TestNeuralEnergyRows(t *testing.T) {
	n := testModel(t, 17)
	rng := rand.New(rand.NewPCG(7, 7))
	const rows = 2*evalRows + 37
	xs, ys := normals(rng, 2*rows), normals(rng, 2*rows)
	got := make([]float64, rows)
	if err := n.energyRows(context.Background(), xs, ys, got); err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if want := n.Energy(xs[2*i:2*i+2], ys[2*i:2*i+2]); math.Abs(e-want) > 1e-12*(1+math.Abs(want)) {
			t.Fatalf("row %d: graph energy %v, forward pass %v", i, e, want)
		}
	}
}

// The default architecture (the 256-wide preset) builds and trains: its
// LossGrad gradient matches finite differences of the surrogate on one
// coordinate of every block.
func TestNeuralDefaultArchitectureGradient(t *testing.T) {
	lv := energy.DefaultLangevin()
	lv.Steps = 3
	n, err := New(energy.Spec{XDim: 2, YDim: 2, Eps: 0.5, Langevin: &lv}, rand.New(rand.NewPCG(1, 9)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 9))
	b := &energy.Batch{NPair: 10, PairX: normals(rng, 20), PairY: normals(rng, 20),
		NTarget: 12, TargetY: normals(rng, 24), NSource: 40, SourceX: normals(rng, 80)}
	grad := make([]float64, len(n.Params()))
	if _, err := n.LossGrad(context.Background(), b, grad, rng); err != nil {
		t.Fatal(err)
	}
	yHat := slices.Clone(n.buffer.data)
	eps := n.spec.Eps
	surrogate := func() float64 {
		s := 0.0
		for i := range b.NPair {
			s += n.Cost(b.PairX[2*i:2*i+2], b.PairY[2*i:2*i+2]) / (eps * float64(b.NPair))
		}
		for j := range b.NTarget {
			s -= n.Potential(b.TargetY[2*j:2*j+2]) / (eps * float64(b.NTarget))
		}
		for k := range b.NSource {
			y := yHat[2*k : 2*k+2]
			s += (n.Potential(y) - n.Cost(b.SourceX[2*k:2*k+2], y)) / (eps * float64(b.NSource))
		}
		return s
	}
	for _, blk := range n.Blocks() {
		i := blk.Offset + rng.IntN(blk.Len)
		keep := n.params[i]
		const h = 1e-5
		n.params[i] = keep + h
		up := surrogate()
		n.params[i] = keep - h
		down := surrogate()
		n.params[i] = keep
		if fd := (up - down) / (2 * h); math.Abs(grad[i]-fd) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("%s[%d]: gradient %v, finite difference %v", blk.Name, i-blk.Offset, grad[i], fd)
		}
	}
}
