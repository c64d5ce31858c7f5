package eot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/metrics"
	"github.com/ebieot/ebieot/sinkhorn"
)

// Sampler is a conditional model that can draw y ~ π(·|x): every
// energy.Model and the baselines. It may also implement energy.Density
// (exact log-density) or LogProbEstimator.
type Sampler interface {
	Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error
}

// EvalOptions control Evaluate.
type EvalOptions struct {
	// Samples drawn per held-out row for the energy score and the
	// calibration (default 100).
	Samples int
	// Levels are the nominal coverage levels (default 0.5, 0.8, 0.9, 0.95).
	Levels []float64
	// Groups optionally labels the held-out rows; rows with the same label
	// share one x, and per-group Fréchet distances are reported.
	Groups []string
	// SinkhornEps is the entropic temperature of the Sinkhorn divergence
	// (cost ½‖x−y‖² in standardised y units; default 0.001).
	SinkhornEps float64
	Seed        uint64
	// Threads is the number of goroutines of the metrics and the model
	// (0 = one per CPU). Results do not depend on it.
	Threads int
	// Progress, if set, is called as each stage starts ("sampling",
	// "log-densities", "energy score", "coverage", "MMD", "Sinkhorn
	// divergence", "groups"): the stages of a large evaluation each take a
	// while, and a user should see which one runs.
	Progress func(stage string)
}

// Report is the evaluation of a conditional model on held-out pairs, in the
// data's original units.
type Report struct {
	Rows int `json:"rows"`
	// NLL is the mean negative conditional log-density; NLLExact is false
	// when it is a Monte Carlo estimate, and NLL is nil when the model has
	// no density.
	NLL      *metrics.Summary `json:"nll"`
	NLLExact bool             `json:"nll_exact"`
	// EnergyScore is the mean energy score (multivariate CRPS; lower is
	// better) of the model's samples against each held-out y.
	EnergyScore metrics.Summary `json:"energy_score"`
	// Coverage: fraction of held-out y's inside the model's central region
	// at each nominal level (a calibrated model matches the level).
	Coverage []CoverageRow `json:"coverage"`
	// MMD is the unbiased MMD² between one model sample per held-out x and
	// the held-out y's (RBF mixture, median bandwidth of the held-out y's);
	// Sinkhorn is the debiased Sinkhorn divergence between the same sets.
	// Both are computed in the model's standardised y units.
	MMD      float64 `json:"mmd"`
	Sinkhorn float64 `json:"sinkhorn"`
	// Groups holds per-x Fréchet distances when rows were grouped.
	Groups *GroupReport `json:"groups,omitempty"`
	// Baselines holds the same report for the baseline models, by name,
	// and Comparisons the model's paired NLL gain over each.
	Baselines   map[string]*Report     `json:"baselines,omitempty"`
	Comparisons map[string]*Comparison `json:"comparisons,omitempty"`

	logProbs []float64 // per held-out row, original units
}

// CoverageRow is the observed coverage at one nominal level.
type CoverageRow struct {
	Level    float64 `json:"level"`
	Observed float64 `json:"observed"`
}

// GroupReport summarises per-group (per-x) conditional fit.
type GroupReport struct {
	Groups int             `json:"groups"`
	FID    metrics.Summary `json:"fid"`
	VFID   metrics.Summary `json:"vfid"`
}

func (o EvalOptions) withDefaults() (EvalOptions, error) {
	if o.Samples == 0 {
		o.Samples = 100
	}
	if o.Samples < 4 {
		return o, fmt.Errorf("evaluate: %d samples per row; need at least 4", o.Samples)
	}
	if o.Levels == nil {
		o.Levels = metrics.DefaultCoverageLevels()
	}
	if o.SinkhornEps == 0 {
		o.SinkhornEps = 0.001
	}
	if !(o.SinkhornEps > 0) {
		return o, fmt.Errorf("evaluate: Sinkhorn ε %v must be positive", o.SinkhornEps)
	}
	return o, nil
}

// Evaluate scores model (which works in the standardised coordinates of
// scaler) on held-out pairs (x, y) given in original units.
func Evaluate(ctx context.Context, model Sampler, scaler datasets.Scaler, x, y datasets.Matrix, opt EvalOptions) (*Report, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if x.Rows != y.Rows || x.Rows < 2 {
		return nil, fmt.Errorf("evaluate: need at least two held-out pairs with as many x as y rows (have %d and %d)", x.Rows, y.Rows)
	}
	if o.Groups != nil && len(o.Groups) != x.Rows {
		return nil, fmt.Errorf("evaluate: %d group labels for %d rows", len(o.Groups), x.Rows)
	}
	xs, ys := scaler.X.Transform(x), scaler.Y.Transform(y)
	rows, dy, S := x.Rows, y.Cols, o.Samples
	rep := &Report{Rows: rows}
	progress := func(stage string) {
		if o.Progress != nil {
			o.Progress(stage)
		}
	}

	progress("sampling")
	samples, err := sampleRows(ctx, model, xs, dy, S, o.Seed, o.Threads)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}

	// Log-densities in original units (Jacobian of the y standardisation),
	// used for the NLL and, when exact, for the calibration scores.
	progress("log-densities")
	density, _ := model.(energy.Density)
	lp, exact, err := LogProbs(ctx, model, xs, ys, rand.New(rand.NewPCG(o.Seed, math.MaxUint64)))
	switch {
	case errors.Is(err, ErrNoDensity): // no NLL for this model
	case err != nil:
		return nil, fmt.Errorf("evaluate: %w", err)
	default:
		jac := scaler.Y.LogDetJacobian()
		for i := range lp {
			lp[i] -= jac
		}
		s, err := metrics.NLL(lp)
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		rep.NLL, rep.NLLExact = &s, exact
		rep.logProbs = lp
	}

	orig := scaler.Y.Inverse(samples)
	progress("energy score")
	if _, rep.EnergyScore, err = metrics.MeanEnergyScore(ctx, o.Threads, orig, S, y); err != nil {
		return nil, fmt.Errorf("evaluate: energy score: %w", err)
	}

	progress("coverage")
	var cov []float64
	if density != nil {
		sampleScores := make([]float64, rows*S)
		heldScores := make([]float64, rows)
		for i := 0; i < rows; i++ {
			heldScores[i] = density.LogProb(xs.Row(i), ys.Row(i))
			for k := 0; k < S; k++ {
				sampleScores[i*S+k] = density.LogProb(xs.Row(i), samples.Row(i*S+k))
			}
		}
		cov, err = metrics.CoverageFromScores(sampleScores, S, heldScores, o.Levels)
	} else {
		cov, err = metrics.MahalanobisCoverage(ctx, o.Threads, orig, S, y, o.Levels)
	}
	if err != nil {
		return nil, fmt.Errorf("evaluate: coverage: %w", err)
	}
	for i, l := range o.Levels {
		rep.Coverage = append(rep.Coverage, CoverageRow{Level: l, Observed: cov[i]})
	}

	// Marginal fit: the first sample of every row is one draw of the pushed
	// marginal at the held-out x's. Compared in the standardised y units,
	// so that every column counts alike whatever its unit, and ε (and the
	// MMD bandwidths) mean the same for any data set.
	pushed := datasets.NewMatrix(rows, dy)
	for i := 0; i < rows; i++ {
		copy(pushed.Row(i), samples.Row(i*S))
	}
	progress("MMD")
	if rep.MMD, _, err = metrics.MMD2WithMedian(ctx, o.Threads, pushed, ys); err != nil {
		return nil, fmt.Errorf("evaluate: MMD: %w", err)
	}
	progress("Sinkhorn divergence")
	if rep.Sinkhorn, err = sinkhorn.DivergenceBetween(ctx, pushed, ys, o.SinkhornEps, sinkhorn.Options{Threads: o.Threads}); err != nil {
		return nil, fmt.Errorf("evaluate: Sinkhorn divergence: %w", err)
	}

	if o.Groups != nil {
		progress("groups")
		if rep.Groups, err = groupReport(ctx, o.Threads, o.Groups, orig, y, S); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// groupReport pools, for every group label, the model samples of its rows
// and its held-out y's, and compares them by Fréchet distance. Groups with
// fewer than two rows are skipped.
func groupReport(ctx context.Context, threads int, labels []string, samples, y datasets.Matrix, perRow int) (*GroupReport, error) {
	byLabel := map[string][]int{}
	for i, l := range labels {
		byLabel[l] = append(byLabel[l], i)
	}
	names := make([]string, 0, len(byLabel))
	for l, idx := range byLabel {
		if len(idx) >= 2 {
			names = append(names, l)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("evaluate: no group has two or more held-out rows")
	}
	sort.Strings(names)
	dy := y.Cols
	var sampleSets, heldSets []metrics.Points
	for _, l := range names {
		idx := byLabel[l]
		h := y.SelectRows(idx)
		// The rows of a group share one x, so all their samples are draws
		// of the same conditional.
		s := datasets.NewMatrix(len(idx)*perRow, dy)
		for k, i := range idx {
			copy(s.Data[k*perRow*dy:(k+1)*perRow*dy], samples.Data[i*perRow*dy:(i+1)*perRow*dy])
		}
		sampleSets = append(sampleSets, s)
		heldSets = append(heldSets, h)
	}
	g, err := metrics.PerGroupFrechet(ctx, threads, sampleSets, heldSets)
	if err != nil {
		return nil, fmt.Errorf("evaluate: per-group Fréchet distance: %w", err)
	}
	return &GroupReport{Groups: len(names), FID: g.MeanFID, VFID: g.MeanVFID}, nil
}
