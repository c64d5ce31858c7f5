package energy

import (
	"fmt"
	"math"
)

// Model kinds.
const (
	KindGMM        = "gmm"
	KindNeural     = "nn"
	KindClassifier = "classifier"
)

// Costs of a GMM (Spec.Cost).
const (
	// CostLearned is the log-sum-exp cost with learned x-dependent tilts
	// (the default; also the meaning of an empty Cost).
	CostLearned = "learned"
	// CostQuadratic is the fixed c(x,y) = ½‖x − y‖²: the Schrödinger
	// bridge with Brownian reference of variance ε per unit time
	// (docs/method.md §9.3, §9.4). It needs Dx = Dy, and x and y in one
	// unit, in which ε is expressed.
	CostQuadratic = "quadratic"
	// CostInner is the fixed c(x,y) = −⟨x, y⟩ (LightSB's form). It needs
	// Dx = Dy.
	CostInner = "inner"
)

// Spec is a model's architecture and hyperparameters: everything but the
// parameter values. It is stored in model files as JSON.
type Spec struct {
	Kind string  `json:"kind"` // KindGMM or KindNeural
	XDim int     `json:"x_dim"`
	YDim int     `json:"y_dim"`
	Eps  float64 `json:"eps"` // entropic temperature ε > 0

	// CostHidden: hidden layer sizes of the cost network. GMM: the x-network
	// of the b(x) head (empty = linear). NN: the MLP on [x, y].
	CostHidden []int `json:"cost_hidden,omitempty"`

	// GMM only.
	Potentials     int     `json:"potentials,omitempty"`      // N, mixture components of the potential
	CostComponents int     `json:"cost_components,omitempty"` // M, exponential tilts of the cost
	WeightHidden   []int   `json:"weight_hidden"`             // x-network of the log v(x) head; nil = CostHidden, [] = linear
	FullCov        bool    `json:"full_cov,omitempty"`        // Cholesky-factored A_n instead of diagonal
	AInit          float64 `json:"a_init,omitempty"`          // initial diagonal of A_n (default 0.1)
	// EpsFree parametrises the GMM by A′_n = ε·A_n and b′_m = b_m/ε
	// (docs/method.md §9.1): the conditional is then free of ε, and so are
	// the training dynamics and the initialisation; ε only scales the
	// reported cost and potential. At ε = 1 both parametrisations agree.
	EpsFree bool `json:"eps_free,omitempty"`
	// Cost is CostLearned (or empty), CostQuadratic or CostInner. A fixed
	// cost has no parameters: the model learns the potential alone, and
	// needs no pairs.
	Cost string `json:"cost,omitempty"`

	// NN only.
	PotentialHidden []int     `json:"potential_hidden,omitempty"`
	LeakySlope      float64   `json:"leaky_slope,omitempty"` // LeakyReLU negative slope (default 0.2)
	Langevin        *Langevin `json:"langevin,omitempty"`

	// Classifier only: y is one column of class indices 0 … K−1 (stored as
	// float64), Classes names them and ClassPrior is the class marginal
	// the target term uses (K positive weights summing to 1).
	Classes    []string  `json:"classes,omitempty"`
	ClassPrior []float64 `json:"class_prior,omitempty"`
}

// Langevin configures the short-run Langevin sampler of the neural model:
// y ← y − (StepSize/2)·∇_y E(y|x) + Noise·ξ, Steps times, started from a
// replay buffer during training and from N(0, InitStd²·I) at inference.
type Langevin struct {
	Steps       int     `json:"steps"`                // T (100)
	StepSize    float64 `json:"step_size"`            // η (0.05)
	Noise       float64 `json:"noise"`                // σ (0.005)
	StepDecay   float64 `json:"step_decay,omitempty"` // multiply η by this each step (0 or 1 = none)
	ScoreClip   float64 `json:"score_clip,omitempty"` // clip |∇_y E| coordinates (0 = none)
	Box         float64 `json:"box,omitempty"`        // project y into [−Box, Box]^Dy (0 = none)
	BufferSize  int     `json:"buffer_size"`          // replay capacity (10000)
	RestartProb float64 `json:"restart_prob"`         // probability to start from a stored sample (0.95)
	InitStd     float64 `json:"init_std"`             // std of fresh starts (1)
}

// DefaultLangevin is the authors' Swiss-roll preset (docs/method.md §5).
func DefaultLangevin() Langevin {
	return Langevin{Steps: 100, StepSize: 0.05, Noise: 0.005, BufferSize: 10000, RestartProb: 0.95, InitStd: 1}
}

// Validate checks the fields common to every kind; constructors check the
// rest.
func (s Spec) Validate() error {
	switch {
	case s.Kind != KindGMM && s.Kind != KindNeural && s.Kind != KindClassifier:
		return fmt.Errorf("%w: unknown kind %q (want %q, %q or %q)", ErrSpec, s.Kind, KindGMM, KindNeural, KindClassifier)
	case s.XDim < 1 || s.YDim < 1:
		return fmt.Errorf("%w: dimensions %d → %d must be positive", ErrSpec, s.XDim, s.YDim)
	case !(s.Eps > 0) || math.IsInf(s.Eps, 0) || s.Eps < 1e-100:
		return fmt.Errorf("%w: eps %v must be positive and finite", ErrSpec, s.Eps)
	}
	switch s.Cost {
	case "", CostLearned:
	case CostQuadratic, CostInner:
		if s.XDim != s.YDim {
			return fmt.Errorf("%w: the %s cost needs x and y of one dimension (x has %d, y %d)", ErrSpec, s.Cost, s.XDim, s.YDim)
		}
		if s.Kind != KindGMM {
			return fmt.Errorf("%w: the %s cost is available for the gmm model only", ErrSpec, s.Cost)
		}
	default:
		return fmt.Errorf("%w: unknown cost %q (want %q, %q or %q)", ErrSpec, s.Cost, CostLearned, CostQuadratic, CostInner)
	}
	for _, h := range [][]int{s.CostHidden, s.WeightHidden, s.PotentialHidden} {
		for _, n := range h {
			if n < 1 {
				return fmt.Errorf("%w: hidden layer size %d must be positive", ErrSpec, n)
			}
		}
	}
	return nil
}

// FixedCost reports whether the spec's cost is fixed (quadratic or inner
// product) rather than learned.
func (s Spec) FixedCost() bool { return s.Cost == CostQuadratic || s.Cost == CostInner }
