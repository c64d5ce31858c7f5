package gmm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/ebieot/ebieot/energy"
)

// defaultAInit is the initial diagonal of the potential's A_n when
// Spec.AInit is zero (the Swiss-roll preset).
const defaultAInit = 0.1

// Model is the EBiEOT-GMM model of docs/method.md §4: the potential is ε times the
// log of a Gaussian mixture with N components and covariances ε·A_n, the
// cost a log-sum-exp of M exponential tilts whose weights v(x) and slopes
// b(x) come from x-networks. Every quantity is in closed form: log Z(x), the
// conditional π(y|x) (a Gaussian mixture with N·M components), its exact
// samples and log-density, and the analytic loss gradient.
//
// Parameters, in the order of the flat vector (see Blocks):
//
//	b.*      the b(x) network: CostHidden hidden layers, output M·Dy (row m·Dy+d is b_md)
//	logv.*   the log v(x) network: WeightHidden hidden layers, output M logits
//	raw_w    N logits; log w = log_softmax(raw_w)
//	a        N × Dy component means
//	raw_A    N × Dy, A_nd = softplus(raw_A_nd)                (diagonal)
//	chol     N packed lower-triangular Dy × Dy factors L_n,   (FullCov)
//	         A_n = L_n L_nᵀ, row i holding L_i0 … L_ii, diagonal through softplus
//
// The two x-networks are separate even when their hidden sizes agree; their
// hidden layers use LeakyReLU with slope 0.2 (Spec.LeakySlope is the neural
// model's and is ignored here). With M = 1 the log v head is kept but has no
// effect (log v ≡ 0) and a zero gradient.
//
// Gauge. Shifting every tilt b_m(x) by the same δ and every mean a_n by
// A_n·δ (with matching weights w_n) changes f and c by the same ⟨δ, y⟩ and
// leaves π(y|x) unchanged. The population loss is flat along this
// direction, but the empirical one is linear along it, with slope
// (ȳ_pairs − ȳ_targets)/ε, because its terms average over different
// samples: it has no minimum, and Adam drifts along it at the learning rate
// until the parameters are far out and the training noisy. The output bias
// of the b head is therefore centred over the M tilts (bias_md minus its
// mean over m); this removes the direction without losing any conditional
// (a_n absorbs the common shift), and with M = 1 makes the bias zero.
//
// LossGrad reuses internal scratch buffers and serialises concurrent calls
// on one model; the other methods may be called concurrently as long as no
// one writes Params at the same time.
type Model struct {
	spec   energy.Spec
	params []float64
	blocks []energy.ParamBlock

	bNet, vNet mlp
	offRawW    int // N logits
	offA       int // N × Dy means
	offCov     int // raw_A (N × Dy) or packed Cholesky factors (N × Dy(Dy+1)/2)

	threads int // goroutines per call; 0 = one per CPU
	work    lossWork
}

// workEps is the ε of the model's internal arithmetic: the spec's ε, or 1
// when the parameters are ε-free (A′ = εA and b′ = b/ε make every term of
// the loss, the conditional and its samples those of the ε = 1 model).
func (g *Model) workEps() float64 {
	if g.spec.EpsFree {
		return 1
	}
	return g.spec.Eps
}

// SetThreads sets the number of goroutines LossGrad and the batch methods
// use (0 = one per CPU). Results do not depend on it.
func (g *Model) SetThreads(n int) { g.threads = n }

// packedLen is the number of entries of a packed lower triangle of size d.
func packedLen(d int) int { return d * (d + 1) / 2 }

// covLen is the number of parameters of one A_n.
func (g *Model) covLen() int {
	if g.spec.FullCov {
		return packedLen(g.spec.YDim)
	}
	return g.spec.YDim
}

func validateSpec(spec energy.Spec) (energy.Spec, error) {
	if err := spec.Validate(); err != nil {
		return spec, err
	}
	switch {
	case spec.Kind != energy.KindGMM:
		return spec, fmt.Errorf("%w: kind %q is not %q", energy.ErrSpec, spec.Kind, energy.KindGMM)
	case spec.Potentials < 1:
		return spec, fmt.Errorf("%w: GMM needs at least one potential component (N = %d)", energy.ErrSpec, spec.Potentials)
	case spec.CostComponents < 1:
		return spec, fmt.Errorf("%w: GMM needs at least one cost component (M = %d)", energy.ErrSpec, spec.CostComponents)
	case spec.FixedCost() && spec.CostComponents != 1:
		return spec, fmt.Errorf("%w: a fixed %s cost has one tilt (M = 1), not %d", energy.ErrSpec, spec.Cost, spec.CostComponents)
	case spec.FixedCost() && spec.EpsFree:
		return spec, fmt.Errorf("%w: a fixed cost sets the scale of ε, so its parameters cannot be ε-free", energy.ErrSpec)
	case spec.FixedCost() && (len(spec.CostHidden) > 0 || len(spec.WeightHidden) > 0):
		return spec, fmt.Errorf("%w: a fixed %s cost has no networks", energy.ErrSpec, spec.Cost)
	case spec.AInit < 0 || math.IsNaN(spec.AInit) || math.IsInf(spec.AInit, 0):
		return spec, fmt.Errorf("%w: a_init %v must be positive and finite (0 = default %v)", energy.ErrSpec, spec.AInit, defaultAInit)
	}
	spec.CostHidden = slices.Clone(spec.CostHidden)
	spec.WeightHidden = slices.Clone(spec.WeightHidden)
	return spec, nil
}

// newLayout builds the model skeleton with a zero parameter vector.
func newLayout(spec energy.Spec) (*Model, error) {
	spec, err := validateSpec(spec)
	if err != nil {
		return nil, err
	}
	N, M, dx, dy := spec.Potentials, spec.CostComponents, spec.XDim, spec.YDim
	weightHidden := spec.WeightHidden
	if weightHidden == nil {
		weightHidden = spec.CostHidden
	}
	g := &Model{spec: spec}
	if !spec.FixedCost() {
		g.bNet = newMLP(dx, spec.CostHidden, M*dy, 0, gmmLeakySlope)
		g.bNet.centerStride = dy
		g.vNet = newMLP(dx, weightHidden, M, g.bNet.numParams(), gmmLeakySlope)
		g.offRawW = g.vNet.offset + g.vNet.numParams()
	}
	g.offA = g.offRawW + N
	g.offCov = g.offA + N*dy
	total := g.offCov + N*g.covLen()
	const maxParams = 1 << 31
	if total > maxParams {
		return nil, fmt.Errorf("%w: %d parameters is more than this implementation supports", energy.ErrSpec, total)
	}
	g.params = make([]float64, total)

	if !spec.FixedCost() {
		g.blocks = append(g.bNet.blocks("b", energy.RoleCost), g.vNet.blocks("logv", energy.RoleCost)...)
	}
	g.blocks = append(g.blocks,
		energy.ParamBlock{Name: "raw_w", Role: energy.RolePotential, Offset: g.offRawW, Len: N},
		energy.ParamBlock{Name: "a", Role: energy.RolePotential, Offset: g.offA, Len: N * dy})
	if spec.FullCov {
		// A stack of packed triangles is not a linear map: no matrix shape.
		g.blocks = append(g.blocks, energy.ParamBlock{Name: "chol", Role: energy.RolePotential, Offset: g.offCov, Len: N * g.covLen()})
	} else {
		g.blocks = append(g.blocks, energy.ParamBlock{Name: "raw_A", Role: energy.RolePotential, Offset: g.offCov, Len: N * dy})
	}
	return g, nil
}

// NewGMM returns a freshly initialised GMM for spec:
//
//   - a_n: N target rows drawn with rng from targets (row-major nTargets ×
//     YDim, in the learner's standardised coordinates), distinct rows when
//     nTargets ≥ N, with replacement when there are fewer targets than
//     components;
//   - A_n = AInit·I (default 0.1), i.e. raw_A = softplus⁻¹(AInit) on the
//     diagonal (and zero below it for FullCov, whose factor is √AInit·I);
//   - log w uniform (raw_w = 0);
//   - x-networks: hidden layers He-normal for LeakyReLU(0.2), biases 0; the
//     output layers of both heads N(0, 0.01²) with zero bias, so that the
//     cost starts near 0 and v(x) near uniform.
func New(spec energy.Spec, targets []float64, nTargets int, rng *rand.Rand) (*Model, error) {
	g, err := newLayout(spec)
	if err != nil {
		return nil, err
	}
	spec = g.spec
	N, dy := spec.Potentials, spec.YDim
	switch {
	case nTargets < 1:
		return nil, fmt.Errorf("new GMM: need at least one target sample to place the %d potential components", N)
	case len(targets) != nTargets*dy:
		return nil, fmt.Errorf("new GMM: %w: %d target values for %d rows of dimension %d", energy.ErrShape, len(targets), nTargets, dy)
	}
	for i, v := range targets {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("new GMM: %w: target row %d has %v", energy.ErrNonFinite, i/dy, v)
		}
	}
	aInit := spec.AInit
	if aInit == 0 {
		aInit = defaultAInit
	}

	p := g.params
	if !spec.FixedCost() {
		g.bNet.init(p, 0.01, rng)
		g.vNet.init(p, 0.01, rng)
	}
	// raw_w stays 0: uniform weights.
	rows := make([]int, 0, N)
	if nTargets >= N {
		// Floyd's sampling: N distinct rows without an nTargets-long
		// permutation.
		chosen := make(map[int]bool, N)
		for j := nTargets - N; j < nTargets; j++ {
			r := rng.IntN(j + 1)
			if chosen[r] {
				r = j
			}
			chosen[r] = true
			rows = append(rows, r)
		}
	} else {
		for range N {
			rows = append(rows, rng.IntN(nTargets))
		}
	}
	for n, r := range rows {
		copy(p[g.offA+n*dy:g.offA+(n+1)*dy], targets[r*dy:(r+1)*dy])
	}
	if spec.FullCov {
		// L = √AInit·I so that A = L Lᵀ = AInit·I.
		raw := softplusInv(math.Sqrt(aInit))
		for n := 0; n < N; n++ {
			chol := p[g.offCov+n*g.covLen() : g.offCov+(n+1)*g.covLen()]
			for i := 0; i < dy; i++ {
				chol[packedLen(i)+i] = raw
			}
		}
	} else {
		raw := softplusInv(aInit)
		for i := g.offCov; i < len(p); i++ {
			p[i] = raw
		}
	}
	return g, nil
}

// GMMFromParams rebuilds a GMM from its spec and a saved parameter vector,
// which is copied. The length must match the spec and every value must be
// finite.
func FromParams(spec energy.Spec, params []float64) (*Model, error) {
	g, err := newLayout(spec)
	if err != nil {
		return nil, err
	}
	if len(params) != len(g.params) {
		return nil, fmt.Errorf("GMM from params: %w: %d parameters, the spec needs %d", energy.ErrShape, len(params), len(g.params))
	}
	for i, v := range params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("GMM from params: %w: parameter %d (%s) is %v", energy.ErrNonFinite, i, g.blockName(i), v)
		}
	}
	copy(g.params, params)
	return g, nil
}

func (g *Model) blockName(i int) string {
	for _, b := range g.blocks {
		if i >= b.Offset && i < b.Offset+b.Len {
			return b.Name
		}
	}
	return "?"
}

// Spec returns the model's spec (a copy).
func (g *Model) Spec() energy.Spec {
	s := g.spec
	s.CostHidden = slices.Clone(s.CostHidden)
	s.WeightHidden = slices.Clone(s.WeightHidden)
	return s
}

// Params returns the live parameter vector.
func (g *Model) Params() []float64 { return g.params }

// Blocks returns the parameter blocks in order (a copy).
func (g *Model) Blocks() []energy.ParamBlock { return slices.Clone(g.blocks) }

// softplus is log(1 + eˣ), computed without overflow for large x and
// without cancellation for very negative x.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// sigmoid is the derivative of softplus.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplusInv is the inverse of softplus for y > 0: log(eʸ − 1), written so
// that it stays accurate for small and large y.
func softplusInv(y float64) float64 {
	return y + math.Log(-math.Expm1(-y))
}

// Compile-time checks of the contracts.
var (
	_ energy.Model   = (*Model)(nil)
	_ energy.Density = (*Model)(nil)
)

// lossWork is the scratch LossGrad reuses across calls so that its hot path
// does not allocate.
type lossWork struct {
	mu      sync.Mutex
	pot     potential
	xs      []float64 // pair x's then source x's
	bTape   mlpTape
	vTape   mlpTape
	bOut    []float64 // b head output of the stacked rows (aliases bTape)
	zOut    []float64 // log v head logits of the stacked rows (aliases vTape)
	logv    []float64 // rows × M
	dB, dV  []float64 // upstream gradients of the heads, rows × M·Dy and rows × M
	tasks   []rowTask
	taskAcc [][]float64 // per task potential-gradient accumulators
	workers []*rowScratch
	potGrad []float64
}
