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

type validator struct {
	model energy.Model
	x, y  datasets.Matrix
}

// newValidator returns nil when there is nothing to validate on or the
// model cannot score pairs.
func newValidator(model energy.Model, valid *datasets.Streams) *validator {
	if valid == nil || valid.PairX.Rows == 0 {
		return nil
	}
	switch model.(type) {
	case energy.Density, LogProbEstimator:
		return &validator{model: model, x: valid.PairX, y: valid.PairY}
	}
	return nil
}

// nll is the mean negative conditional log-likelihood of the validation
// pairs, in the model's (standardised) coordinates.
func (v *validator) nll(ctx context.Context, rng *rand.Rand) (float64, error) {
	lp, _, err := LogProbs(ctx, v.model, v.x, v.y, rng)
	if err != nil {
		return math.NaN(), err
	}
	var s float64
	for _, l := range lp {
		s -= l
	}
	return s / float64(len(lp)), nil
}
