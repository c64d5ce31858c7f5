package sinkhorn

import (
	"context"
	"errors"
	"testing"

	"github.com/ebieot/ebieot/points"
)

func TestPointSetEntryPointsMatchTheSliceOnes(t *testing.T) {
	x := points.Set{Rows: 3, Cols: 2, Data: []float64{0, 0, 1, 0, 0, 1}}
	y := points.Set{Rows: 2, Cols: 2, Data: []float64{0.5, 0.5, 2, 1}}
	p, err := NewProblem(x, y, SqEuclidean)
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 3 || p.M != 2 || p.D != 2 || &p.X[0] != &x.Data[0] {
		t.Fatalf("problem %+v does not reference the sets", p)
	}
	ctx := context.Background()
	a, err := DivergenceBetween(ctx, x, y, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Divergence(ctx, x.Data, y.Data, 3, 2, 2, 0.5)
	if err != nil || a != b {
		t.Errorf("DivergenceBetween %v, Divergence %v (%v)", a, b, err)
	}
	if _, err := NewProblem(x, points.Set{Rows: 1, Cols: 3, Data: []float64{1, 2, 3}}, SqEuclidean); !errors.Is(err, ErrInvalidProblem) {
		t.Errorf("dimension mismatch: %v", err)
	}
}
