package eot

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/metrics"
)

// brownianSnapshots draws n points of X_t = X_0 + σ·W_t at time t, with
// X_0 from a three-component mixture in dim dimensions: the marginal at
// every time is known (the mixture convolved with N(0, σ²t·I)).
func brownianSnapshots(rng *rand.Rand, n, dim int, sigma, t float64) datasets.Matrix {
	centres := [][]float64{{-3, 0}, {2, 2}, {2, -2}}
	m := datasets.NewMatrix(n, dim)
	for i := range n {
		c := centres[i%3]
		r := m.Row(i)
		for d := range dim {
			mu := 0.0
			if d < 2 {
				mu = c[d]
			}
			r[d] = mu + 0.4*rng.NormFloat64() + sigma*math.Sqrt(t)*rng.NormFloat64()
		}
	}
	return m
}

// TestBridgeRecoversTheMiddleSnapshot is the trajectory case of
// BENCHMARKS.md: snapshots of a Brownian motion at times 0 and 2, no pairs,
// a quadratic cost with ε = σ²·2 (the reference process of the Schrödinger
// bridge over the interval), and the bridge sample at t = ½ judged against
// a fresh snapshot at time 1 by energy distance, next to the floor (a
// second true snapshot) and to the independent coupling's interpolation.
func TestBridgeRecoversTheMiddleSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("fits a known-cost model on 2 × 3000 points")
	}
	const dim, n, sigma = 5, 3000, 0.8
	rng := rand.New(rand.NewPCG(3, 3))
	x0, x2 := brownianSnapshots(rng, n, dim, sigma, 0), brownianSnapshots(rng, n, dim, sigma, 2)
	data := &datasets.Streams{XNames: columnNamesFor("x", dim), YNames: columnNamesFor("y", dim),
		PairX: datasets.NewMatrix(0, dim), PairY: datasets.NewMatrix(0, dim), SourceX: x0, TargetY: x2}
	cfg, _ := DefaultConfig(energy.KindGMM)
	cfg.Spec.Cost, cfg.Spec.Eps = energy.CostQuadratic, sigma*sigma*2
	m, err := Train(context.Background(), data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	probe := brownianSnapshots(rng, 1000, dim, sigma, 0)
	mid, err := m.SampleBridge(context.Background(), probe, 1, 0.5, 5)
	if err != nil {
		t.Fatal(err)
	}
	truth, again := brownianSnapshots(rng, 1000, dim, sigma, 1), brownianSnapshots(rng, 1000, dim, sigma, 1)
	// The independent coupling: the midpoint of x and a random y, plus the
	// bridge noise.
	indep := datasets.NewMatrix(1000, dim)
	for i := range 1000 {
		y := x2.Row(rng.IntN(n))
		for d := range dim {
			indep.Row(i)[d] = 0.5*probe.Row(i)[d] + 0.5*y[d] + math.Sqrt(cfg.Spec.Eps*0.25)*rng.NormFloat64()
		}
	}
	ed := func(a datasets.Matrix) float64 {
		v, err := metrics.EnergyDistance(context.Background(), 0, a, truth)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	model, floor, base := ed(mid), ed(again), ed(indep)
	t.Logf("energy distance at t = 1: bridge %.4f, a second true snapshot %.4f, independent coupling %.4f", model, floor, base)
	if !(model < floor+0.02) || !(model < base/3) {
		t.Errorf("bridge %.4f; floor %.4f, independent coupling %.4f", model, floor, base)
	}
}

func columnNamesFor(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + string(rune('1'+i))
	}
	return out
}
