package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
)

func sampleCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "sample",
		Usage: "draw samples of y ~ π(y|x) for every row of a CSV of x's",
		Description: `Reads the model's x columns (by name) from --input, draws --n samples for each row
and writes the x columns followed by the y columns, n rows per input row, in input order
and in the original units. Row i uses its own random stream derived from --seed and i, so
the output does not depend on --threads.

--time t (quadratic-cost models only) writes, in the y columns, the point at time t of the
Brownian bridge from x to a sample y ~ π(·|x): (1−t)·x + t·y + √(ε·t·(1−t))·z, the
time-t marginal of the Schrödinger bridge; --time 1 is ordinary sampling.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "input", Aliases: []string{"x"}, Required: true, Usage: "CSV with the model's x columns"},
			&cli.IntFlag{Name: "n", Value: 100, Usage: "samples per input row"},
			&cli.Float64Flag{Name: "time", Value: 1, Usage: "quadratic cost: the time in [0, 1] of the Schrödinger bridge point to draw"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "CSV to write"},
		},
		Action: runSample,
	})
}

func runSample(c *cli.Context) error {
	if err := checkOutputs(paths(c, "out"), paths(c, "input", "model")); err != nil {
		return err
	}
	n := c.Int("n")
	if n < 1 {
		return usagef("--n %d must be positive", n)
	}
	trained, err := eot.Load(c.String("model"))
	if err != nil {
		return err
	}
	trained.SetThreads(threads(c))
	x, _, err := datasets.ReadMatrixCSV(c.String("input"), trained.XNames)
	if err != nil {
		return err
	}
	var y datasets.Matrix
	if c.IsSet("time") {
		tt := c.Float64("time")
		if !(tt >= 0 && tt <= 1) {
			return usagef("--time %v must be in [0, 1]", tt)
		}
		y, err = trained.SampleBridge(c.Context, x, n, tt, c.Uint64("seed"))
		if err != nil {
			return fmt.Errorf("--time: %w", err)
		}
	} else if y, err = trained.Sample(c.Context, x, n, c.Uint64("seed")); err != nil {
		return err
	}
	dx := x.Cols
	out := datasets.NewMatrix(x.Rows*n, dx+y.Cols)
	for r := 0; r < out.Rows; r++ {
		copy(out.Row(r), x.Row(r/n))
		copy(out.Row(r)[dx:], y.Row(r))
	}
	header := append(append([]string(nil), trained.XNames...), trained.YNames...)
	if err := datasets.WriteTableCSV(c.String("out"), header, out); err != nil {
		return err
	}
	if !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "%d samples for each of %d rows\n", n, x.Rows)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", c.String("out"))
	return nil
}
