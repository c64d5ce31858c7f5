package eot

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/metrics"
)

// TestKnownCostRecoversTheEOTBenchmark fits the quadratic cost with no
// pairs on the EOT mixture benchmark (docs/method.md §9.5) and measures the
// conditional error exactly, as cBW²-UVP over 100 test points. LightSB
// publishes 0.05–0.09 % at ε = 1 for D = 2 and 16.
func TestKnownCostRecoversTheEOTBenchmark(t *testing.T) {
	for _, tc := range []struct {
		dim, rows int
		limit     float64
		long      bool
	}{{2, 50000, 0.15, false}, {16, 100000, 0.15, true}} {
		if tc.long && testing.Short() {
			continue
		}
		rng := rand.New(rand.NewPCG(1, 1))
		b := datasets.NewMixtureEOT(rng, tc.dim, 5, 1)
		data := b.Streams(rng, 0, tc.rows, tc.rows)
		cfg, _ := DefaultConfig(energy.KindGMM)
		cfg.Spec.Cost, cfg.Spec.Potentials, cfg.Covariance = energy.CostQuadratic, 5, CovarianceDiag
		cfg.Fit.LRPotential = 1e-3
		m, err := Train(context.Background(), data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		g := m.Model.(*gmm.Model)
		var fits, truths []metrics.Gaussian
		test := rand.New(rand.NewPCG(9, 9))
		for range 100 {
			x := make([]float64, tc.dim)
			for d := range x {
				x[d] = test.NormFloat64()
			}
			mx := g.Conditional(x)
			mean, cov := make([]float64, tc.dim), make([]float64, tc.dim*tc.dim)
			mx.Mean(mean)
			mx.Covariance(cov)
			f, err := metrics.NewGaussian(mean, cov)
			if err != nil {
				t.Fatal(err)
			}
			tm, tcv := b.CondMoments(x)
			tg, err := metrics.NewGaussian(tm, tcv)
			if err != nil {
				t.Fatal(err)
			}
			fits, truths = append(fits, f), append(truths, tg)
		}
		p1, err := metrics.FitGaussian(b.Streams(rand.New(rand.NewPCG(7, 7)), 0, 0, 50000).TargetY)
		if err != nil {
			t.Fatal(err)
		}
		v, err := metrics.CondBWUVP(fits, truths, p1.Cov)
		if err != nil {
			t.Fatal(err)
		}
		if v > tc.limit {
			t.Errorf("D = %d: cBW²-UVP %.3f %%, want ≤ %.2f %%", tc.dim, v, tc.limit)
		}
		t.Logf("D = %d: cBW²-UVP %.3f %% after %d steps", tc.dim, v, m.Training.Steps)
	}
}
