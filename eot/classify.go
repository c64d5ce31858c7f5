package eot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/classifier"
)

// ClassifierConfig is what TrainClassifier needs besides the data. Zero
// fields take the defaults named on each.
type ClassifierConfig struct {
	Eps        float64   // ε (default 1; with a linear cost only the scale of the cost's weights depends on it)
	CostHidden []int     // hidden layers of the cost network (default none: a linear cost)
	Prior      []float64 // class marginal (default: the labelled rows' and extra labels' counts)
	Fit        Options   // training loop (defaults: Adam at 1e-2 for both groups, 3000 steps, batch 256, validation every 50 steps, patience 10, best kept)
	ValidFrac  float64   // labelled rows held out for early stopping (default 0.2)
	Seed       uint64
	Threads    int
}

// TrainClassifier fits the EBiEOT classifier (docs/method.md §9.6) to a
// semi-supervised classification problem: the labelled rows are the
// pairs, the unlabelled rows the sources, and the prior the target term.
// x is standardised; y stays the class index (its scaler is the identity),
// since a class index has no units to remove. Training stops on the
// validation log-loss of held-out labelled rows and keeps the best step.
//
// No cross-validated choice of ε, the cost or the learning rate is made
// yet: unset settings take the defaults above.
func TrainClassifier(ctx context.Context, l *datasets.Labelled, cfg ClassifierConfig) (*Trained, error) {
	K := len(l.Classes)
	if K < 2 {
		return nil, fmt.Errorf("train classifier: %w: %d class(es) %q, need at least 2", ErrNoData, K, l.Classes)
	}
	prior := slices.Clone(cfg.Prior)
	if prior == nil {
		counts, total := l.Counts(), 0
		for _, c := range counts {
			total += c
		}
		prior = make([]float64, K)
		for k, c := range counts {
			if c == 0 {
				return nil, fmt.Errorf("train classifier: class %q has no labelled row, so its prior cannot be counted; give a class prior", l.Classes[k])
			}
			prior[k] = float64(c) / float64(total)
		}
	}
	if len(prior) != K {
		return nil, fmt.Errorf("train classifier: %d prior weights for %d classes", len(prior), K)
	}
	eps := cfg.Eps
	if eps == 0 {
		eps = 1
	}
	spec := energy.Spec{Kind: energy.KindClassifier, XDim: len(l.XNames), YDim: 1, Eps: eps,
		CostHidden: slices.Clone(cfg.CostHidden), Classes: slices.Clone(l.Classes), ClassPrior: prior}
	opts := cfg.Fit
	if opts.Steps == 0 {
		opts.Steps = 3000
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = 256
	}
	if opts.LRCost == 0 {
		opts.LRCost = 1e-2
	}
	if opts.LRPotential == 0 {
		opts.LRPotential = 1e-2
	}
	if opts.Optimizer.Name == "" {
		opts.Optimizer = OptimizerConfig{Name: "adam", AdamBetas: [2]float64{0.9, 0.999}}
	}
	if opts.Schedule == "" {
		opts.Schedule = ScheduleConstant
	}
	if opts.ValidEvery == 0 {
		opts.ValidEvery, opts.Patience, opts.KeepBest = 50, 10, true
	}
	valid := cfg.ValidFrac
	if valid == 0 {
		valid = 0.2
	}
	data := l.Streams()
	scaler := datasets.FitScaler(data)
	scaler.Y = datasets.IdentityScaler(0, 1).Y
	m, err := classifier.New(spec, rand.New(rand.NewPCG(cfg.Seed, 2)))
	if err != nil {
		return nil, fmt.Errorf("train classifier: %w", err)
	}
	c := Config{Spec: spec, Fit: opts, ValidFrac: valid, Seed: cfg.Seed, Threads: cfg.Threads}
	t, err := TrainModel(ctx, m, data, scaler, c)
	if err != nil {
		return t, fmt.Errorf("train classifier: %w", err)
	}
	return t, nil
}
