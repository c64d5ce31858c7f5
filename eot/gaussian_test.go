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

// On the Gaussian benchmark the entropic OT conditional is Gaussian with a
// known mean map and covariance, and EBiEOT-GMM with N = M = 1 and linear
// heads can represent it exactly. Trained on the three streams, the learned
// conditional must match the truth: BW-UVP < 1 % at every probe x.
func TestFitGMMRecoversClosedFormGaussianConditional(t *testing.T) {
	truth := datasets.DefaultGaussianEOT(2, 1)
	rng := rand.New(rand.NewPCG(11, 0))
	streams := truth.Streams(rng, 20000, 40000, 40000)
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: truth.Eps, Potentials: 1, CostComponents: 1}
	targets := streams.AllTargets()
	model, err := gmm.New(spec, targets.Data, targets.Rows, rng)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Steps: 30000, BatchSize: 256, LRCost: 1e-2, LRPotential: 1e-2, Seed: 5, Schedule: ScheduleCosine}
	if _, err := Fit(context.Background(), model, streams, nil, opts); err != nil {
		t.Fatal(err)
	}
	probes := [][]float64{{0, 0}, {1, -1}, {-1.5, 2}, {2, 1}}
	for _, x := range probes {
		mix := model.Conditional(x)
		mean, cov := make([]float64, 2), make([]float64, 4)
		mix.Mean(mean)
		mix.Covariance(cov)
		fit, err := metrics.NewGaussian(mean, cov)
		if err != nil {
			t.Fatal(err)
		}
		trueMean := make([]float64, 2)
		truth.CondMean(x, trueMean)
		v := truth.CondVar()
		want, err := metrics.NewGaussian(trueMean, []float64{v[0], 0, 0, v[1]})
		if err != nil {
			t.Fatal(err)
		}
		uvp, err := metrics.BWUVP(fit, want)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("x=%v: mean %.4v (true %.4v), var %.4v,%.4v (true %.4v) BW-UVP %.3f%%", x, mean, trueMean, cov[0], cov[3], v, uvp)
		if uvp > 1 {
			t.Errorf("x=%v: BW-UVP %.3f%% ≥ 1%%", x, uvp)
		}
	}
}
