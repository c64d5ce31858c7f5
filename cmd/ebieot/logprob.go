package main

import (
	"fmt"
	"math"

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
logprob_se column. A row whose density underflows gets -Inf, with a warning.

The input is read in chunks and scored in parallel over --threads, so memory stays bounded
whatever its length; the output keeps the input's order. Input and output are CSV, Parquet
or .npy by extension; - is CSV on standard input or output.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "input", Aliases: []string{"pairs"}, Required: true, Usage: "table with the model's x and y columns (.csv, .parquet, .npy; - for standard input)"},
			&cli.IntFlag{Name: "samples", Value: 1024, Usage: "Monte Carlo samples per row for models without an exact density"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed of Monte Carlo estimates"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "table to write (.csv, .parquet, .npy; - for standard output)"},
		}, rowFlags()...),
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
	in, err := openRowChunks(c, trained.XNames, trained.YNames)
	if err != nil {
		return err
	}
	defer in.Close()
	header := append(append(append([]string(nil), trained.XNames...), trained.YNames...), "logprob")
	out := &tableOut{path: c.String("out"), inf: true}
	opt, done := streamOptions(c, "logprob")
	dx, dy := len(trained.XNames), len(trained.YNames)
	var rows, infinite int64
	firstInf := int64(-1)
	lo := eot.LogProbOptions{Samples: c.Int("samples"), Seed: c.Uint64("seed")}
	err = trained.StreamLogProb(c.Context, in, lo, opt, func(ch eot.Chunk, s eot.Scores) error {
		extra := 1
		if s.StdErr != nil {
			extra = 2
			if len(header) == dx+dy+1 {
				header = append(header, "logprob_se")
			}
		}
		m := datasets.NewMatrix(ch.X.Rows, dx+dy+extra)
		for i := range ch.X.Rows {
			row := m.Row(i)
			copy(row, ch.X.Row(i))
			copy(row[dx:], ch.Y.Row(i))
			row[dx+dy] = s.LogProb[i]
			if s.StdErr != nil {
				row[dx+dy+1] = s.StdErr[i]
			}
			if math.IsInf(s.LogProb[i], 0) {
				if infinite == 0 {
					firstInf = rows + int64(i) + 1
				}
				infinite++
			}
		}
		rows += int64(ch.X.Rows)
		return out.write(header, m)
	})
	done()
	if err != nil {
		err = fmt.Errorf("logprob: %w", err)
	}
	if err := out.finish(header, err); err != nil {
		return err
	}
	if infinite > 0 && !quiet(c) {
		fmt.Fprintf(c.App.ErrWriter, "warning: %d of %d rows have log-density -Inf (the first is data row %d): their y is so far from the model's mass that the density underflows; they are written as -Inf\n", infinite, rows, firstInf)
	}
	return wrote(c, "out")
}
