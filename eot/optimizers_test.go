package eot

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/optim"
)

func TestEveryOptimizerTrainsTheGMM(t *testing.T) {
	truth := datasets.DefaultGaussianEOT(2, 1)
	streams := truth.Streams(rand.New(rand.NewPCG(7, 0)), 500, 1000, 1000)
	held := truth.Streams(rand.New(rand.NewPCG(8, 0)), 300, 0, 0)
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 3, CostComponents: 2, CostHidden: []int{8}}
	lrs := map[string]float64{"adam": 1e-2, "adamw": 1e-2, "signum": 1e-3, "softsignum": 1e-3, "muon": 1e-2, "softmuon": 1e-2}
	for _, name := range OptimizerNames {
		rng := rand.New(rand.NewPCG(9, 0))
		tg := streams.AllTargets()
		model, err := gmm.New(spec, tg.Data, tg.Rows, rng)
		if err != nil {
			t.Fatal(err)
		}
		v := newValidator(model, held)
		before, _ := v.nll(context.Background(), nil)
		opts := Options{Steps: 600, BatchSize: 64, LRCost: lrs[name], LRPotential: lrs[name], Seed: 1,
			Optimizer: OptimizerConfig{Name: name, AlphaSign: 0.5}, Schedule: ScheduleCosine}
		if _, err := Fit(context.Background(), model, streams, nil, opts); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after, _ := v.nll(context.Background(), nil)
		t.Logf("%-10s held-out NLL %.4f → %.4f", name, before, after)
		if !(after < before-0.3) {
			t.Errorf("%s: held-out NLL %.4f → %.4f did not fall", name, before, after)
		}
	}
	if _, err := (OptimizerConfig{Name: "sgd"}).Factory(10); err == nil {
		t.Error("an unknown optimizer was accepted")
	}
}

func TestSplitMatricesKeepsRatesApart(t *testing.T) {
	groups := []optim.Group{
		{Name: "cost", LR: 1e-3, Segments: []optim.Segment{{Name: "w", Offset: 0, Len: 6, Rows: 2, Cols: 3}, {Name: "b", Offset: 6, Len: 2}}},
		{Name: "potential", LR: 2e-3, Segments: []optim.Segment{{Name: "a", Offset: 8, Len: 4}}},
	}
	got := splitMatrices(groups, 0.02)
	if len(got) != 3 || got[0].LR != 1e-3 || got[0].Segments[0].Name != "b" || got[1].LR != 0.02 || got[1].Segments[0].Name != "w" || got[2].LR != 2e-3 {
		t.Fatalf("split groups %+v", got)
	}
}
