package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/eot"
)

func logprobCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "logprob",
		Usage: "score pairs: log π(y|x) for every row of a CSV, in the original units",
		Description: `Reads the model's x and y columns (by name) from --pairs and writes them with a
logprob column: the conditional log-density of y given x in the units of the file (the
standardisation's Jacobian is included). Exact for gmm models; for models without an
exact density (nn) a Monte Carlo estimate is written with its standard error in a
logprob_se column.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "pairs", Required: true, Usage: "CSV with the model's x and y columns"},
			&cli.IntFlag{Name: "samples", Value: 1024, Usage: "Monte Carlo samples per row for models without an exact density"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed of Monte Carlo estimates"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "CSV to write"},
		},
		Action: runLogprob,
	})
}

func runLogprob(c *cli.Context) error {
	mf, model, err := eot.LoadModel(c.String("model"))
	if err != nil {
		return err
	}
	x, y, _, err := readPairs(c.String("pairs"), mf, "")
	if err != nil {
		return err
	}
	dx, dy := mf.Spec.XDim, mf.Spec.YDim
	xs, ys := mf.Scaler.X.Transform(x), mf.Scaler.Y.Transform(y)
	// Densities in original units: p(y|x) = p̃(ỹ|x̃) / Π std_y.
	jac := mf.Scaler.Y.LogDetJacobian()
	extra := 1
	estimator, isEstimator := model.(eot.LogProbEstimator)
	density, isDensity := model.(energy.Density)
	if !isDensity {
		if !isEstimator {
			return fmt.Errorf("logprob: %w (kind %q)", eot.ErrNoDensity, mf.Spec.Kind)
		}
		extra = 2
	}
	out := datasets.NewMatrix(x.Rows, dx+dy+extra)
	for i := 0; i < x.Rows; i++ {
		row := out.Row(i)
		copy(row, x.Row(i))
		copy(row[dx:], y.Row(i))
		if isDensity {
			row[dx+dy] = density.LogProb(xs.Row(i), ys.Row(i)) - jac
			continue
		}
		rng := rand.New(rand.NewPCG(c.Uint64("seed"), uint64(i)))
		lp, se, err := estimator.LogProbEstimate(c.Context, xs.Row(i), ys.Row(i), c.Int("samples"), rng)
		if err != nil {
			return fmt.Errorf("logprob row %d: %w", i+1, err)
		}
		row[dx+dy], row[dx+dy+1] = lp-jac, se
	}
	header := append(append(append([]string(nil), mf.XNames...), mf.YNames...), "logprob")
	if extra == 2 {
		header = append(header, "logprob_se")
	}
	if err := datasets.WriteTableCSV(c.String("out"), header, out); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", c.String("out"))
	return nil
}
