package eot

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/baseline"
	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
)

// Baseline names of FitBaselines.
const (
	BaselinePairsOnly = "pairs_only"      // the same method on the pairs alone
	BaselineXBlind    = "x_blind"         // a Gaussian mixture of every y, ignoring x
	BaselineLinear    = "linear_gaussian" // linear-Gaussian regression on the pairs
)

// FitBaselines fits the models a trained model should beat, on the data it
// was trained on (in the user's units), each in t's coordinates so that
// their reports compare directly:
//
//   - BaselinePairsOnly: t's configuration trained on the pairs alone, with
//     the same model selection and early stopping as t (what the unpaired
//     data add);
//   - BaselineXBlind: the best Gaussian mixture of every available y by
//     cross-validated likelihood (what x adds), for GMM models;
//   - BaselineLinear: a linear-Gaussian regression on the pairs with the
//     default ridge.
func FitBaselines(ctx context.Context, t *Trained, data *datasets.Streams, seed uint64, threads int) (map[string]Sampler, error) {
	if err := t.CheckColumns(data); err != nil {
		return nil, fmt.Errorf("baselines: %w", err)
	}
	if data.PairX.Rows < 2 {
		return nil, fmt.Errorf("baselines: %w: the training data has %d pairs, the baselines need at least 2", ErrNoData, data.PairX.Rows)
	}
	out := map[string]Sampler{}
	cfg := t.Config()
	cfg.Seed, cfg.Threads = seed, threads
	pairs, err := TrainPairsOnly(ctx, data, t.Scaler, cfg)
	if err != nil {
		return nil, err
	}
	out[BaselinePairsOnly] = pairs.Model
	scaled := t.Scaler.Apply(data)
	lin, err := baseline.FitLinearGaussian(scaled.PairX.Data, scaled.PairY.Data, scaled.PairX.Rows, scaled.XDim(), scaled.YDim(), baseline.DefaultRidge)
	if err != nil {
		return nil, fmt.Errorf("linear baseline: %w", err)
	}
	out[BaselineLinear] = lin
	if t.Spec().Kind == energy.KindGMM {
		xb, err := xBlind(ctx, t, scaled, seed, threads)
		if err != nil {
			return nil, err
		}
		out[BaselineXBlind] = xb
	}
	return out, nil
}

// xBlind is the x-blind baseline: the marginal the model's selection chose,
// or the best one by cross-validation when it did not choose one.
func xBlind(ctx context.Context, t *Trained, scaled *datasets.Streams, seed uint64, threads int) (energy.Model, error) {
	ys := scaled.AllTargets()
	var n int
	var full bool
	if lb := t.Training.Selection; lb != nil && len(lb.Marginal) > 0 {
		n, full = lb.Marginal[0].Potentials, lb.Marginal[0].FullCov
	} else {
		def := Selection{}.withDefaults()
		scores, err := marginalSearch(ctx, ys, def.Potentials, []bool{false, true}, def.Folds, seed, threads)
		if err != nil {
			return nil, fmt.Errorf("x-blind baseline: %w", err)
		}
		n, full = scores[0].Potentials, scores[0].FullCov
	}
	mg, err := gmm.FitMarginal(ctx, ys, n, full, gmm.EMOptions{Threads: threads}, rand.New(rand.NewPCG(seed, 3)))
	if err != nil {
		return nil, fmt.Errorf("x-blind baseline: %w", err)
	}
	spec := energy.Spec{Kind: energy.KindGMM, XDim: scaled.XDim(), YDim: scaled.YDim(), Eps: 1, EpsFree: true,
		Potentials: n, CostComponents: 1, FullCov: full}
	// Zero heads: the conditional is the mixture for every x.
	m, err := gmm.NewFromMarginal(spec, mg, 0, rand.New(rand.NewPCG(seed, 4)))
	if err != nil {
		return nil, fmt.Errorf("x-blind baseline: %w", err)
	}
	return m, nil
}

// Comparison is a model's held-out NLL gain over a baseline, paired over
// the same rows: baseline NLL − model NLL, with its standard error.
type Comparison struct {
	Gain    MeanSE `json:"gain"`
	Better  bool   `json:"better"` // the gain exceeds two standard errors
	Verdict string `json:"verdict"`
}

// Compare pairs the per-row log-densities of two reports on the same
// held-out rows. It returns nil when either has no density.
func Compare(model, base *Report, name string) *Comparison {
	if len(model.logProbs) == 0 || len(model.logProbs) != len(base.logProbs) {
		return nil
	}
	d := make([]float64, len(model.logProbs))
	for i := range d {
		d[i] = model.logProbs[i] - base.logProbs[i]
	}
	g := meanSE(d)
	c := &Comparison{Gain: g, Better: g.Mean > 2*g.StdErr}
	switch {
	case c.Better:
		c.Verdict = fmt.Sprintf("beats %s by %.3f ± %.3f nats per pair", name, g.Mean, g.StdErr)
	case g.Mean < -2*g.StdErr:
		c.Verdict = fmt.Sprintf("LOSES to %s by %.3f ± %.3f nats per pair", name, -g.Mean, g.StdErr)
	default:
		c.Verdict = fmt.Sprintf("does not beat %s detectably (%+.3f ± %.3f nats per pair)", name, g.Mean, g.StdErr)
	}
	if math.IsNaN(g.Mean) {
		c.Verdict = "cannot be compared with " + name
	}
	return c
}
