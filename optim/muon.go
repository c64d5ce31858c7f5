package optim

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// MuonConfig holds the matrix-update settings of Muon and SoftMuon.
// Momentum is an exponential moving average M ← β·M + (1−β)·G (buffer
// starting at zero); with Nesterov the orthogonalised direction is
// (1−β)·G + β·M, otherwise M.
type MuonConfig struct {
	Momentum float64 // β in [0, 1)
	Nesterov bool
	// NSSteps is the number of quintic Newton–Schulz steps of the
	// orthogonalisation.
	NSSteps int
	// AuxLRScale sets the learning rate of the AdamW that updates the
	// non-matrix segments of a group to AuxLRScale × the group's LR. The
	// Muon reference pairs lr 0.02 with an AdamW lr of 3e-4, a scale of
	// 0.015; 0 is read as 1.
	AuxLRScale float64
}

// DefaultMuon returns the reference settings: β = 0.95, Nesterov, 5
// Newton–Schulz steps, and AuxLRScale 1 (the aux AdamW shares the group LR).
func DefaultMuon() MuonConfig {
	return MuonConfig{Momentum: 0.95, Nesterov: true, NSSteps: 5, AuxLRScale: 1}
}

// DefaultMuonAux returns the AdamW the Muon reference uses for parameters
// that are not weight matrices: β = (0.9, 0.95), ε = 1e-10, decoupled decay.
func DefaultMuonAux() AdamConfig {
	return AdamConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-10, Decoupled: true}
}

func (c MuonConfig) validate() error {
	if !(c.Momentum >= 0 && c.Momentum < 1) {
		return fmt.Errorf("%w: Muon momentum %v must lie in [0, 1)", ErrInvalidConfig, c.Momentum)
	}
	if c.NSSteps < 0 {
		return fmt.Errorf("%w: negative Newton–Schulz steps %d", ErrInvalidConfig, c.NSSteps)
	}
	if !finite(c.AuxLRScale) || c.AuxLRScale < 0 {
		return fmt.Errorf("%w: aux learning-rate scale %v", ErrInvalidConfig, c.AuxLRScale)
	}
	return nil
}

// muonCore is the state shared by Muon and SoftMuon: the matrix groups
// (only segments with Rows, Cols > 0), their momentum, the AdamW for the
// other segments, and workspaces.
type muonCore struct {
	groups   []Group // matrix segments only, same indices as the caller's
	aux      *Adam   // the remaining segments, same group indices
	auxScale float64
	cfg      MuonConfig
	n        int
	m        []float64
	u        []float64 // direction of one matrix
	work     polarWork
	steps    int
}

func newMuonCore(groups []Group, cfg MuonConfig, aux AdamConfig, nParams int) (muonCore, error) {
	if err := cfg.validate(); err != nil {
		return muonCore{}, err
	}
	gs, err := validateGroups(groups, nParams)
	if err != nil {
		return muonCore{}, err
	}
	scale := cfg.AuxLRScale
	if scale == 0 {
		scale = 1
	}
	mats := make([]Group, len(gs))
	rest := make([]Group, len(gs))
	var all []Segment
	for i, g := range gs {
		mats[i], rest[i] = g, g
		mats[i].Segments, rest[i].Segments = nil, nil
		rest[i].LR = scale * g.LR
		for _, s := range g.Segments {
			if s.Rows > 0 && s.Cols > 0 {
				mats[i].Segments = append(mats[i].Segments, s)
				all = append(all, s)
			} else {
				rest[i].Segments = append(rest[i].Segments, s)
			}
		}
	}
	adam, err := NewAdam(rest, aux, nParams)
	if err != nil {
		return muonCore{}, fmt.Errorf("auxiliary AdamW: %w", err)
	}
	longest := 0
	for _, s := range all {
		longest = max(longest, s.Len)
	}
	return muonCore{
		groups: mats, aux: adam, auxScale: scale, cfg: cfg, n: nParams,
		m: make([]float64, nParams), u: make([]float64, longest),
		work: newPolarWork(all),
	}, nil
}

// direction updates the momentum of segment s and returns the direction to
// orthogonalise (a view of c.u).
func (c *muonCore) direction(s Segment, grad []float64) []float64 {
	beta := c.cfg.Momentum
	g := grad[s.Offset : s.Offset+s.Len]
	m := c.m[s.Offset : s.Offset+s.Len]
	u := c.u[:s.Len]
	for i := range m {
		m[i] = beta*m[i] + (1-beta)*g[i]
		if c.cfg.Nesterov {
			u[i] = (1-beta)*g[i] + beta*m[i]
		} else {
			u[i] = m[i]
		}
	}
	return u
}

// apply performs W ← (1 − lr·wd)·W − lr·√max(1, r/c)·O for the
// orthogonalised direction o; the shape factor keeps the update's RMS
// comparable between tall and wide matrices.
func apply(params []float64, s Segment, o []float64, lr, wd float64) {
	scale := lr * math.Sqrt(max(1, float64(s.Rows)/float64(s.Cols)))
	shrink := 1 - lr*wd
	w := params[s.Offset : s.Offset+s.Len]
	for i := range w {
		w[i] = shrink*w[i] - scale*o[i]
	}
}

func (c *muonCore) setLR(i int, lr float64) error {
	if err := setGroupLR(c.groups, i, lr); err != nil {
		return err
	}
	return c.aux.SetLR(i, c.auxScale*lr)
}

// Muon (Jordan et al. 2024) orthogonalises the momentum of every weight
// matrix with a quintic Newton–Schulz iteration, so each update has all
// singular values near 1 ("a step of size lr in spectral norm"). Segments
// that are not matrices (Rows or Cols zero) are updated by an AdamW with
// the same group learning rate times MuonConfig.AuxLRScale, as in the
// reference.
type Muon struct {
	muonCore
}

var _ Optimizer = (*Muon)(nil)

// NewMuon splits every group into its weight matrices (Muon) and the
// remaining segments (AdamW configured by aux) and validates everything.
func NewMuon(groups []Group, cfg MuonConfig, aux AdamConfig, nParams int) (*Muon, error) {
	c, err := newMuonCore(groups, cfg, aux, nParams)
	if err != nil {
		return nil, err
	}
	return &Muon{c}, nil
}

// Step applies one update in place. It does not allocate.
func (o *Muon) Step(params, grad []float64) error {
	if err := checkLengths(params, grad, o.n); err != nil {
		return fmt.Errorf("muon step: %w", err)
	}
	o.steps++
	if err := o.aux.Step(params, grad); err != nil {
		return err
	}
	for _, g := range o.groups {
		for _, s := range g.Segments {
			u := o.direction(s, grad)
			newtonSchulz(u, u, s.Rows, s.Cols, o.cfg.NSSteps, &o.work)
			apply(params, s, u, g.LR, g.WeightDecay)
		}
	}
	return nil
}

// SetLR sets group i's learning rate for the matrices and AuxLRScale times
// it for the aux AdamW; lr = 0 is allowed.
func (o *Muon) SetLR(i int, lr float64) error { return o.setLR(i, lr) }

// LR returns the matrix learning rate of group i, or NaN if out of range.
func (o *Muon) LR(i int) float64 { return groupLR(o.groups, i) }

// Steps returns the number of updates applied so far.
func (o *Muon) Steps() int { return o.steps }

// SoftMuonConfig configures SoftMuon (Feoktistov et al., ICML 2026): Muon
// for SignSteps steps, then the soft map Φ_τ(U) = U·(UᵀU + τ⁻²I)^(−1/2),
// which sends singular values σ to τσ/√(1+τ²σ²), with a temperature
// schedule built once at the first soft step from the singular values of
// the raw gradients of all matrices of the group (the threshold is
// AlgebraicSaturation(Eps)). See SoftSignumConfig for the shared fields.
type SoftMuonConfig struct {
	MuonConfig
	SignSteps, TransitionSteps int
	Eps                        float64
	NewtonIters                int
	// TMax clamps the temperatures (reference default 1e9).
	TMax float64
	// SoftSteps is the number of coupled Newton–Schulz iterations of the
	// soft map. The reference uses 5, which leaves small singular values
	// unconverged (softer than Φ_τ); 10–40 reproduce Φ_τ.
	SoftSteps int
}

// DefaultSoftMuon returns DefaultMuon with 9000 sign and 1000 transition
// steps, ε = 1e-4, 10 Newton iterations, tmax = 1e9 and 5 soft steps.
func DefaultSoftMuon() SoftMuonConfig {
	return SoftMuonConfig{
		MuonConfig:      DefaultMuon(),
		SignSteps:       9000,
		TransitionSteps: 1000,
		Eps:             1e-4,
		NewtonIters:     10,
		TMax:            1e9,
		SoftSteps:       5,
	}
}

// SoftMuon is Muon whose orthogonalisation is relaxed to the algebraic soft
// sign of the singular values after the sign phase. Non-matrix segments go
// to the aux AdamW throughout.
type SoftMuon struct {
	muonCore
	soft      SoftMuonConfig
	schedules [][]float64
}

var _ Optimizer = (*SoftMuon)(nil)

// NewSoftMuon splits the groups as NewMuon does and validates the schedule
// settings.
func NewSoftMuon(groups []Group, cfg SoftMuonConfig, aux AdamConfig, nParams int) (*SoftMuon, error) {
	if err := validateSoft(cfg.SignSteps, cfg.TransitionSteps, cfg.Eps, cfg.NewtonIters, cfg.TMax); err != nil {
		return nil, err
	}
	if cfg.SoftSteps < 0 {
		return nil, fmt.Errorf("%w: negative soft-map steps %d", ErrInvalidConfig, cfg.SoftSteps)
	}
	c, err := newMuonCore(groups, cfg.MuonConfig, aux, nParams)
	if err != nil {
		return nil, err
	}
	return &SoftMuon{muonCore: c, soft: cfg, schedules: make([][]float64, len(c.groups))}, nil
}

// Step applies one update in place. Only the first soft step (which builds
// the schedules with an SVD of every gradient matrix) allocates.
func (o *SoftMuon) Step(params, grad []float64) error {
	if err := checkLengths(params, grad, o.n); err != nil {
		return fmt.Errorf("softmuon step: %w", err)
	}
	o.steps++
	if err := o.aux.Step(params, grad); err != nil {
		return err
	}
	soft := o.steps-1 >= o.soft.SignSteps
	for gi, g := range o.groups {
		if soft && o.schedules[gi] == nil {
			sched, err := o.buildSchedule(g, grad)
			if err != nil {
				return fmt.Errorf("softmuon step %d: group %q: %w", o.steps, g.Name, err)
			}
			o.schedules[gi] = sched
		}
		for _, s := range g.Segments {
			u := o.direction(s, grad)
			if soft {
				softPolar(u, u, s.Rows, s.Cols, o.temperature(gi), o.soft.SoftSteps, &o.work)
			} else {
				newtonSchulz(u, u, s.Rows, s.Cols, o.cfg.NSSteps, &o.work)
			}
			apply(params, s, u, g.LR, g.WeightDecay)
		}
	}
	return nil
}

func (o *SoftMuon) buildSchedule(g Group, grad []float64) ([]float64, error) {
	var sv []float64
	var svd mat.SVD
	for _, s := range g.Segments {
		a := mat.NewDense(s.Rows, s.Cols, append([]float64(nil), grad[s.Offset:s.Offset+s.Len]...))
		if !svd.Factorize(a, mat.SVDNone) {
			return nil, fmt.Errorf("%w: segment %q", ErrSVD, s.Name)
		}
		sv = append(sv, svd.Values(nil)...)
	}
	return temperatureSchedule(sv, o.soft.TransitionSteps, AlgebraicSaturation(o.soft.Eps), o.soft.NewtonIters, o.soft.TMax), nil
}

func (o *SoftMuon) temperature(gi int) float64 {
	sched := o.schedules[gi]
	return sched[min(o.steps-1-o.soft.SignSteps, len(sched)-1)]
}

// Temperature returns the τ used by group i at the last step, or +Inf in the
// Muon phase (or for i out of range).
func (o *SoftMuon) Temperature(i int) float64 {
	if i < 0 || i >= len(o.schedules) || o.schedules[i] == nil {
		return math.Inf(1)
	}
	return o.temperature(i)
}

// Schedule returns a copy of group i's temperature schedule, or nil before
// it is built.
func (o *SoftMuon) Schedule(i int) []float64 {
	if i < 0 || i >= len(o.schedules) {
		return nil
	}
	return append([]float64(nil), o.schedules[i]...)
}

// SetLR sets group i's learning rate for the matrices and AuxLRScale times
// it for the aux AdamW; lr = 0 is allowed.
func (o *SoftMuon) SetLR(i int, lr float64) error { return o.setLR(i, lr) }

// LR returns the matrix learning rate of group i, or NaN if out of range.
func (o *SoftMuon) LR(i int) float64 { return groupLR(o.groups, i) }

// Steps returns the number of updates applied so far.
func (o *SoftMuon) Steps() int { return o.steps }
