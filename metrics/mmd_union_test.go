package metrics

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// torchLowerMedianDistance is the authors' bandwidth written out: the full
// distance matrix of the union (every pair in both orders), its positive
// entries sorted, and the lower middle one.
func torchLowerMedianDistance(x, y Points) float64 {
	z := append(slices.Clone(x.Data), y.Data...)
	rows := x.Rows + y.Rows
	var d []float64
	for i := range rows {
		for j := range rows {
			if v := math.Sqrt(squaredDistance(z[i*x.Cols:(i+1)*x.Cols], z[j*x.Cols:(j+1)*x.Cols])); v > 0 {
				d = append(d, v)
			}
		}
	}
	slices.Sort(d)
	return d[(len(d)-1)/2]
}

func TestMMD2WithUnionMedianMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ctx := context.Background()
	for _, c := range []struct{ n, m, dim int }{{7, 6, 2}, {9, 9, 1}, {20, 13, 3}} {
		x := gaussianPoints(rng, c.n, make([]float64, c.dim), slices.Repeat([]float64{1}, c.dim))
		y := gaussianPoints(rng, c.m, slices.Repeat([]float64{0.7}, c.dim), slices.Repeat([]float64{1.5}, c.dim))
		// A point repeated within x and across the sets: its zero distances
		// must not count.
		copy(x.Row(1), x.Row(0))
		copy(y.Row(2), x.Row(0))
		s := torchLowerMedianDistance(x, y)
		got, bw, err := MMD2WithUnionMedian(ctx, 0, x, y)
		if err != nil {
			t.Fatal(err)
		}
		wantBW := []float64{s / 4, s / 2, s, 2 * s, 4 * s}
		for k := range bw {
			if math.Abs(bw[k]-wantBW[k]) > 1e-15*wantBW[k] {
				t.Fatalf("%+v: bandwidths %v, want %v", c, bw, wantBW)
			}
		}
		want := bruteMMD2(x, y, wantBW)
		if !relClose(got, want, 1e-12) {
			t.Errorf("%+v: MMD² %v, brute force %v", c, got, want)
		}
		// The union median is not the real set's: the two estimators
		// differ here, so the test can tell them apart.
		own, _, err := MMD2WithMedian(ctx, 0, x, y)
		if err != nil || relClose(own, got, 1e-6) {
			t.Errorf("%+v: MMD2WithMedian %v equals the union variant %v (%v)", c, own, got, err)
		}
	}
}

// TestUnionMedianIsTheLowerMiddle: with an even number of distinct
// distances the lower of the two middle ones is taken, not their mean.
func TestUnionMedianIsTheLowerMiddle(t *testing.T) {
	// Points 0, 1, 3 on a line and 7 in the other set: pair distances 1, 3,
	// 7, 2, 6, 4 → sorted 1 2 3 4 6 7, lower median 3.
	x := Points{Data: []float64{0, 1, 3}, Rows: 3, Cols: 1}
	y := Points{Data: []float64{7}, Rows: 1, Cols: 1}
	if s, err := UnionMedianDistance(x, y); err != nil || s != 3 {
		t.Errorf("union median %v (%v), want 3", s, err)
	}
}

func TestUnionMedianErrors(t *testing.T) {
	same := Points{Data: []float64{1, 1, 1, 1}, Rows: 2, Cols: 2}
	if _, err := UnionMedianDistance(same, Points{Data: []float64{1, 1}, Rows: 1, Cols: 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("coincident points: %v", err)
	}
	if _, _, err := MMD2WithUnionMedian(context.Background(), 0, same, Points{Data: []float64{1}, Rows: 1, Cols: 1}); !errors.Is(err, ErrShape) {
		t.Errorf("dimension mismatch: %v", err)
	}
	if _, _, err := MMD2WithUnionMedian(context.Background(), 0, same, Points{Data: []float64{1, 2}, Rows: 1, Cols: 2}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one point: %v", err)
	}
}
