package datasets

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// indexed returns streams whose every row holds its own index, so that a
// split can be traced back to the original rows.
func indexed(p, q, r int) *Streams {
	fill := func(n, cols int, offset float64) Matrix {
		m := NewMatrix(n, cols)
		for i := range n {
			for j := range cols {
				m.Row(i)[j] = offset + float64(i)
			}
		}
		return m
	}
	return &Streams{
		XNames: []string{"x1", "x2"}, YNames: []string{"y"},
		PairX: fill(p, 2, 0), PairY: fill(p, 1, 0),
		SourceX: fill(q, 2, 1000), TargetY: fill(r, 1, 2000),
	}
}

func firstColumn(m Matrix) []float64 {
	out := make([]float64, m.Rows)
	for i := range out {
		out[i] = m.Row(i)[0]
	}
	return out
}

// partition checks that a and b are disjoint, increasing, and together the
// values 0..n−1 (plus offset).
func partition(t *testing.T, what string, a, b []float64, n int, offset float64) {
	t.Helper()
	if !slices.IsSorted(a) || !slices.IsSorted(b) {
		t.Fatalf("%s: parts not in file order: %v | %v", what, a, b)
	}
	all := slices.Sorted(slices.Values(append(append([]float64{}, a...), b...)))
	if len(all) != n {
		t.Fatalf("%s: %d + %d rows, want %d", what, len(a), len(b), n)
	}
	for i, v := range all {
		if v != offset+float64(i) {
			t.Fatalf("%s: rows lost or duplicated: %v", what, all)
		}
	}
}

func TestSplitPairs(t *testing.T) {
	s := indexed(40, 7, 9)
	train, held := SplitPairs(s, 0.25, rand.New(rand.NewPCG(1, 1)))
	if held.PairX.Rows != 10 || train.PairX.Rows != 30 {
		t.Fatalf("held %d, train %d pairs; want 10 and 30", held.PairX.Rows, train.PairX.Rows)
	}
	partition(t, "pairs", firstColumn(train.PairX), firstColumn(held.PairX), 40, 0)
	// x and y of a pair stay together.
	for i := range held.PairX.Rows {
		if held.PairX.Row(i)[1] != held.PairY.Row(i)[0] {
			t.Fatal("held-out pair split apart")
		}
	}
	// Held-out pairs do not leak into the unpaired pools.
	if train.SourceX.Rows != 7 || train.TargetY.Rows != 9 || held.SourceX.Rows != 0 || held.TargetY.Rows != 0 {
		t.Fatalf("unpaired pools changed: train %d/%d, held %d/%d", train.SourceX.Rows, train.TargetY.Rows, held.SourceX.Rows, held.TargetY.Rows)
	}
	for _, part := range []*Streams{train, held} {
		if err := part.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	// Same seed, same split; another seed, another split.
	_, again := SplitPairs(s, 0.25, rand.New(rand.NewPCG(1, 1)))
	_, other := SplitPairs(s, 0.25, rand.New(rand.NewPCG(2, 1)))
	if !slices.Equal(firstColumn(again.PairX), firstColumn(held.PairX)) {
		t.Fatal("same seed gave another split")
	}
	if slices.Equal(firstColumn(other.PairX), firstColumn(held.PairX)) {
		t.Fatal("another seed gave the same split")
	}
}

func TestSplitValidation(t *testing.T) {
	s := indexed(20, 50, 30)
	train, val := SplitValidation(s, 0.1, rand.New(rand.NewPCG(9, 9)))
	if val.PairX.Rows != 2 || val.SourceX.Rows != 5 || val.TargetY.Rows != 3 {
		t.Fatalf("validation sizes %d/%d/%d, want 2/5/3", val.PairX.Rows, val.SourceX.Rows, val.TargetY.Rows)
	}
	partition(t, "pairs", firstColumn(train.PairX), firstColumn(val.PairX), 20, 0)
	partition(t, "sources", firstColumn(train.SourceX), firstColumn(val.SourceX), 50, 1000)
	partition(t, "targets", firstColumn(train.TargetY), firstColumn(val.TargetY), 30, 2000)
}

func TestSplitCountsAndOutOfRangeFractions(t *testing.T) {
	for _, c := range []struct {
		n    int
		frac float64
		want int
	}{
		{0, 0.5, 0}, {1, 0.9, 0}, {2, 0.9, 1}, {10, 0.04, 0}, {10, 0.05, 1}, {10, 0.99, 9}, {7, 0, 0},
		{10, -0.5, 0}, {10, math.NaN(), 0}, {10, 1, 9}, {10, 7, 9},
	} {
		if got := splitCount(c.n, c.frac); got != c.want {
			t.Errorf("splitCount(%d, %v) = %d, want %d", c.n, c.frac, got, c.want)
		}
	}
	s := indexed(5, 5, 5)
	train, held := SplitPairs(s, -1, rand.New(rand.NewPCG(1, 1)))
	if train.PairX.Rows != 5 || held.PairX.Rows != 0 || held.Validate() != nil {
		t.Errorf("negative fraction held out %d pairs", held.PairX.Rows)
	}
	train, val := SplitValidation(s, 2, rand.New(rand.NewPCG(1, 1)))
	if train.PairX.Rows != 1 || train.SourceX.Rows != 1 || val.TargetY.Rows != 4 {
		t.Errorf("fraction 2 left %d/%d/%d rows", train.PairX.Rows, train.SourceX.Rows, train.TargetY.Rows)
	}
}
