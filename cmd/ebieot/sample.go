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
		Description: `Reads the model's x columns (by name) from --x, draws --n samples for each row and
writes the x columns followed by the y columns, n rows per input row, in input order and
in the original units. Row i uses its own random stream derived from --seed and i, so
the output does not depend on --threads.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "x", Required: true, Usage: "CSV with the model's x columns"},
			&cli.IntFlag{Name: "n", Value: 100, Usage: "samples per input row"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "CSV to write"},
		},
		Action: runSample,
	})
}

func runSample(c *cli.Context) error {
	n := c.Int("n")
	if n < 1 {
		return fmt.Errorf("--n %d must be positive", n)
	}
	trained, err := eot.Load(c.String("model"))
	if err != nil {
		return err
	}
	trained.SetThreads(threads(c))
	x, _, err := datasets.ReadMatrixCSV(c.String("x"), trained.XNames)
	if err != nil {
		return err
	}
	y, err := trained.Sample(c.Context, x, n, c.Uint64("seed"))
	if err != nil {
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
