package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
)

func logprobCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "logprob",
		Usage: "score pairs: log π(y|x) for every row of a CSV, in the original units",
		Description: `Reads the model's x and y columns (by name) from --input and writes them with a
logprob column: the conditional log-density of y given x in the units of the file (the
standardisation's Jacobian is included). Exact for gmm models; for models without an
exact density (nn) a Monte Carlo estimate is written with its standard error in a
logprob_se column.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "input", Aliases: []string{"pairs"}, Required: true, Usage: "CSV with the model's x and y columns"},
			&cli.IntFlag{Name: "samples", Value: 1024, Usage: "Monte Carlo samples per row for models without an exact density"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed of Monte Carlo estimates"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "CSV to write"},
		},
		Action: runLogprob,
	})
}

func runLogprob(c *cli.Context) error {
	if err := checkOutputs(paths(c, "out"), paths(c, "input", "model")); err != nil {
		return err
	}
	trained, err := eot.Load(c.String("model"))
	if err != nil {
		return err
	}
	trained.SetThreads(threads(c))
	x, y, _, err := readPairs(c.String("input"), trained, "")
	if err != nil {
		return err
	}
	lp, se, _, err := trained.LogProb(c.Context, x, y, eot.LogProbOptions{Samples: c.Int("samples"), Seed: c.Uint64("seed")})
	if err != nil {
		return fmt.Errorf("logprob: %w", err)
	}
	dx, dy := x.Cols, y.Cols
	extra := 1
	header := append(append(append([]string(nil), trained.XNames...), trained.YNames...), "logprob")
	if se != nil {
		extra = 2
		header = append(header, "logprob_se")
	}
	out := datasets.NewMatrix(x.Rows, dx+dy+extra)
	for i := 0; i < x.Rows; i++ {
		row := out.Row(i)
		copy(row, x.Row(i))
		copy(row[dx:], y.Row(i))
		row[dx+dy] = lp[i]
		if se != nil {
			row[dx+dy+1] = se[i]
		}
	}
	if err := datasets.WriteTableCSV(c.String("out"), header, out); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", c.String("out"))
	return nil
}
