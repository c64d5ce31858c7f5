package metrics

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// CondBWUVP is the conditional Bures–Wasserstein unexplained-variance
// percentage of the entropic OT benchmarks (Gushchin et al. 2023, "Building
// the Bridge of Schrödinger"; LightSB, Korotin et al. 2024): the mean over
// test points x of the squared Bures–Wasserstein (Fréchet) distance between
// a Gaussian with the model's conditional moments at x and one with the
// true conditional's, relative to half the total variance of the target
// marginal, in per cent:
//
//	cBW²-UVP = 100 · mean_x BW²(fit_x, truth_x) / (½ tr Cov(P₁)).
//
// fits and truths are per test point; targetCov is the covariance of the
// target marginal P₁.
func CondBWUVP(fits, truths []Gaussian, targetCov *mat.SymDense) (float64, error) {
	if len(fits) != len(truths) || len(fits) == 0 {
		return 0, fmt.Errorf("cbw-uvp: %w: %d fitted and %d true conditionals", ErrShape, len(fits), len(truths))
	}
	half := 0.5 * mat.Trace(targetCov)
	if !(half > 0) {
		return 0, fmt.Errorf("cbw-uvp: %w: target covariance has trace %v", ErrInvalid, 2*half)
	}
	s := 0.0
	for i := range fits {
		d, err := FrechetDistance(fits[i], truths[i])
		if err != nil {
			return 0, fmt.Errorf("cbw-uvp: test point %d: %w", i+1, err)
		}
		s += d
	}
	return 100 * s / float64(len(fits)) / half, nil
}
