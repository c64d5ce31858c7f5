package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/baseline"
	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
	"github.com/ebieot/ebieot/internal/atomicfile"
)

func evalCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "eval",
		Usage: "evaluate a model on held-out pairs: NLL, energy score, calibration, MMD, Sinkhorn divergence",
		Description: `Reads the model's x and y columns from --input (pairs the model never saw) and
prints a table of metrics in the data's original units: the held-out conditional NLL
(mean ± standard error), the energy score of --samples model draws per row, the coverage
of central prediction regions, and the MMD² and Sinkhorn divergence between one model
draw per held-out x and the held-out y's (these two in the model's standardised y units,
so that every column counts alike). With --group-col, rows sharing a label are
treated as several y's of one x and per-group Fréchet distances are added.

--baselines also fits, on the model's training data (give it with the same data flags
as fit), (a) the same model on the pairs alone — the semi-supervised gain — and (b) a
linear-Gaussian regression on the pairs, and reports both the same way.`,
		Flags: append(streamFlags(),
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "input", Aliases: []string{"holdout"}, Required: true, Usage: "table of held-out pairs with the model's x and y columns (.csv, .parquet; - for standard input)"},
			&cli.StringFlag{Name: "group-col", Usage: "column of --input labelling rows that share one x"},
			&cli.IntFlag{Name: "samples", Value: 100, Usage: "model draws per held-out row"},
			&cli.Float64Flag{Name: "sinkhorn-eps", Value: 0.001, Usage: "ε of the Sinkhorn divergence (cost ½‖x−y‖² in standardised y units)"},
			&cli.BoolFlag{Name: "baselines", Usage: "also fit and evaluate the pairs-only model and a linear-Gaussian regression (needs the training data flags)"},
			&cli.Float64Flag{Name: "ridge", Value: baseline.DefaultRidge, Usage: "ridge penalty of the linear baseline"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.StringFlag{Name: "json", Usage: "also write the report as JSON to this file"},
			&cli.StringFlag{Name: "plots", Usage: "directory for PNG plots"},
		),
		Action: runEval,
	})
}

func runEval(c *cli.Context) error {
	if err := checkOutputs(paths(c, "json"), paths(c, "input", "model", "data", "paired", "sources", "targets")); err != nil {
		return err
	}
	trained, err := eot.Load(c.String("model"))
	if err != nil {
		return err
	}
	trained.SetThreads(threads(c))
	x, y, groups, err := readPairs(c.String("input"), trained, c.String("group-col"))
	if err != nil {
		return err
	}
	if x.Rows < 2 {
		return fmt.Errorf("%s: %d held-out pair; evaluation needs at least two (the energy score and the calibration compare rows)", c.String("input"), x.Rows)
	}
	opt := eot.EvalOptions{Samples: c.Int("samples"), SinkhornEps: c.Float64("sinkhorn-eps"), Seed: c.Uint64("seed"), Groups: groups, Threads: threads(c),
		Progress: newStageProgress(c, "eval")}
	rep, err := trained.Evaluate(c.Context, x, y, opt)
	if err != nil {
		return err
	}
	if c.Bool("baselines") {
		if err := evalBaselines(c, trained, rep, x, y, opt); err != nil {
			return err
		}
	}
	printReport(c.App.Writer, rep)
	if path := c.String("json"); path != "" {
		if err := writeJSON(path, rep); err != nil {
			return err
		}
	}
	if dir := c.String("plots"); dir != "" {
		if err := evalFigures(c.Context, dir, trained, rep, x, y, c.Uint64("seed")); err != nil {
			return err
		}
		if !quiet(c) {
			fmt.Fprintf(c.App.ErrWriter, "plots in %s\n", dir)
		}
	}
	return nil
}

// readPairs reads the model's x and y columns (and an optional group
// column) from a CSV of pairs, in one pass.
func readPairs(path string, t *eot.Trained, groupCol string) (x, y datasets.Matrix, groups []string, err error) {
	cols := append(append([]string(nil), t.XNames...), t.YNames...)
	xy, _, groups, err := datasets.ReadMatrixLabelsFile(path, cols, groupCol)
	if err != nil {
		return x, y, nil, err
	}
	dx, dy := len(t.XNames), len(t.YNames)
	x, y = datasets.NewMatrix(xy.Rows, dx), datasets.NewMatrix(xy.Rows, dy)
	for i := 0; i < xy.Rows; i++ {
		copy(x.Row(i), xy.Row(i)[:dx])
		copy(y.Row(i), xy.Row(i)[dx:])
	}
	return x, y, groups, nil
}

// evalBaselines fits the baselines on the model's training data and
// evaluates them on the same held-out rows, with the model's paired gain
// over each.
func evalBaselines(c *cli.Context, trained *eot.Trained, rep *eot.Report, x, y datasets.Matrix, opt eot.EvalOptions) error {
	streams, err := readStreams(c)
	if err != nil {
		return fmt.Errorf("--baselines needs the training data: %w", err)
	}
	if d := eot.DataDigest(streams); d != trained.Training.DataDigest && !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "warning: the data given is not the data the model was trained on (digest %s, model %s)\n", d, trained.Training.DataDigest)
	}
	if !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "fitting the baselines on %d pairs: the same configuration on the pairs alone (with its own model selection), an x-blind mixture of every y, a linear-Gaussian regression\n", streams.PairX.Rows)
	}
	models, err := eot.FitBaselines(c.Context, trained, streams, c.Uint64("seed"), threads(c))
	if err != nil {
		return err
	}
	rep.Baselines, rep.Comparisons = map[string]*eot.Report{}, map[string]*eot.Comparison{}
	for _, name := range baselineOrder {
		m, ok := models[name]
		if !ok {
			continue
		}
		bopt := opt
		bopt.Progress = newStageProgress(c, "eval "+name)
		if rep.Baselines[name], err = eot.Evaluate(c.Context, m, trained.Scaler, x, y, bopt); err != nil {
			return fmt.Errorf("baseline %s: %w", name, err)
		}
		if cmp := eot.Compare(rep, rep.Baselines[name], name); cmp != nil {
			rep.Comparisons[name] = cmp
		}
	}
	return nil
}

// baselineOrder is the order of the baseline columns.
var baselineOrder = []string{eot.BaselinePairsOnly, eot.BaselineXBlind, eot.BaselineLinear}

func printReport(w io.Writer, rep *eot.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	names := []string{"model"}
	reports := []*eot.Report{rep}
	for _, n := range baselineOrder {
		if b, ok := rep.Baselines[n]; ok {
			names, reports = append(names, n), append(reports, b)
		}
	}
	fmt.Fprintf(tw, "metric (%d held-out pairs)", rep.Rows)
	for _, n := range names {
		fmt.Fprintf(tw, "\t%s", n)
	}
	fmt.Fprintln(tw)
	row := func(label string, cell func(r *eot.Report) string) {
		fmt.Fprint(tw, label)
		for _, r := range reports {
			fmt.Fprintf(tw, "\t%s", cell(r))
		}
		fmt.Fprintln(tw)
	}
	row("NLL (lower is better)", func(r *eot.Report) string {
		if r.NLL == nil {
			return "n/a"
		}
		s := fmt.Sprintf("%.4f ± %.4f", r.NLL.Mean, r.NLL.StdErr)
		if !r.NLLExact {
			s += " (estimate)"
		}
		return s
	})
	row("energy score", func(r *eot.Report) string {
		return fmt.Sprintf("%.4f ± %.4f", r.EnergyScore.Mean, r.EnergyScore.StdErr)
	})
	for i, cv := range rep.Coverage {
		row(fmt.Sprintf("coverage at %.0f%%", 100*cv.Level), func(r *eot.Report) string {
			return fmt.Sprintf("%.1f%%", 100*r.Coverage[i].Observed)
		})
	}
	row("MMD² (marginal)", func(r *eot.Report) string { return fmt.Sprintf("%.3g", r.MMD) })
	row("Sinkhorn divergence", func(r *eot.Report) string { return fmt.Sprintf("%.3g", r.Sinkhorn) })
	if rep.Groups != nil {
		row(fmt.Sprintf("FID per group (%d)", rep.Groups.Groups), func(r *eot.Report) string {
			return fmt.Sprintf("%.4g ± %.2g", r.Groups.FID.Mean, r.Groups.FID.StdErr)
		})
		row("vFID per group", func(r *eot.Report) string {
			return fmt.Sprintf("%.4g ± %.2g", r.Groups.VFID.Mean, r.Groups.VFID.StdErr)
		})
	}
	tw.Flush()
	for _, n := range baselineOrder {
		if cmp, ok := rep.Comparisons[n]; ok {
			fmt.Fprintf(w, "model %s on the same held-out pairs\n", cmp.Verdict)
		}
	}
}

func writeJSON(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
