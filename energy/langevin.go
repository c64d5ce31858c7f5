package energy

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// EnergyGradFunc writes ∇_y E(y_i) for every row y_i of y (row-major, the
// sampler's dimension) into g, which has the length of y.
type EnergyGradFunc func(y, g []float64) error

// ErrLangevin is wrapped by every error about an invalid Langevin setting.
var ErrLangevin = fmt.Errorf("%w: Langevin settings", ErrSpec)

// Validate checks the settings; the replay fields are checked even when
// only sampling, since a Spec carries both.
func (l Langevin) Validate() error {
	bad := func(name string, v float64) error {
		return fmt.Errorf("%w: %s = %v", ErrLangevin, name, v)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case l.Steps < 1:
		return fmt.Errorf("%w: steps = %d, want ≥ 1", ErrLangevin, l.Steps)
	case !(l.StepSize > 0) || !finite(l.StepSize):
		return bad("step size", l.StepSize)
	case !(l.Noise >= 0) || !finite(l.Noise):
		return bad("noise", l.Noise)
	case !(l.StepDecay >= 0) || !finite(l.StepDecay):
		return bad("step decay", l.StepDecay)
	case !(l.ScoreClip >= 0) || !finite(l.ScoreClip):
		return bad("score clip", l.ScoreClip)
	case !(l.Box >= 0) || !finite(l.Box):
		return bad("box", l.Box)
	case l.BufferSize < 0:
		return fmt.Errorf("%w: buffer size = %d", ErrLangevin, l.BufferSize)
	case !(l.RestartProb >= 0 && l.RestartProb <= 1):
		return bad("restart probability", l.RestartProb)
	case !(l.InitStd > 0) || !finite(l.InitStd):
		return bad("initial std", l.InitStd)
	}
	return nil
}

// RunLangevin runs cfg.Steps steps of unadjusted Langevin dynamics
//
//	y ← y − (η_t/2)·∇_y E(y) + σ·ξ,  ξ ~ N(0, I),  η_t = η·decay^t
//
// in place on the rows of y (dim columns each), with the score clipped to
// [−ScoreClip, ScoreClip] per coordinate and y projected into
// [−Box, Box]^dim after each step when those are set. For η → 0 with
// σ² = η the chain targets exp(−E); the neural model's preset uses a much
// smaller σ (short-run dynamics, as the authors do). The noise is drawn
// from rng row after row, so the result is a deterministic function of y
// and rng. The replay fields of cfg are not used here.
func RunLangevin(ctx context.Context, cfg Langevin, dim int, y []float64, grad EnergyGradFunc, rng *rand.Rand) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if dim < 1 || len(y)%dim != 0 {
		return fmt.Errorf("langevin: %d values are not rows of dimension %d", len(y), dim)
	}
	g := make([]float64, len(y))
	step := cfg.StepSize
	for t := 0; t < cfg.Steps; t++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("langevin step %d: %w", t, err)
		}
		if err := grad(y, g); err != nil {
			return fmt.Errorf("langevin step %d: %w", t, err)
		}
		for i, gi := range g {
			if cfg.ScoreClip > 0 {
				gi = math.Max(-cfg.ScoreClip, math.Min(cfg.ScoreClip, gi))
			}
			v := y[i] - 0.5*step*gi + cfg.Noise*rng.NormFloat64()
			if cfg.Box > 0 {
				v = math.Max(-cfg.Box, math.Min(cfg.Box, v))
			}
			y[i] = v
		}
		if cfg.StepDecay > 0 {
			step *= cfg.StepDecay
		}
	}
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("langevin: chain diverged (non-finite sample); reduce the step size or set a score clip or box")
		}
	}
	return nil
}
