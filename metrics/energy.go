package metrics

import (
	"context"
	"fmt"
	"math"
)

// EnergyDistance returns the energy distance between the samples x and y,
//
//	E = 2·E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖,
//
// estimated like MMD2: the within-set means are U-statistics over pairs
// i ≠ j and the cross mean runs over all pairs. The estimate is unbiased for
// the population value (which is zero exactly when the distributions agree)
// and can therefore be slightly negative. Each set needs two points.
func EnergyDistance(ctx context.Context, threads int, x, y Points) (float64, error) {
	if err := validatePair(x, y, 2); err != nil {
		return 0, fmt.Errorf("energy distance: %w", err)
	}
	xx, err := distanceSum(ctx, threads, x, x, true)
	if err != nil {
		return 0, fmt.Errorf("energy distance: %w", err)
	}
	yy, err := distanceSum(ctx, threads, y, y, true)
	if err != nil {
		return 0, fmt.Errorf("energy distance: %w", err)
	}
	xy, err := distanceSum(ctx, threads, x, y, false)
	if err != nil {
		return 0, fmt.Errorf("energy distance: %w", err)
	}
	n, m := float64(x.Rows), float64(y.Rows)
	return 2*xy/(n*m) - 2*xx/(n*(n-1)) - 2*yy/(m*(m-1)), nil
}

// distanceSum returns Σ‖a_i − b_j‖ over i < j when upper, else over all pairs.
func distanceSum(ctx context.Context, threads int, a, b Points, upper bool) (float64, error) {
	parts := make([]float64, blockCount(a.Rows))
	err := forBlocks(ctx, threads, len(parts), func(blk int) {
		lo, hi := blk*blockRows, min((blk+1)*blockRows, a.Rows)
		var acc float64
		for i := lo; i < hi; i++ {
			j0 := 0
			if upper {
				j0 = i + 1
			}
			ai := a.Row(i)
			for j := j0; j < b.Rows; j++ {
				acc += math.Sqrt(squaredDistance(ai, b.Row(j)))
			}
		}
		parts[blk] = acc
	})
	if err != nil {
		return 0, err
	}
	return sumInOrder(parts), nil
}

// EnergyScore returns the energy score (the multivariate CRPS; lower is
// better) of the predictive distribution represented by samples at the
// observation y:
//
//	ES = E‖Y−y‖ − ½·E‖Y−Y′‖,  Y, Y′ independent draws of the prediction,
//
// estimated with the unbiased ("fair") form: the first mean over the m
// samples, the second over the m(m−1) ordered pairs of distinct samples.
// It needs at least two samples.
func EnergyScore(samples Points, y []float64) (float64, error) {
	if err := samples.Validate(); err != nil {
		return 0, fmt.Errorf("energy score: %w", err)
	}
	if len(y) != samples.Cols {
		return 0, fmt.Errorf("energy score: %w: observation of dimension %d, samples of %d", ErrShape, len(y), samples.Cols)
	}
	if samples.Rows < 2 {
		return 0, fmt.Errorf("energy score: %w: %d samples, need 2", ErrTooFew, samples.Rows)
	}
	for k, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("energy score: %w: observation coordinate %d is %v", ErrInvalid, k, v)
		}
	}
	return energyScore(samples, y), nil
}

func energyScore(samples Points, y []float64) float64 {
	m := samples.Rows
	var toObs, spread float64
	for i := range m {
		yi := samples.Row(i)
		toObs += math.Sqrt(squaredDistance(yi, y))
		for j := i + 1; j < m; j++ {
			spread += math.Sqrt(squaredDistance(yi, samples.Row(j)))
		}
	}
	fm := float64(m)
	// ½ · (2·spread)/(m(m−1)): spread counts each unordered pair once.
	return toObs/fm - spread/(fm*(fm-1))
}

// MeanEnergyScore scores a conditional model on held-out pairs: held-out row
// i is the observed y for one x, and samples rows [i·perRow, (i+1)·perRow)
// are the model's draws from π(·|x_i). It returns the energy score of every
// row (see EnergyScore) and their Summary. perRow must be at least 2.
func MeanEnergyScore(ctx context.Context, threads int, samples Points, perRow int, heldOut Points) ([]float64, Summary, error) {
	if err := validateConditional(samples, perRow, heldOut, 2); err != nil {
		return nil, Summary{}, fmt.Errorf("energy score: %w", err)
	}
	scores := make([]float64, heldOut.Rows)
	err := forBlocks(ctx, threads, heldOut.Rows, func(i int) {
		scores[i] = energyScore(samples.Slice(i*perRow, (i+1)*perRow), heldOut.Row(i))
	})
	if err != nil {
		return nil, Summary{}, fmt.Errorf("energy score: %w", err)
	}
	s, err := Summarize(scores)
	return scores, s, err
}
