package optim

import (
	"fmt"
	"math"
)

// SignumConfig holds the momentum settings of Signum and SoftSignum.
//
// Momentum is accumulated in the PyTorch-SGD "sum" form: m = g on the first
// step, then m ← β·m + (1−dampening)·g. For Signum the form does not matter
// (sign is scale-free), but SoftSignum's tanh(τ·u) and its clamped
// temperatures see the absolute scale, and the sum form is the one the
// reference results were obtained with.
type SignumConfig struct {
	Momentum  float64 // β in [0, 1); 0 uses the raw gradient
	Dampening float64 // in [0, 1)
	Nesterov  bool    // direction u = g + β·m instead of u = m
}

// DefaultSignum returns β = 0.9, no dampening, no Nesterov.
func DefaultSignum() SignumConfig { return SignumConfig{Momentum: 0.9} }

func (c SignumConfig) validate() error {
	if !(c.Momentum >= 0 && c.Momentum < 1) || !(c.Dampening >= 0 && c.Dampening < 1) {
		return fmt.Errorf("%w: momentum %v and dampening %v must lie in [0, 1)", ErrInvalidConfig, c.Momentum, c.Dampening)
	}
	return nil
}

// signMomentum is the state and momentum rule shared by Signum and
// SoftSignum, so that the two are bit-identical in the sign phase.
type signMomentum struct {
	groups []Group
	cfg    SignumConfig
	n      int
	m      []float64
	steps  int
}

func newSignMomentum(groups []Group, cfg SignumConfig, nParams int) (signMomentum, error) {
	if err := cfg.validate(); err != nil {
		return signMomentum{}, err
	}
	gs, err := validateGroups(groups, nParams)
	if err != nil {
		return signMomentum{}, err
	}
	return signMomentum{groups: gs, cfg: cfg, n: nParams, m: make([]float64, nParams)}, nil
}

// decayAndAccumulate applies decoupled weight decay to the group's
// parameters and folds the gradient into the momentum buffer.
func (s *signMomentum) decayAndAccumulate(g Group, params, grad []float64) {
	beta, keep := s.cfg.Momentum, 1-s.cfg.Dampening
	shrink := 1 - g.LR*g.WeightDecay
	for _, seg := range g.Segments {
		p := params[seg.Offset : seg.Offset+seg.Len]
		gr := grad[seg.Offset : seg.Offset+seg.Len]
		m := s.m[seg.Offset : seg.Offset+seg.Len]
		if g.WeightDecay != 0 {
			for i := range p {
				p[i] *= shrink
			}
		}
		if beta == 0 {
			continue
		}
		if s.steps == 1 {
			copy(m, gr)
			continue
		}
		for i := range m {
			m[i] = beta*m[i] + keep*gr[i]
		}
	}
}

// direction returns the update direction u_i for flat index i.
func (s *signMomentum) direction(i int, grad []float64) float64 {
	switch {
	case s.cfg.Momentum == 0:
		return grad[i]
	case s.cfg.Nesterov:
		return grad[i] + s.cfg.Momentum*s.m[i]
	default:
		return s.m[i]
	}
}

// sign follows the convention sign(0) = 0 (and NaN stays NaN).
func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x
}

// Signum is sign descent with momentum (Bernstein et al. 2018) and
// decoupled weight decay: θ ← (1 − lr·wd)·θ − lr·sign(u), every coordinate
// moving by exactly ±lr (or 0).
type Signum struct {
	signMomentum
}

var _ Optimizer = (*Signum)(nil)

// NewSignum validates the groups against nParams parameters.
func NewSignum(groups []Group, cfg SignumConfig, nParams int) (*Signum, error) {
	s, err := newSignMomentum(groups, cfg, nParams)
	if err != nil {
		return nil, err
	}
	return &Signum{s}, nil
}

// Step applies one Signum update in place. It does not allocate.
func (s *Signum) Step(params, grad []float64) error {
	if err := checkLengths(params, grad, s.n); err != nil {
		return fmt.Errorf("signum step: %w", err)
	}
	s.steps++
	for _, g := range s.groups {
		s.decayAndAccumulate(g, params, grad)
		for _, seg := range g.Segments {
			for i := seg.Offset; i < seg.Offset+seg.Len; i++ {
				params[i] -= g.LR * sign(s.direction(i, grad))
			}
		}
	}
	return nil
}

// SetLR sets the learning rate of group i (for schedules); lr = 0 is allowed.
func (s *Signum) SetLR(i int, lr float64) error { return setGroupLR(s.groups, i, lr) }

// LR returns the learning rate of group i, or NaN if i is out of range.
func (s *Signum) LR(i int) float64 { return groupLR(s.groups, i) }

// Steps returns the number of updates applied so far.
func (s *Signum) Steps() int { return s.steps }

// SoftSignumConfig configures SoftSignum (Feoktistov et al., ICML 2026):
// Signum for SignSteps steps, then θ ← (1 − lr·wd)·θ − lr·tanh(τ_j·u) with
// a temperature schedule τ_j built once, at the first soft step, from the
// direction vectors of the whole group.
type SoftSignumConfig struct {
	SignumConfig
	// SignSteps is the length of the pure sign phase; TransitionSteps the
	// length T of the temperature schedule. Steps beyond SignSteps+T keep
	// the last temperature. Use SplitSteps for the α_sign form.
	SignSteps, TransitionSteps int
	// Eps is the saturation tolerance: τ_j is chosen so that a fraction
	// j/T of the coordinates has tanh(τ_j·|u|) < 1 − Eps.
	Eps float64
	// NewtonIters is the number of Newton steps of the quantile solver.
	NewtonIters int
	// TMax clamps the temperatures from above (they are also clamped to
	// ≥ 1). The reference SoftSignum class uses 20, which hands most
	// coordinates to SGD-like steps at once; 1e9 gives the gradual
	// quantile-controlled hand-off.
	TMax float64
}

// DefaultSoftSignum returns β = 0.9 (the reference class default of 0 is
// plain sign descent and almost never what is wanted), 9000 sign steps and
// 1000 transition steps (α_sign = 0.9 of 10 000), ε = 1e-4, 10 Newton
// iterations and tmax = 20.
func DefaultSoftSignum() SoftSignumConfig {
	return SoftSignumConfig{
		SignumConfig:    DefaultSignum(),
		SignSteps:       9000,
		TransitionSteps: 1000,
		Eps:             1e-4,
		NewtonIters:     10,
		TMax:            20,
	}
}

func validateSoft(signSteps, transitionSteps int, eps float64, newtonIters int, tmax float64) error {
	if signSteps < 0 || transitionSteps < 1 {
		return fmt.Errorf("%w: sign steps %d must be ≥ 0 and transition steps %d ≥ 1", ErrInvalidConfig, signSteps, transitionSteps)
	}
	if !(eps > 0 && eps < 1) {
		return fmt.Errorf("%w: saturation eps %v must lie in (0, 1)", ErrInvalidConfig, eps)
	}
	if newtonIters < 0 {
		return fmt.Errorf("%w: negative Newton iterations %d", ErrInvalidConfig, newtonIters)
	}
	if !(tmax >= 1) || math.IsNaN(tmax) {
		return fmt.Errorf("%w: tmax %v must be ≥ 1", ErrInvalidConfig, tmax)
	}
	return nil
}

// SoftSignum is Signum whose sign is relaxed to tanh(τ·u) after the sign
// phase, so that coordinates near their optimum stop oscillating with
// amplitude lr. There is one schedule per group.
type SoftSignum struct {
	signMomentum
	soft      SoftSignumConfig
	schedules [][]float64 // per group; nil during the sign phase
}

var _ Optimizer = (*SoftSignum)(nil)

// NewSoftSignum validates the configuration and the groups.
func NewSoftSignum(groups []Group, cfg SoftSignumConfig, nParams int) (*SoftSignum, error) {
	if err := validateSoft(cfg.SignSteps, cfg.TransitionSteps, cfg.Eps, cfg.NewtonIters, cfg.TMax); err != nil {
		return nil, err
	}
	s, err := newSignMomentum(groups, cfg.SignumConfig, nParams)
	if err != nil {
		return nil, err
	}
	return &SoftSignum{signMomentum: s, soft: cfg, schedules: make([][]float64, len(s.groups))}, nil
}

// Step applies one update in place. Only the step that builds the schedules
// (the first soft step) allocates.
func (s *SoftSignum) Step(params, grad []float64) error {
	if err := checkLengths(params, grad, s.n); err != nil {
		return fmt.Errorf("softsignum step: %w", err)
	}
	s.steps++
	soft := s.steps-1 >= s.soft.SignSteps
	for gi, g := range s.groups {
		s.decayAndAccumulate(g, params, grad)
		if !soft {
			for _, seg := range g.Segments {
				for i := seg.Offset; i < seg.Offset+seg.Len; i++ {
					params[i] -= g.LR * sign(s.direction(i, grad))
				}
			}
			continue
		}
		if s.schedules[gi] == nil {
			s.schedules[gi] = s.buildSchedule(g, grad)
		}
		tau := s.temperature(gi)
		for _, seg := range g.Segments {
			for i := seg.Offset; i < seg.Offset+seg.Len; i++ {
				params[i] -= g.LR * math.Tanh(tau*s.direction(i, grad))
			}
		}
	}
	return nil
}

func (s *SoftSignum) buildSchedule(g Group, grad []float64) []float64 {
	var u []float64
	for _, seg := range g.Segments {
		for i := seg.Offset; i < seg.Offset+seg.Len; i++ {
			u = append(u, s.direction(i, grad))
		}
	}
	return temperatureSchedule(u, s.soft.TransitionSteps, TanhSaturation(s.soft.Eps), s.soft.NewtonIters, s.soft.TMax)
}

// temperature is τ for the step just counted; the index is clamped so that
// running past the planned transition keeps the final temperature.
func (s *SoftSignum) temperature(gi int) float64 {
	sched := s.schedules[gi]
	j := min(s.steps-1-s.soft.SignSteps, len(sched)-1)
	return sched[j]
}

// Temperature returns the τ used by group i at the last step, or +Inf while
// the group is still in the sign phase (or i is out of range).
func (s *SoftSignum) Temperature(i int) float64 {
	if i < 0 || i >= len(s.schedules) || s.schedules[i] == nil {
		return math.Inf(1)
	}
	return s.temperature(i)
}

// Schedule returns a copy of group i's temperature schedule, or nil before
// it is built.
func (s *SoftSignum) Schedule(i int) []float64 {
	if i < 0 || i >= len(s.schedules) {
		return nil
	}
	return append([]float64(nil), s.schedules[i]...)
}

// SetLR sets the learning rate of group i (for schedules); lr = 0 is allowed.
func (s *SoftSignum) SetLR(i int, lr float64) error { return setGroupLR(s.groups, i, lr) }

// LR returns the learning rate of group i, or NaN if i is out of range.
func (s *SoftSignum) LR(i int) float64 { return groupLR(s.groups, i) }

// Steps returns the number of updates applied so far.
func (s *SoftSignum) Steps() int { return s.steps }
