package eot

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
)

// trueGaussian is the exact conditional of a GaussianEOT benchmark, as a
// model in original units (use it with an identity scaler).
type trueGaussian struct{ g datasets.GaussianEOT }

func (t trueGaussian) Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error {
	copy(dst, t.g.SampleCond(rng, x, n).Data)
	return nil
}
func (t trueGaussian) LogProb(x, y []float64) float64 { return t.g.LogProb(x, y) }

func TestEvaluateTrueConditional(t *testing.T) {
	truth := datasets.DefaultGaussianEOT(2, 0.5)
	rng := rand.New(rand.NewPCG(1, 2))
	held := truth.Streams(rng, 400, 0, 0)
	rep, err := Evaluate(context.Background(), trueGaussian{truth}, datasets.IdentityScaler(2, 2), held.PairX, held.PairY, EvalOptions{Samples: 200, Seed: 3, SinkhornEps: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	// The report's NLL is exactly the mean of −log π(y|x).
	var want float64
	for i := 0; i < held.PairX.Rows; i++ {
		want -= truth.LogProb(held.PairX.Row(i), held.PairY.Row(i))
	}
	want /= float64(held.PairX.Rows)
	if rep.NLL == nil || !rep.NLLExact || math.Abs(rep.NLL.Mean-want) > 1e-12 {
		t.Fatalf("NLL %+v, want exactly %v", rep.NLL, want)
	}
	// The true conditional is calibrated: coverage within 4 binomial
	// standard errors of every nominal level.
	for _, c := range rep.Coverage {
		se := math.Sqrt(c.Level * (1 - c.Level) / 400)
		if math.Abs(c.Observed-c.Level) > 4*se+1.0/200 {
			t.Errorf("coverage at %.2f is %.3f", c.Level, c.Observed)
		}
	}
	// Samples of the true model match the held-out marginal: MMD² within
	// noise of 0, and the energy score close to its own expectation.
	if math.Abs(rep.MMD) > 0.02 {
		t.Errorf("MMD² %v of the true model is not ≈ 0", rep.MMD)
	}
	if !(rep.EnergyScore.Mean > 0) || !(rep.Sinkhorn > -1e-3) {
		t.Errorf("energy score %v, Sinkhorn %v", rep.EnergyScore, rep.Sinkhorn)
	}
}

// A trained model's held-out NLL, in original units through the scaler's
// Jacobian, approaches the NLL of the true conditional.
func TestEvaluateTrainedGMMApproachesTrueNLL(t *testing.T) {
	truth := datasets.DefaultGaussianEOT(2, 1)
	rng := rand.New(rand.NewPCG(21, 0))
	streams := truth.Streams(rng, 2000, 4000, 4000)
	held := truth.Streams(rng, 1000, 0, 0)
	scaler := datasets.FitScaler(streams)
	scaled := scaler.Apply(streams)
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 2, CostComponents: 2}
	tg := scaled.AllTargets()
	model, err := gmm.New(spec, tg.Data, tg.Rows, rng)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), model, scaled, nil, Options{Steps: 8000, BatchSize: 256, LRCost: 3e-3, LRPotential: 3e-3, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), model, scaler, held.PairX, held.PairY, EvalOptions{Samples: 50, Seed: 4, SinkhornEps: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	trueRep, err := Evaluate(context.Background(), trueGaussian{truth}, datasets.IdentityScaler(2, 2), held.PairX, held.PairY, EvalOptions{Samples: 50, Seed: 4, SinkhornEps: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	gap := rep.NLL.Mean - trueRep.NLL.Mean
	t.Logf("held-out NLL: model %.4f, truth %.4f (gap %.4f); energy score %.4f vs %.4f", rep.NLL.Mean, trueRep.NLL.Mean, gap, rep.EnergyScore.Mean, trueRep.EnergyScore.Mean)
	if math.Abs(gap) > 0.03 {
		t.Fatalf("held-out NLL gap to the truth %.4f nats", gap)
	}
}
