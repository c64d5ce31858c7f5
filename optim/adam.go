package optim

import (
	"fmt"
	"math"
)

// AdamConfig holds the hyperparameters Adam shares across groups; the
// learning rate and weight decay are per group (Group.LR, Group.WeightDecay).
type AdamConfig struct {
	Beta1, Beta2 float64 // decay rates of the first and second moment, in [0, 1)
	Eps          float64 // added to the root of the second moment, > 0
	// Decoupled selects AdamW: weight decay shrinks the parameters directly,
	// θ ← θ − lr·wd·θ, independently of the gradient statistics. When false,
	// weight decay is the classic L2 penalty: wd·θ is added to the gradient
	// before the moments are updated, so it is rescaled by the adaptive
	// denominator like any other gradient component.
	Decoupled bool
}

// DefaultAdam returns β1 = 0.9, β2 = 0.999, ε = 1e-8, coupled (L2) decay.
func DefaultAdam() AdamConfig {
	return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

func (c AdamConfig) validate() error {
	if !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1) {
		return fmt.Errorf("%w: Adam betas (%v, %v) must lie in [0, 1)", ErrInvalidConfig, c.Beta1, c.Beta2)
	}
	if !finite(c.Eps) || c.Eps <= 0 {
		return fmt.Errorf("%w: Adam eps %v must be positive and finite", ErrInvalidConfig, c.Eps)
	}
	return nil
}

// Adam is bias-corrected Adam (Kingma & Ba) or AdamW (Loshchilov & Hutter)
// over the segments of its groups. Parameters outside every group are left
// untouched.
type Adam struct {
	groups []Group
	cfg    AdamConfig
	n      int
	m, v   []float64
	steps  int
	b1t    float64 // β1^steps, kept as a running product
	b2t    float64 // β2^steps
}

var _ Optimizer = (*Adam)(nil)

// NewAdam validates the groups against a parameter vector of length nParams
// and returns an optimizer with zero moment estimates.
func NewAdam(groups []Group, cfg AdamConfig, nParams int) (*Adam, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	gs, err := validateGroups(groups, nParams)
	if err != nil {
		return nil, err
	}
	return &Adam{
		groups: gs, cfg: cfg, n: nParams,
		m: make([]float64, nParams), v: make([]float64, nParams),
		b1t: 1, b2t: 1,
	}, nil
}

// Step applies one Adam update to params in place. It does not allocate.
func (a *Adam) Step(params, grad []float64) error {
	if err := checkLengths(params, grad, a.n); err != nil {
		return fmt.Errorf("adam step: %w", err)
	}
	a.steps++
	a.b1t *= a.cfg.Beta1
	a.b2t *= a.cfg.Beta2
	b1, b2, eps := a.cfg.Beta1, a.cfg.Beta2, a.cfg.Eps
	// Folding the bias corrections into the step size and epsilon
	// (lr·√(1−β2ᵗ)/(1−β1ᵗ) and ε·√(1−β2ᵗ)) would save two divisions per
	// coordinate but changes rounding; the direct form is kept so that the
	// update matches the textbook formula to the last bit.
	c1 := 1 - a.b1t
	c2 := 1 - a.b2t
	for _, g := range a.groups {
		lr, wd := g.LR, g.WeightDecay
		for _, s := range g.Segments {
			p := params[s.Offset : s.Offset+s.Len]
			gr := grad[s.Offset : s.Offset+s.Len]
			m := a.m[s.Offset : s.Offset+s.Len]
			v := a.v[s.Offset : s.Offset+s.Len]
			for i := range p {
				gi := gr[i]
				if wd != 0 {
					if a.cfg.Decoupled {
						p[i] -= lr * wd * p[i]
					} else {
						gi += wd * p[i]
					}
				}
				m[i] = b1*m[i] + (1-b1)*gi
				v[i] = b2*v[i] + (1-b2)*gi*gi
				p[i] -= lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + eps)
			}
		}
	}
	return nil
}

// SetLR sets the learning rate of group i (for schedules); lr = 0 is allowed.
func (a *Adam) SetLR(i int, lr float64) error { return setGroupLR(a.groups, i, lr) }

// LR returns the learning rate of group i, or NaN if i is out of range.
func (a *Adam) LR(i int) float64 { return groupLR(a.groups, i) }

// Steps returns the number of updates applied so far.
func (a *Adam) Steps() int { return a.steps }

// AdamState is everything needed to resume an Adam run exactly: the step
// count, both moment vectors (indexed like params) and the current group
// learning rates.
type AdamState struct {
	Steps int
	M, V  []float64
	LR    []float64
}

// State returns a deep copy of the optimizer state.
func (a *Adam) State() AdamState {
	lr := make([]float64, len(a.groups))
	for i, g := range a.groups {
		lr[i] = g.LR
	}
	return AdamState{
		Steps: a.steps,
		M:     append([]float64(nil), a.m...),
		V:     append([]float64(nil), a.v...),
		LR:    lr,
	}
}

// Restore replaces the optimizer state by s, which must come from State of
// an optimizer with the same groups and parameter count. After Restore, Step
// continues bit-identically to the run that produced s.
func (a *Adam) Restore(s AdamState) error {
	if len(s.M) != a.n || len(s.V) != a.n || len(s.LR) != len(a.groups) {
		return fmt.Errorf("adam restore: %w: state has %d/%d moments and %d rates, want %d and %d",
			ErrLength, len(s.M), len(s.V), len(s.LR), a.n, len(a.groups))
	}
	if s.Steps < 0 {
		return fmt.Errorf("adam restore: %w: negative step count %d", ErrInvalidConfig, s.Steps)
	}
	for i, lr := range s.LR {
		if !finite(lr) || lr < 0 {
			return fmt.Errorf("adam restore: %w: group %d learning rate %v", ErrInvalidConfig, i, lr)
		}
	}
	for i, v := range s.V {
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("adam restore: %w: second moment %d is %v", ErrInvalidConfig, i, v)
		}
	}
	copy(a.m, s.M)
	copy(a.v, s.V)
	for i, lr := range s.LR {
		a.groups[i].LR = lr
	}
	a.steps = s.Steps
	// Recompute the powers from scratch rather than storing them: the
	// running product after k multiplications equals this loop's result.
	a.b1t, a.b2t = 1, 1
	for range s.Steps {
		a.b1t *= a.cfg.Beta1
		a.b2t *= a.cfg.Beta2
	}
	return nil
}
