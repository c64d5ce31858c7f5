package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/eot"
)

func describeCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "describe",
		Usage: "print a model file's kind, sizes, hyperparameters and training summary",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as one JSON object"},
		},
		Action: func(c *cli.Context) error {
			mf, model, err := eot.LoadModel(c.String("model"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return json.NewEncoder(c.App.Writer).Encode(map[string]any{
					"spec": mf.Spec, "x_names": mf.XNames, "y_names": mf.YNames,
					"parameters": len(mf.Params), "training": trainingSummary(mf.Training),
				})
			}
			describeModel(c.App.Writer, mf, model)
			return nil
		},
	})
}

// trainingSummary is the training record without its per-step history.
func trainingSummary(t eot.Training) eot.Training {
	t.History = nil
	return t
}

func describeModel(w io.Writer, mf *eot.ModelFile, model energy.Model) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s := mf.Spec
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("kind", s.Kind)
	row("x columns", fmt.Sprintf("%d: %s", s.XDim, abbreviate(mf.XNames)))
	row("y columns", fmt.Sprintf("%d: %s", s.YDim, abbreviate(mf.YNames)))
	row("eps", s.Eps)
	switch s.Kind {
	case energy.KindGMM:
		row("potential components N", s.Potentials)
		row("cost components M", s.CostComponents)
		row("covariances", map[bool]string{false: "diagonal", true: "full (Cholesky)"}[s.FullCov])
		row("b(x) head hidden", layers(s.CostHidden))
		wh := s.WeightHidden
		if wh == nil {
			wh = s.CostHidden
		}
		row("log v(x) head hidden", layers(wh))
	case energy.KindNeural:
		row("cost MLP hidden", layers(s.CostHidden))
		row("potential MLP hidden", layers(s.PotentialHidden))
		if l := s.Langevin; l != nil {
			row("Langevin", fmt.Sprintf("T=%d η=%g σ=%g buffer=%d restart=%g", l.Steps, l.StepSize, l.Noise, l.BufferSize, l.RestartProb))
		}
	}
	row("parameters", len(model.Params()))
	t := mf.Training
	row("training steps", t.Steps)
	row("stopped", t.Stopped)
	row("data", fmt.Sprintf("%d pairs (+%d validation), %d sources, %d targets", t.Paired, t.Validation, t.Sources, t.Targets))
	row("optimizer", fmt.Sprintf("%s, batch %d, lr cost %g, lr potential %g, %s schedule", t.Optimizer.Name, t.BatchSize, t.LRCost, t.LRPotential, t.Schedule))
	if t.BestValidNLL != nil {
		row("best validation NLL", fmt.Sprintf("%.4f at step %d (standardised units)", *t.BestValidNLL, t.BestStep))
	}
	row("training time", fmt.Sprintf("%.1fs", t.Seconds))
	row("seed", t.Seed)
	row("data digest", t.DataDigest)
	tw.Flush()
	if lb := t.Selection; lb != nil {
		describeSelection(w, lb)
	}
}

// describeSelection prints the model selection's leaderboard.
func describeSelection(w io.Writer, lb *eot.Leaderboard) {
	fmt.Fprintf(w, "\nmodel selection (%.1fs): ", lb.Seconds)
	if lb.Fallback != "" {
		fmt.Fprintln(w, lb.Fallback)
		return
	}
	fmt.Fprintf(w, "%d-fold cross-validation over %d pairs; NLL in standardised units\n", lb.Folds, lb.Pairs)
	fmt.Fprintf(w, "verdict: %s\n", lb.Verdict)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rank\tcandidate\tCV NLL\tbest step\tsteps run\tCPU s")
	for i, c := range lb.Candidates {
		fmt.Fprintf(tw, "%d\t%s\t%.4f ± %.4f\t%d\t%d\t%.1f\n", i+1, c, c.NLL.Mean, c.NLL.StdErr, c.BestStep, c.Steps, c.CPUSeconds)
	}
	fmt.Fprintf(tw, "\tx-blind marginal\t%.4f ± %.4f\t\t\t\n", lb.MarginalNLL.Mean, lb.MarginalNLL.StdErr)
	fmt.Fprintf(tw, "\tlinear-Gaussian regression\t%.4f ± %.4f\t\t\t\n", lb.LinearNLL.Mean, lb.LinearNLL.StdErr)
	tw.Flush()
	if len(lb.Marginal) > 0 {
		fmt.Fprintf(w, "potential: %d x-blind mixtures by CV NLL of every y; best ", len(lb.Marginal))
		for i, m := range lb.Marginal[:min(3, len(lb.Marginal))] {
			if i > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprintf(w, "N=%d %s %.4f", m.Potentials, map[bool]string{false: "diag", true: "full"}[m.FullCov], m.NLL)
		}
		fmt.Fprintln(w)
	}
}

func layers(h []int) string {
	if len(h) == 0 {
		return "none (linear)"
	}
	s := make([]string, len(h))
	for i, n := range h {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ",")
}

func abbreviate(names []string) string {
	if len(names) <= 8 {
		return strings.Join(names, ",")
	}
	return strings.Join(names[:4], ",") + ",…," + strings.Join(names[len(names)-2:], ",")
}
