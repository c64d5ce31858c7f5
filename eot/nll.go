package eot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
)

// LogProbEstimator is implemented by models without an exact density that
// can estimate log π(y|x) by Monte Carlo, with a standard error.
type LogProbEstimator interface {
	LogProbEstimate(ctx context.Context, x, y []float64, nSamples int, rng *rand.Rand) (logp, stderr float64, err error)
}

// ErrNoDensity is returned when a model can neither compute nor estimate
// its conditional density.
var ErrNoDensity = errors.New("model has no conditional density")

// estimateSamples is the Monte Carlo size per row for models without an
// exact density.
const estimateSamples = 256

// LogProbs returns log π(y_i|x_i) for every row of the pairs (x, y), in the
// model's coordinates. exact reports whether the values are exact (else
// they are Monte Carlo estimates).
func LogProbs(ctx context.Context, model Sampler, x, y datasets.Matrix, rng *rand.Rand) (lp []float64, exact bool, err error) {
	if x.Rows != y.Rows {
		return nil, false, fmt.Errorf("log-probabilities: %d x rows but %d y rows", x.Rows, y.Rows)
	}
	lp = make([]float64, x.Rows)
	switch m := model.(type) {
	case energy.Density:
		for i := range lp {
			lp[i] = m.LogProb(x.Row(i), y.Row(i))
		}
		return lp, true, nil
	case LogProbEstimator:
		for i := range lp {
			if lp[i], _, err = m.LogProbEstimate(ctx, x.Row(i), y.Row(i), estimateSamples, rng); err != nil {
				return nil, false, fmt.Errorf("log-probability of row %d: %w", i+1, err)
			}
		}
		return lp, false, nil
	}
	return nil, false, ErrNoDensity
}

// validator scores the model on held-out data during training: the mean
// negative conditional log-likelihood of validation pairs, or, when there
// are no validation pairs but validation sources and targets, the
// objective itself on them (for a fixed cost trained without pairs).
type validator struct {
	model energy.Model
	x, y  datasets.Matrix
	// unpaired holds the validation sources and targets for the objective.
	unpaired *energy.Batch
	samples  int // importance samples per pair for estimated densities
}

// newValidator returns nil when there is nothing to validate on or the
// model cannot score its validation data.
func newValidator(model energy.Model, valid *datasets.Streams) *validator {
	if valid == nil {
		return nil
	}
	if valid.PairX.Rows == 0 {
		if valid.SourceX.Rows == 0 || valid.TargetY.Rows == 0 || !model.Spec().FixedCost() {
			return nil
		}
		return &validator{model: model, unpaired: &energy.Batch{SourceX: valid.SourceX.Data, NSource: valid.SourceX.Rows,
			TargetY: valid.TargetY.Data, NTarget: valid.TargetY.Rows}}
	}
	switch model.(type) {
	case energy.Density:
		return &validator{model: model, x: valid.PairX, y: valid.PairY}
	case LogProbEstimator:
		// Each estimate runs Langevin chains: a bounded number of pairs
		// and samples keeps a validation to seconds, not minutes.
		x, y := valid.PairX, valid.PairY
		if x.Rows > maxEstimatedValidPairs {
			x, y = x.Slice(0, maxEstimatedValidPairs), y.Slice(0, maxEstimatedValidPairs)
		}
		return &validator{model: model, x: x, y: y, samples: validSamples}
	}
	return nil
}

// The validation of models without an exact density: at most this many
// pairs, each estimated from this many importance samples.
const (
	maxEstimatedValidPairs = 64
	validSamples           = 64
)

// nll is the mean negative conditional log-likelihood of the validation
// pairs, in the model's (standardised) coordinates, or the objective on the
// validation sources and targets.
func (v *validator) nll(ctx context.Context, rng *rand.Rand) (float64, error) {
	if v.unpaired != nil {
		// The objective without pairs: −E f(y)/ε + E log Z(x), the
		// entropic OT dual up to a constant; the gradient is not needed.
		terms, err := v.model.LossGrad(ctx, v.unpaired, make([]float64, len(v.model.Params())), rng)
		return terms.Total, err
	}
	var lp []float64
	var err error
	if est, ok := v.model.(LogProbEstimator); ok && v.samples > 0 {
		lp = make([]float64, v.x.Rows)
		for i := range lp {
			if lp[i], _, err = est.LogProbEstimate(ctx, v.x.Row(i), v.y.Row(i), v.samples, rng); err != nil {
				return math.NaN(), err
			}
		}
	} else if lp, _, err = LogProbs(ctx, v.model, v.x, v.y, rng); err != nil {
		return math.NaN(), err
	}
	var s float64
	for _, l := range lp {
		s -= l
	}
	return s / float64(len(lp)), nil
}
