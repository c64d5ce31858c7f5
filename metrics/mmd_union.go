package metrics

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// UnionMedianDistance returns the bandwidth scale of the EBiEOT authors'
// evaluation code: the lower median (for an even count, the smaller middle
// value, as torch.median takes it) of the nonzero distances between all
// pairs of points of the union of x and y. Every pair is used, however many
// there are (2.1 million pairs for two sets of 1024).
func UnionMedianDistance(x, y Points) (float64, error) {
	if err := validatePair(x, y, 1); err != nil {
		return 0, fmt.Errorf("union median distance: %w", err)
	}
	union := Points{Data: slices.Concat(x.Data, y.Data), Rows: x.Rows + y.Rows, Cols: x.Cols}
	all := union.Rows * (union.Rows - 1) / 2
	d2 := positivePairSqDistances(union, all)
	if len(d2) == 0 {
		return 0, fmt.Errorf("union median distance: %w: all %d points coincide", ErrInvalid, union.Rows)
	}
	// torch.median of the full distance matrix sees every pair twice; the
	// lower median of that doubled list is the lower median of the pairs.
	return math.Sqrt(vecmath.SelectKth(d2, (len(d2)-1)/2)), nil
}

// MMD2WithUnionMedian is MMD2 with the bandwidths s·2^{−2..2} of
// UnionMedianDistance(x, y): the MMD² as the authors' evaluation code
// computes it, for comparing with their published numbers. It differs from
// MMD2WithMedian, this package's evaluation metric (docs/method.md §8), only in
// the bandwidth, which there depends on the reference set alone, so that
// every model compared with the same reference is measured with the same
// kernel. It returns the bandwidths it used.
func MMD2WithUnionMedian(ctx context.Context, threads int, x, y Points) (float64, []float64, error) {
	if err := validatePair(x, y, 2); err != nil {
		return 0, nil, fmt.Errorf("mmd: %w", err)
	}
	s, err := UnionMedianDistance(x, y)
	if err != nil {
		return 0, nil, fmt.Errorf("mmd bandwidths: %w", err)
	}
	bw := []float64{s / 4, s / 2, s, 2 * s, 4 * s}
	v, err := MMD2(ctx, threads, x, y, bw)
	return v, bw, err
}
