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
and in the original units. The input is read in chunks and the rows are worked on in
parallel over --threads, so memory stays bounded whatever the input's length. Row i uses
its own random stream derived from --seed and i (plus --row-offset, or from the row's
--id-col text), so the output does not depend on --threads, and shards of a file run with
the right offsets give, concatenated, the bytes of one run over the whole file.

Input and output are CSV, Parquet or .npy by extension; - is CSV on standard input or
output.

--time t (quadratic-cost models only) writes, in the y columns, the point at time t of the
Brownian bridge from x to a sample y ~ π(·|x): (1−t)·x + t·y + √(ε·t·(1−t))·z, the
time-t marginal of the Schrödinger bridge; --time 1 is ordinary sampling.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "input", Aliases: []string{"x"}, Required: true, Usage: "table with the model's x columns (.csv, .parquet, .npy; - for standard input)"},
			&cli.IntFlag{Name: "n", Value: 100, Usage: "samples per input row"},
			&cli.Float64Flag{Name: "time", Value: 1, Usage: "quadratic cost: the time in [0, 1] of the Schrödinger bridge point to draw"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "table to write (.csv, .parquet, .npy; - for standard output)"},
		}, rowFlags()...),
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
	so := eot.SampleOptions{N: n, Seed: c.Uint64("seed")}
	if c.IsSet("time") {
		so.Bridge, so.Time = true, c.Float64("time")
		if !(so.Time >= 0 && so.Time <= 1) {
			return usagef("--time %v must be in [0, 1]", so.Time)
		}
	}
	trained, err := eot.Load(c.String("model"))
	if err != nil {
		return err
	}
	trained.SetThreads(threads(c))
	in, err := openRowChunks(c, trained.XNames, nil)
	if err != nil {
		return err
	}
	defer in.Close()
	header := append(append([]string(nil), trained.XNames...), trained.YNames...)
	out := &tableOut{path: c.String("out")}
	opt, done := streamOptions(c, "sample")
	var rows int64
	dx := len(trained.XNames)
	err = trained.StreamSample(c.Context, in, so, opt, func(ch eot.Chunk, y datasets.Matrix) error {
		m := datasets.NewMatrix(y.Rows, dx+y.Cols)
		for r := range m.Rows {
			copy(m.Row(r), ch.X.Row(r/n))
			copy(m.Row(r)[dx:], y.Row(r))
		}
		rows += int64(ch.X.Rows)
		return out.write(header, m)
	})
	done()
	if err != nil && so.Bridge {
		err = fmt.Errorf("--time: %w", err)
	}
	if err := out.finish(header, err); err != nil {
		return err
	}
	if !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "%d samples for each of %d rows\n", n, rows)
	}
	return wrote(c, "out")
}
