package metrics

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultCoverageLevels are the nominal levels reported when the caller has
// no preference.
func DefaultCoverageLevels() []float64 { return []float64{0.5, 0.8, 0.9, 0.95} }

// CoverageFromScores measures the calibration of a conditional model from
// centrality scores (higher = more typical, e.g. the model's log-density):
// sampleScores[i·perRow : (i+1)·perRow] score perRow model draws from
// π(·|x_i) and heldOutScores[i] scores the observed y_i with the same function.
//
// The central region of level α holds the points that fewer than a fraction
// α of the draws beat in typicality: with r_i the number of draws scored
// strictly higher than y_i and k = perRow, y_i is covered at level α when
// r_i < α·(k+1). If y_i and the draws are exchangeable (the model is right
// and the score does not depend on them), r_i is uniform on {0, …, k} and
// the probability of coverage is ⌈α(k+1)⌉/(k+1) ∈ [α, α + 1/(k+1)): the
// empirical coverage then matches the nominal level up to binomial noise.
// Coverage above nominal means over-dispersed predictions, below means
// over-confident ones.
//
// It returns the fraction of held-out rows covered at each level.
func CoverageFromScores(sampleScores []float64, perRow int, heldOutScores []float64, levels []float64) ([]float64, error) {
	n := len(heldOutScores)
	switch {
	case n == 0:
		return nil, fmt.Errorf("coverage: %w: no held-out rows", ErrTooFew)
	case perRow < 1:
		return nil, fmt.Errorf("coverage: %w: %d draws per row", ErrTooFew, perRow)
	case len(sampleScores) != n*perRow:
		return nil, fmt.Errorf("coverage: %w: %d draw scores for %d rows × %d draws", ErrShape, len(sampleScores), n, perRow)
	}
	if err := checkLevels(levels); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	for _, v := range heldOutScores {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("coverage: %w: NaN held-out score", ErrInvalid)
		}
	}
	ranks := make([]int, n)
	for i, s := range heldOutScores {
		for _, t := range sampleScores[i*perRow : (i+1)*perRow] {
			if t > s {
				ranks[i]++
			}
		}
	}
	return coverageFromRanks(ranks, perRow, levels), nil
}

func checkLevels(levels []float64) error {
	if len(levels) == 0 {
		return fmt.Errorf("%w: no coverage levels", ErrInvalid)
	}
	for _, a := range levels {
		if !(a > 0 && a < 1) {
			return fmt.Errorf("%w: coverage level %v outside (0, 1)", ErrInvalid, a)
		}
	}
	return nil
}

func coverageFromRanks(ranks []int, k int, levels []float64) []float64 {
	out := make([]float64, len(levels))
	for l, a := range levels {
		bound := a * float64(k+1)
		covered := 0
		for _, r := range ranks {
			if float64(r) < bound {
				covered++
			}
		}
		out[l] = float64(covered) / float64(len(ranks))
	}
	return out
}

// MahalanobisCoverage is CoverageFromScores for models without a density:
// for each held-out row the first ⌊perRow/2⌋ draws fit a Gaussian (mean and
// unbiased covariance, with a ridge of 1e-9·tr Σ/d on the diagonal, raised
// until the Cholesky factorisation succeeds), and the score is minus the
// squared Mahalanobis distance to it. The remaining ⌈perRow/2⌉ draws are the
// reference the observed y is ranked against. Because the fitting draws are
// not ranked, the observed y and the ranked draws stay exchangeable under a
// correct model, which keeps the coverage exact whatever the fit's quality
// (even with fewer draws than dimensions); the Gaussian fit only decides the
// shape of the regions. perRow must be at least 4.
func MahalanobisCoverage(ctx context.Context, threads int, samples Points, perRow int, heldOut Points, levels []float64) ([]float64, error) {
	if err := validateConditional(samples, perRow, heldOut, 4); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	if err := checkLevels(levels); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	nFit := perRow / 2
	k := perRow - nFit
	ranks := make([]int, heldOut.Rows)
	failed := make([]error, heldOut.Rows)
	err := forBlocks(ctx, threads, heldOut.Rows, func(i int) {
		draws := samples.Slice(i*perRow, (i+1)*perRow)
		score, err := mahalanobisScorer(draws.Slice(0, nFit))
		if err != nil {
			failed[i] = err
			return
		}
		s := score(heldOut.Row(i))
		for j := nFit; j < perRow; j++ {
			if score(draws.Row(j)) > s {
				ranks[i]++
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	for i, e := range failed {
		if e != nil {
			return nil, fmt.Errorf("coverage: held-out row %d: %w", i, e)
		}
	}
	return coverageFromRanks(ranks, k, levels), nil
}

// mahalanobisScorer returns v ↦ −(v−μ)ᵀΣ⁻¹(v−μ) for the regularised
// Gaussian fit of fit.
func mahalanobisScorer(fit Points) (func([]float64) float64, error) {
	g, err := FitGaussian(fit)
	if err != nil {
		return nil, err
	}
	d := g.Dim()
	cov := g.Cov
	jitter := 1e-9 * mat.Trace(cov) / float64(d)
	if !(jitter > 0) {
		// All draws coincide: fall back to Euclidean distance.
		cov = mat.NewSymDense(d, nil)
		jitter = 1
	}
	var chol mat.Cholesky
	ok := false
	for range 12 {
		reg := mat.NewSymDense(d, nil)
		reg.CopySym(cov)
		for k := range d {
			reg.SetSym(k, k, reg.At(k, k)+jitter)
		}
		if chol.Factorize(reg) {
			ok = true
			break
		}
		jitter *= 100
	}
	if !ok {
		return nil, fmt.Errorf("%w: covariance of the draws cannot be regularised", ErrInvalid)
	}
	var lower mat.TriDense
	chol.LTo(&lower)
	diff := mat.NewVecDense(d, nil)
	z := mat.NewVecDense(d, nil)
	return func(v []float64) float64 {
		for k := range d {
			diff.SetVec(k, v[k]-g.Mean[k])
		}
		if err := z.SolveVec(&lower, diff); err != nil {
			return math.Inf(-1)
		}
		return -mat.Dot(z, z)
	}, nil
}
