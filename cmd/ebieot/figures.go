package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
	"github.com/ebieot/ebieot/plots"
)

// The figures of demo and eval. A role has one colour in every figure: the
// model blue, data (held-out y's, ground truth) vermillion, the baselines
// their own colours, context (all the data behind one conditional) light
// grey, probes and chosen steps black.
const (
	colModel   = plots.Blue
	colData    = plots.Vermillion
	colContext = plots.LightGray
	colMark    = plots.Black
)

var baselineColors = map[string]int{
	eot.BaselinePairsOnly: plots.Green,
	eot.BaselineXBlind:    plots.Purple,
	eot.BaselineLinear:    plots.Orange,
}

// Draw counts of the figures.
const (
	condRows    = 6   // held-out x's of eval's conditionals.png
	condDraws   = 500 // model draws at each
	pitRows     = 500 // held-out rows behind the PIT histogram and the pooled marginals
	pitDraws    = 99  // draws per row: 100 possible ranks, even in 10 bins
	maxMarginal = 12  // y columns in marginals.png
)

// demoFigures writes the demo's figures: samples.png, conditionals.png,
// training.png and, when the held-out comparison ran (holdout not nil),
// calibration.png.
func demoFigures(ctx context.Context, dir string, r *eot.SwissRollReport, t *eot.Trained, held *datasets.Streams, holdout *eot.Report, seed uint64) error {
	if err := demoConditionals(filepath.Join(dir, "conditionals.png"), r); err != nil {
		return err
	}
	if r.UnconditionalSamples != nil {
		if err := demoSamples(filepath.Join(dir, "samples.png"), r); err != nil {
			return err
		}
	}
	if err := trainingFigure(filepath.Join(dir, "training.png"), t.Training); err != nil {
		return err
	}
	if holdout == nil {
		return nil
	}
	return calibrationFigure(ctx, filepath.Join(dir, "calibration.png"), t, holdout, held.PairX, held.PairY, seed)
}

// demoConditionals: one column per probe, the entropic OT ground truth
// above the model, on shared axes, over the whole Swiss roll for context.
// x and y live in the same plane (the cost is ½‖x−y‖²), so the probe is
// marked where it is.
func demoConditionals(path string, r *eot.SwissRollReport) error {
	if len(r.Probes) == 0 {
		return nil
	}
	n := len(r.Probes[0].Samples) / 2
	var truth, model []plots.Panel
	for _, p := range r.Probes {
		at := "x = " + shortVec(p.X)
		probe := []plots.Mark{{Name: "probe x (same plane as y)", X: p.X[0], Y: p.X[1], Color: colMark}}
		context := plots.Cloud{Name: "Swiss roll (every y)", Points: r.UnconditionalReal, Color: colContext, Size: 1.1, Opacity: 0.6}
		truth = append(truth, plots.Panel{Title: "ground truth at " + at, XLabel: "y1", YLabel: "y2", Marks: probe,
			Clouds: []plots.Cloud{context, {Name: "entropic OT ground truth π(y|x)", Points: p.GroundTruth, Color: colData, Size: 1.3}}})
		model = append(model, plots.Panel{Title: "model at " + at, XLabel: "y1", YLabel: "y2", Marks: probe,
			Clouds: []plots.Cloud{context, {Name: "model π(y|x)", Points: p.Samples, Color: colModel, Size: 1.3}}})
	}
	return plots.Grid(path, plots.Layout{
		Title:    "Conditionals at the benchmark's probes",
		Subtitle: fmt.Sprintf("%d samples each: top, the entropic OT ground truth (minibatch OT); bottom, the model", n),
		Cols:     len(r.Probes), ShareX: true, ShareY: true, PanelWidth: 3.3, PanelHeight: 3.1,
	}, append(truth, model...))
}

// demoSamples: the Swiss roll and the model's draws at fresh x's side by
// side, and overlaid.
func demoSamples(path string, r *eot.SwissRollReport) error {
	n := len(r.UnconditionalSamples) / 2
	real := plots.Cloud{Name: "Swiss roll (fresh points)", Points: r.UnconditionalReal, Color: colData, Size: 1.3}
	model := plots.Cloud{Name: "model (one draw at each fresh x ~ N(0, I))", Points: r.UnconditionalSamples, Color: colModel, Size: 1.3}
	return plots.Grid(path, plots.Layout{
		Title:    "Model samples against the Swiss roll",
		Subtitle: fmt.Sprintf("%d points each", n),
		ShareX:   true, ShareY: true, PanelWidth: 3.3, PanelHeight: 3.3,
	}, []plots.Panel{
		{Title: "Swiss roll", XLabel: "y1", YLabel: "y2", Clouds: []plots.Cloud{real}},
		{Title: "model", XLabel: "y1", YLabel: "y2", Clouds: []plots.Cloud{model}},
		{Title: "both", XLabel: "y1", YLabel: "y2", Clouds: []plots.Cloud{real, model}},
	})
}

// evalFigures writes eval's figures: samples.png and conditionals.png
// (the first two y columns; for one y column conditionals.png shows
// densities), marginals.png, calibration.png and training.png.
func evalFigures(ctx context.Context, dir string, t *eot.Trained, rep *eot.Report, x, y datasets.Matrix, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	// One set of draws at up to pitRows held-out rows serves the pooled
	// marginals, samples.png and the PIT histogram.
	idx := spread(x.Rows, pitRows)
	px, py := x.SelectRows(idx), y.SelectRows(idx)
	draws, err := t.Sample(ctx, px, pitDraws, seed)
	if err != nil {
		return err
	}
	dy := len(t.YNames)
	if dy >= 2 {
		if err := evalSamples(filepath.Join(dir, "samples.png"), t, py, draws, x.Rows); err != nil {
			return err
		}
	}
	if err := evalConditionals(ctx, filepath.Join(dir, "conditionals.png"), t, x, y, seed+1); err != nil {
		return err
	}
	if err := evalMarginals(filepath.Join(dir, "marginals.png"), t, py, draws, x.Rows); err != nil {
		return err
	}
	if err := calibrationFigureDraws(filepath.Join(dir, "calibration.png"), rep, py, draws); err != nil {
		return err
	}
	return trainingFigure(filepath.Join(dir, "training.png"), t.Training)
}

// firstDraws keeps the first draw of every row: one draw per x.
func firstDraws(draws datasets.Matrix, perRow int) []float64 {
	rows := draws.Rows / perRow
	out := make([]float64, 0, rows*draws.Cols)
	for i := range rows {
		out = append(out, draws.Row(i*perRow)...)
	}
	return out
}

// evalSamples: the held-out y's and one model draw at each held-out x,
// side by side and overlaid (the first two y columns).
func evalSamples(path string, t *eot.Trained, y, draws datasets.Matrix, heldRows int) error {
	dy := y.Cols
	held := plots.Cloud{Name: "held-out y", Points: y.Data, Dim: dy, Color: colData, Size: 1.4}
	model := plots.Cloud{Name: "model (one draw at each held-out x)", Points: firstDraws(draws, pitDraws), Dim: dy, Color: colModel, Size: 1.4}
	xl, yl := t.YNames[0], t.YNames[1]
	sub := rowsOf(y.Rows, heldRows)
	if dy > 2 {
		sub += fmt.Sprintf("; the first two of %d y columns", dy)
	}
	return plots.Grid(path, plots.Layout{Title: "Model samples against the held-out y's", Subtitle: sub, ShareX: true, ShareY: true, PanelWidth: 3.3, PanelHeight: 3.3},
		[]plots.Panel{
			{Title: "held-out y", XLabel: xl, YLabel: yl, Clouds: []plots.Cloud{held}},
			{Title: "model", XLabel: xl, YLabel: yl, Clouds: []plots.Cloud{model}},
			{Title: "both", XLabel: xl, YLabel: yl, Clouds: []plots.Cloud{held, model}},
		})
}

// evalConditionals: π(y|x) at up to condRows held-out x's, one panel each,
// with that row's held-out y marked and every held-out y behind for
// context.
func evalConditionals(ctx context.Context, path string, t *eot.Trained, x, y datasets.Matrix, seed uint64) error {
	rows := spread(x.Rows, condRows)
	cond, err := t.Sample(ctx, x.SelectRows(rows), condDraws, seed)
	if err != nil {
		return err
	}
	dy := y.Cols
	var panels []plots.Panel
	for k, i := range rows {
		p := plots.Panel{Title: rowTitle(i, x.Row(i))}
		draws := cond.Data[k*condDraws*dy : (k+1)*condDraws*dy]
		if dy >= 2 {
			p.XLabel, p.YLabel = t.YNames[0], t.YNames[1]
			p.Clouds = []plots.Cloud{
				{Name: "every held-out y", Points: y.Data, Dim: dy, Color: colContext, Size: 1.1, Opacity: 0.7},
				{Name: "model π(y|x)", Points: draws, Dim: dy, Color: colModel, Size: 1.3},
			}
			p.Marks = []plots.Mark{{Name: "this row's held-out y", X: y.Row(i)[0], Y: y.Row(i)[1], Color: colData}}
		} else {
			p.XLabel, p.YLabel = t.YNames[0], "density"
			p.Hists = []plots.Hist{{Name: "every held-out y", Values: y.Data, Color: colContext}}
			p.Densities = []plots.Density{{Name: "model π(y|x)", Values: draws, Color: colModel}}
			p.VLines = []plots.VLine{{Name: "this row's held-out y", X: y.Row(i)[0], Color: colData}}
		}
		panels = append(panels, p)
	}
	sub := fmt.Sprintf("%d model draws at each of %d held-out x's", condDraws, len(rows))
	if len(t.XNames) <= 3 {
		sub += " = (" + strings.Join(t.XNames, ", ") + ")"
	}
	if dy > 2 {
		sub += fmt.Sprintf("; the first two of %d y columns (marginals.png has every column)", dy)
	}
	return plots.Grid(path, plots.Layout{Title: "Conditional samples at held-out x's", Subtitle: sub, Cols: 3, ShareX: true, ShareY: true, PanelWidth: 3.3, PanelHeight: 3.1}, panels)
}

// rowTitle names a held-out row (counting from 1, as a spreadsheet's data
// rows do) and, when x is short enough to read, its value.
func rowTitle(i int, x []float64) string {
	s := fmt.Sprintf("held-out row %d", i+1)
	if len(x) <= 3 {
		s += ": x = " + shortVec(x)
	}
	return s
}

// evalMarginals: every y column's marginal (up to maxMarginal, spread over
// the columns): the model's draws pooled over the held-out x's against
// the held-out y's. A calibrated model matches each one.
func evalMarginals(path string, t *eot.Trained, y, draws datasets.Matrix, heldRows int) error {
	dy := y.Cols
	cols := spread(dy, maxMarginal)
	var panels []plots.Panel
	for _, j := range cols {
		panels = append(panels, plots.Panel{
			Title: t.YNames[j], XLabel: "value", YLabel: "density",
			Hists:     []plots.Hist{{Name: "held-out y", Values: column(y, j), Color: colData}},
			Densities: []plots.Density{{Name: "model, pooled over the held-out x's", Values: column(draws, j), Color: colModel}},
		})
	}
	sub := fmt.Sprintf("%s, %d model draws at each", rowsOf(y.Rows, heldRows), pitDraws)
	if len(cols) < dy {
		sub += fmt.Sprintf("; %d of %d y columns", len(cols), dy)
	}
	l := plots.Layout{Title: "Marginal of each y column", Subtitle: sub, Cols: min(len(panels), 4), PanelWidth: 2.8, PanelHeight: 2.4}
	if len(panels) <= 2 {
		l.PanelWidth, l.PanelHeight = 4.2, 3.2
	}
	return plots.Grid(path, l, panels)
}

// rowsOf says how many of the held-out rows a figure uses.
func rowsOf(used, all int) string {
	if used == all {
		return fmt.Sprintf("%d held-out rows", all)
	}
	return fmt.Sprintf("%d of the %d held-out rows", used, all)
}

func column(m datasets.Matrix, j int) []float64 {
	out := make([]float64, m.Rows)
	for i := range out {
		out[i] = m.Row(i)[j]
	}
	return out
}

// calibrationFigure draws the model at up to pitRows held-out rows and
// writes calibrationFigureDraws.
func calibrationFigure(ctx context.Context, path string, t *eot.Trained, rep *eot.Report, x, y datasets.Matrix, seed uint64) error {
	idx := spread(x.Rows, pitRows)
	py := y.SelectRows(idx)
	draws, err := t.Sample(ctx, x.SelectRows(idx), pitDraws, seed)
	if err != nil {
		return err
	}
	return calibrationFigureDraws(path, rep, py, draws)
}

// calibrationFigureDraws: the report's coverage of the model and the
// baselines, and the PIT histogram of the model's draws (pitDraws per row
// of y).
func calibrationFigureDraws(path string, rep *eot.Report, y, draws datasets.Matrix) error {
	if len(rep.Coverage) == 0 {
		return nil
	}
	cov := []plots.Coverage{coverageOf("model", rep, colModel)}
	for _, name := range baselineOrder {
		if b, ok := rep.Baselines[name]; ok && len(b.Coverage) > 0 {
			cov = append(cov, coverageOf(name, b, baselineColors[name]))
		}
	}
	pit, err := plots.PIT(draws.Data, pitDraws, y.Data, y.Cols)
	if err != nil {
		return err
	}
	return plots.Calibration(path, "Calibration on the held-out pairs",
		fmt.Sprintf("coverage from the report (%d rows); PIT of %d rows × %s, %d model draws each", rep.Rows, y.Rows, plural(y.Cols, "y column"), pitDraws),
		cov, rep.Rows, pit)
}

func coverageOf(name string, r *eot.Report, color int) plots.Coverage {
	c := plots.Coverage{Name: name, Color: color}
	for _, row := range r.Coverage {
		c.Levels, c.Observed = append(c.Levels, row.Level), append(c.Observed, row.Observed)
	}
	return c
}

// trainingFigure: the loss terms over steps and, when there are any, the
// validation NLL and the model selection's cross-validation curve, with
// the chosen stopping step.
func trainingFigure(path string, tr eot.Training) error {
	h := tr.History
	if len(h) == 0 {
		return nil
	}
	steps := make([]float64, len(h))
	terms := map[string][]float64{}
	for i, e := range h {
		steps[i] = float64(e.Step)
		for name, v := range map[string]float64{"total L": e.Total, "paired cost c(x,y)/ε": e.Paired, "target potential f(y)/ε": e.Target, "log-partition log Z(x)": e.LogPartition, "validation": e.ValidNLL} {
			terms[name] = append(terms[name], v)
		}
	}
	loss := plots.Panel{Title: "loss L = cost − potential + log Z (mean over each logging interval)", XLabel: "step", YLabel: "standardised units"}
	for _, c := range []struct {
		name  string
		color int
	}{{"total L", plots.Black}, {"paired cost c(x,y)/ε", plots.Orange}, {"target potential f(y)/ε", plots.Green}, {"log-partition log Z(x)", plots.Purple}} {
		if anyFinite(terms[c.name]) {
			loss.Curves = append(loss.Curves, plots.Curve{Name: c.name, X: steps, Y: terms[c.name], Color: c.color})
		}
	}
	panels := []plots.Panel{loss}

	nll := plots.Panel{Title: "held-out NLL of the pairs", XLabel: "step", YLabel: "NLL (standardised units)"}
	if anyFinite(terms["validation"]) {
		nll.Curves = append(nll.Curves, plots.Curve{Name: fmt.Sprintf("validation split (%d pairs)", tr.Validation), X: steps, Y: terms["validation"], Color: plots.Vermillion, Dots: len(h) <= 30})
		if tr.BestStep > 0 {
			nll.VLines = append(nll.VLines, plots.VLine{Name: fmt.Sprintf("best validation: step %d", tr.BestStep), X: float64(tr.BestStep), Color: plots.Vermillion, Dashed: true})
		}
	}
	if s := tr.Selection; s != nil && len(s.Curve) > 0 {
		var cx, cy []float64
		for _, p := range s.Curve {
			cx, cy = append(cx, float64(p.Step)), append(cy, p.NLL)
		}
		nll.Curves = append(nll.Curves, plots.Curve{Name: fmt.Sprintf("cross-validated, the chosen settings (%d folds)", s.Folds), X: cx, Y: cy, Color: plots.Blue})
		how := "stopped"
		if slices.Contains(s.Searched, "steps") {
			how = "chosen stop"
		}
		nll.VLines = append(nll.VLines, plots.VLine{Name: fmt.Sprintf("%s: step %d", how, tr.Steps), X: float64(tr.Steps), Color: plots.Black, Dashed: true})
	}
	if len(nll.Curves) > 0 {
		if nll.Y = settledRange(nll.Curves); nll.Y != (plots.Range{}) {
			nll.Title += " (the first steps run off the top)"
		}
		panels = append(panels, nll)
	}
	sub := fmt.Sprintf("%d steps", tr.Steps)
	if tr.Paired > 0 {
		sub += fmt.Sprintf(", %d pairs, %d unpaired x's, %d unpaired y's", tr.Paired, tr.Sources, tr.Targets)
	}
	return plots.Grid(path, plots.Layout{Title: "Training", Subtitle: sub, Cols: 1, ShareX: true, PanelWidth: 7.5, PanelHeight: 3}, panels)
}

// settledRange is a y range for NLL curves that leaves out their first
// 5% of steps when those are far above the rest (the NLL at step 0 of a
// model started at the marginal can dwarf every later difference); the
// curves then leave the panel at the top, visibly. The zero Range (the
// data's) when nothing is left out.
func settledRange(curves []plots.Curve) plots.Range {
	last := math.Inf(-1)
	for _, c := range curves {
		for _, x := range c.X {
			last = math.Max(last, x)
		}
	}
	lo, hi, all := math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range curves {
		for k, y := range c.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			all = math.Max(all, y)
			lo = math.Min(lo, y)
			if c.X[k] >= 0.05*last {
				hi = math.Max(hi, y)
			}
		}
	}
	if !(hi > lo) || all <= hi+0.5*(hi-lo) {
		return plots.Range{}
	}
	pad := 0.06 * (hi - lo)
	return plots.Range{Min: lo - pad, Max: hi + pad}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func anyFinite(v []float64) bool {
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return true
		}
	}
	return false
}

// spread picks up to k indices spread evenly over [0, n), first and last
// included.
func spread(n, k int) []int {
	k = min(k, n)
	switch k {
	case 0:
		return nil
	case 1:
		return []int{0}
	}
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i * (n - 1) / (k - 1)
	}
	return idx
}

// shortVec formats a short vector for a title: three significant digits
// (whole numbers up to a million in full, as years are), true minus signs.
func shortVec(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		s := strconv.FormatFloat(x, 'g', 3, 64)
		if a := math.Abs(x); a >= 1000 && a < 1e6 {
			s = strconv.FormatFloat(math.Round(x), 'f', 0, 64)
		}
		parts[i] = strings.Replace(s, "-", "−", 1)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
