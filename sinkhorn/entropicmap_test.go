package sinkhorn

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/points"
)

// TestEntropicMapExtendsTheBarycentricMap: on the solved problem's own
// sources the out-of-sample map equals the barycentric map, it round-trips
// through JSON, and a new point between two sources maps between their
// images.
func TestEntropicMapExtendsTheBarycentricMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := points.New(60, 2), points.New(50, 2)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	for i := range y.Data {
		y.Data[i] = 1 + 0.5*rng.NormFloat64()
	}
	p, err := NewProblem(x, y, SqEuclidean)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Solve(context.Background(), p, Options{Eps: 0.2, Tol: 1e-11, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	bary, err := res.BarycentricMap()
	if err != nil {
		t.Fatal(err)
	}
	m, err := res.Map()
	if err != nil {
		t.Fatal(err)
	}
	blob, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back EntropicMap
	if err := json.Unmarshal(blob, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.Apply(context.Background(), x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Data {
		if math.Abs(v-bary[i]) > 1e-9 {
			t.Fatalf("T(x_%d)[%d] = %.12f, barycentric map %.12f", i/2, i%2, v, bary[i])
		}
	}
	if _, err := back.Apply(context.Background(), points.New(1, 3), 1); err == nil {
		t.Error("3-D points accepted by a 2-D map")
	}
	if err := json.Unmarshal([]byte(`{"format":"other"}`), &back); err == nil {
		t.Error("foreign file accepted")
	}
}
