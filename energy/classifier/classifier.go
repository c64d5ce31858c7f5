package classifier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/ebieot/ebieot/energy"
)

// defaultLeakySlope is the LeakyReLU slope of the cost network when
// Spec.LeakySlope is zero, as in the other models.
const defaultLeakySlope = 0.2

// priorTolerance is how far from 1 the class prior's sum may be: priors
// written as decimals or computed from counts are off by rounding only.
const priorTolerance = 1e-9

// Model is the EBiEOT classifier of docs/method.md §6 and §9.6:
//
//	π(k|x) = softmax_k( (f_k − c(x,k)) / ε ),   c(x,k) = −s_k(x),
//
// with K free potentials f_k and scores s(x) ∈ R^K from a network on x:
// linear (s_k(x) = ⟨W_k, x⟩, multinomial logistic regression with slopes
// W_k/ε and intercepts f_k/ε) or an MLP with Spec.CostHidden hidden layers
// (LeakyReLU) and K outputs.
//
// Parameters, in the order of the flat vector (see Blocks):
//
//	cost.hidden<l>.weight, cost.hidden<l>.bias   hidden layers (MLP only)
//	cost.out.weight                              K × H output weights, no bias
//	f                                            the K potentials
//
// Gauges. π is unchanged when a constant is added to every f_k, and when a
// function h(x) is added to every c(x,k). The first leaves the loss
// unchanged too (the target term moves by −κ/ε and log Z by +κ/ε), so it is
// left alone: f starts at ε·log prior and its gradient sums to zero over k.
// The second, and a class intercept inside the cost (c + κ_k with f + κ_k),
// change the empirical loss linearly (docs/method.md §9.6), so the cost has
// no output bias (the intercepts are f) and its output weights are centred
// over the classes (the network uses W_k − mean_j W_j): Σ_k c(x,k) = 0 for
// every x. Neither loses a conditional: any (f, c) is matched by
// f_k + mean_x-independent intercepts and the centred scores.
//
// LossGrad reuses internal scratch and serialises concurrent calls on one
// model; the other methods may run concurrently as long as nobody writes
// Params at the same time.
type Model struct {
	spec   energy.Spec
	params []float64
	blocks []energy.ParamBlock
	net    scoreNet
	offF   int // the K potentials
	prior  []float64

	threads int
	work    lossWork
}

func validateSpec(spec energy.Spec) (energy.Spec, error) {
	if err := spec.Validate(); err != nil {
		return spec, err
	}
	K := len(spec.Classes)
	switch {
	case spec.Kind != energy.KindClassifier:
		return spec, fmt.Errorf("%w: kind %q is not %q", energy.ErrSpec, spec.Kind, energy.KindClassifier)
	case spec.YDim != 1:
		return spec, fmt.Errorf("%w: a classifier's y is one column of class indices, not %d", energy.ErrSpec, spec.YDim)
	case K < 2:
		return spec, fmt.Errorf("%w: a classifier needs at least two classes (have %d)", energy.ErrSpec, K)
	case len(spec.ClassPrior) != K:
		return spec, fmt.Errorf("%w: %d class prior weights for %d classes", energy.ErrSpec, len(spec.ClassPrior), K)
	case spec.Potentials != 0 || spec.CostComponents != 0 || len(spec.WeightHidden) > 0 || spec.FullCov ||
		spec.AInit != 0 || spec.EpsFree || len(spec.PotentialHidden) > 0 || spec.Langevin != nil ||
		(spec.Cost != "" && spec.Cost != energy.CostLearned):
		return spec, fmt.Errorf("%w: a classifier has no GMM or neural settings (potentials, cost components, weight or potential networks, covariances, ε-free, fixed cost, Langevin)", energy.ErrSpec)
	case spec.LeakySlope < 0 || spec.LeakySlope >= 1 || math.IsNaN(spec.LeakySlope):
		return spec, fmt.Errorf("%w: LeakyReLU slope %v must lie in [0, 1)", energy.ErrSpec, spec.LeakySlope)
	}
	seen := make(map[string]bool, K)
	for k, name := range spec.Classes {
		if name == "" || seen[name] {
			return spec, fmt.Errorf("%w: class %d has an empty or repeated name %q", energy.ErrSpec, k, name)
		}
		seen[name] = true
	}
	sum := 0.0
	for k, p := range spec.ClassPrior {
		if !(p > 0) || math.IsInf(p, 0) {
			return spec, fmt.Errorf("%w: the prior of class %q is %v, not positive and finite", energy.ErrSpec, spec.Classes[k], p)
		}
		sum += p
	}
	if math.Abs(sum-1) > priorTolerance {
		return spec, fmt.Errorf("%w: the class prior sums to %v, not 1", energy.ErrSpec, sum)
	}
	spec.CostHidden = slices.Clone(spec.CostHidden)
	spec.Classes = slices.Clone(spec.Classes)
	spec.ClassPrior = slices.Clone(spec.ClassPrior)
	return spec, nil
}

// newLayout builds the model skeleton with a zero parameter vector.
func newLayout(spec energy.Spec) (*Model, error) {
	spec, err := validateSpec(spec)
	if err != nil {
		return nil, err
	}
	slope := spec.LeakySlope
	if slope == 0 {
		slope = defaultLeakySlope
	}
	K := len(spec.Classes)
	m := &Model{spec: spec, prior: spec.ClassPrior}
	m.net = newScoreNet(spec.XDim, spec.CostHidden, K, 0, slope)
	m.offF = m.net.numParams()
	total := m.offF + K
	const maxParams = 1 << 31
	if total > maxParams {
		return nil, fmt.Errorf("%w: %d parameters is more than this implementation supports", energy.ErrSpec, total)
	}
	m.params = make([]float64, total)
	m.blocks = append(m.net.blocks(), energy.ParamBlock{Name: "f", Role: energy.RolePotential, Offset: m.offF, Len: K})
	return m, nil
}

// New returns a freshly initialised classifier for spec: f_k = ε·log prior_k
// and a cost that is exactly zero (output weights 0; hidden layers
// He-normal for LeakyReLU with zero biases, drawn from rng), so that the
// initial conditional is the class prior at every x.
func New(spec energy.Spec, rng *rand.Rand) (*Model, error) {
	m, err := newLayout(spec)
	if err != nil {
		return nil, err
	}
	m.net.init(m.params, rng)
	for k, p := range m.prior {
		m.params[m.offF+k] = m.spec.Eps * math.Log(p)
	}
	return m, nil
}

// FromParams rebuilds a classifier from its spec and a saved parameter
// vector, which is copied. The length must match the spec and every value
// must be finite.
func FromParams(spec energy.Spec, params []float64) (*Model, error) {
	m, err := newLayout(spec)
	if err != nil {
		return nil, err
	}
	if len(params) != len(m.params) {
		return nil, fmt.Errorf("classifier from params: %w: %d parameters, the spec needs %d", energy.ErrShape, len(params), len(m.params))
	}
	for i, v := range params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("classifier from params: %w: parameter %d (%s) is %v", energy.ErrNonFinite, i, m.blockName(i), v)
		}
	}
	copy(m.params, params)
	return m, nil
}

func (m *Model) blockName(i int) string {
	for _, b := range m.blocks {
		if i >= b.Offset && i < b.Offset+b.Len {
			return b.Name
		}
	}
	return "?"
}

// Spec returns the model's spec (a copy).
func (m *Model) Spec() energy.Spec {
	s := m.spec
	s.CostHidden = slices.Clone(s.CostHidden)
	s.Classes = slices.Clone(s.Classes)
	s.ClassPrior = slices.Clone(s.ClassPrior)
	return s
}

// Params returns the live parameter vector.
func (m *Model) Params() []float64 { return m.params }

// Blocks returns the parameter blocks in order (a copy).
func (m *Model) Blocks() []energy.ParamBlock { return slices.Clone(m.blocks) }

// Classes is the number of classes K.
func (m *Model) Classes() int { return len(m.spec.Classes) }

// SetThreads sets the number of goroutines LossGrad and the batch methods
// use (0 = one per CPU). Results do not depend on it.
func (m *Model) SetThreads(n int) { m.threads = n }

// Compile-time checks of the contracts.
var (
	_ energy.Model    = (*Model)(nil)
	_ energy.Density  = (*Model)(nil)
	_ energy.Threaded = (*Model)(nil)
)

// lossWork is the scratch LossGrad reuses across calls.
type lossWork struct {
	mu      sync.Mutex
	wOut    []float64 // centred output weights
	tasks   []rowTask
	taskAcc [][]float64 // per task gradient accumulators (len Params)
	workers []*rowScratch
}

// rowScratch is one worker's buffers.
type rowScratch struct {
	tp    tape
	dS    []float64 // rows × K upstream gradient of the scores
	logit []float64 // K
}
