package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
	"github.com/ebieot/ebieot/internal/atomicfile"
)

func predictCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "predict",
		Usage: "point predictions: the conditional mean of every y column and its quantiles under π(·|x)",
		Description: `Reads the model's x columns (by name) from --input and writes the x columns, then for
each y column NAME its conditional mean E[NAME | x] as NAME and the marginal quantiles of
NAME under π(·|x) as NAME_q05, NAME_q50, NAME_q95 (levels from --quantiles, as per cent).
For gmm models these are exact: the mixture's mean, and the quantiles of a one-dimensional
Gaussian mixture solved by bisection. For other models they are estimated from --samples
draws per row (the number is printed). --mixture also writes, as JSON Lines, each row's
mixture π(·|x) in the original units: weights, means and variances (or covariances).

The input is read in chunks and predicted in parallel over --threads, in input order, with
memory bounded whatever its length; sampled estimates draw from the stream (seed, row) of
each row (see sample for --row-offset and --id-col). Input and output are CSV, Parquet or
.npy by extension; - is CSV on standard input or output.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Required: true, Usage: "model file"},
			&cli.StringFlag{Name: "input", Aliases: []string{"x"}, Required: true, Usage: "table with the model's x columns (.csv, .parquet, .npy; - for standard input)"},
			&cli.StringFlag{Name: "quantiles", Value: "0.05,0.5,0.95", Usage: "quantile levels in (0, 1), comma-separated (empty: none)"},
			&cli.IntFlag{Name: "samples", Value: 1000, Usage: "draws per row for models without a closed-form conditional"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed of the draws"},
			&cli.StringFlag{Name: "mixture", Usage: "also write each row's mixture to this JSON Lines file (gmm)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "table to write (.csv, .parquet, .npy; - for standard output)"},
		}, rowFlags()...),
		Action: runPredict,
	})
}

func runPredict(c *cli.Context) error {
	if err := checkOutputs(paths(c, "out", "mixture"), paths(c, "input", "model")); err != nil {
		return err
	}
	trained, err := eot.Load(c.String("model"))
	if err != nil {
		return err
	}
	trained.SetThreads(threads(c))
	var levels []float64
	if s := strings.TrimSpace(c.String("quantiles")); s != "" {
		if levels, err = parseFloats(s); err != nil {
			return usagef("--quantiles %q: want numbers in (0, 1) separated by commas", s)
		}
	} else {
		levels = []float64{}
	}
	names, err := quantileNames(levels)
	if err != nil {
		return err
	}
	in, err := openRowChunks(c, trained.XNames, nil)
	if err != nil {
		return err
	}
	defer in.Close()
	header := predictHeader(trained, names)
	out := &tableOut{path: c.String("out")}
	po := eot.PredictOptions{Quantiles: levels, Samples: c.Int("samples"), Seed: c.Uint64("seed")}
	run := func(mixtures io.Writer) (*eot.Prediction, error) {
		var last *eot.Prediction
		var enc *json.Encoder
		if mixtures != nil {
			enc = json.NewEncoder(mixtures)
		}
		opt, done := streamOptions(c, "predict")
		defer done()
		err := trained.StreamPredict(c.Context, in, po, opt, func(ch eot.Chunk, p *eot.Prediction) error {
			last = p
			if enc != nil {
				if err := writeMixtures(enc, trained, ch); err != nil {
					return err
				}
			}
			return out.write(header, predictRows(ch.X, p, len(trained.YNames)))
		})
		return last, err
	}
	var p *eot.Prediction
	if path := c.String("mixture"); path != "" {
		err = atomicfile.Write(path, func(w io.Writer) error {
			var err error
			p, err = run(w)
			return err
		})
	} else {
		p, err = run(nil)
	}
	if err := out.finish(header, err); err != nil {
		return err
	}
	if !quiet(c) && p != nil && !p.Exact {
		fmt.Fprintf(c.App.ErrWriter, "means and quantiles estimated from %d samples per row\n", p.Samples)
	}
	return wrote(c, "out", "mixture")
}

// predictHeader names predict's columns: the x columns, then for each y
// column NAME its mean NAME and its quantiles NAME_qLEVEL.
func predictHeader(t *eot.Trained, levels []string) []string {
	header := append([]string(nil), t.XNames...)
	for _, y := range t.YNames {
		header = append(header, y)
		for _, q := range levels {
			header = append(header, y+"_q"+q)
		}
	}
	return header
}

// predictRows lays out one chunk's predictions as predictHeader names them.
func predictRows(x datasets.Matrix, p *eot.Prediction, dy int) datasets.Matrix {
	dx, nq := x.Cols, len(p.Quantiles)
	out := datasets.NewMatrix(x.Rows, dx+dy*(1+nq))
	for i := range x.Rows {
		row := out.Row(i)
		copy(row, x.Row(i))
		k := dx
		for d := range dy {
			row[k] = p.Mean.Row(i)[d]
			k++
			for l := range nq {
				row[k] = p.Quantiles[l].Row(i)[d]
				k++
			}
		}
	}
	return out
}

// quantileNames formats levels as the per-cent suffixes of the quantile
// columns: 0.05 → "05", 0.5 → "50", 0.975 → "97.5".
func quantileNames(levels []float64) ([]string, error) {
	names := make([]string, len(levels))
	seen := map[string]bool{}
	for i, q := range levels {
		if !(q > 0 && q < 1) {
			return nil, usagef("--quantiles: level %v must be in (0, 1)", q)
		}
		s := strconv.FormatFloat(100*q, 'f', -1, 64)
		if p := strings.IndexByte(s, '.'); p == 1 || (p < 0 && len(s) == 1) {
			s = "0" + s
		}
		if seen[s] {
			return nil, usagef("--quantiles: level %v given twice", q)
		}
		seen[s], names[i] = true, s
	}
	return names, nil
}

// mixtureLine is one row of --mixture's JSON Lines.
type mixtureLine struct {
	Row       int64       `json:"row"`
	Weights   []float64   `json:"weights"`
	Means     [][]float64 `json:"means"`
	Variances [][]float64 `json:"variances,omitempty"`   // diagonal covariances
	Cov       [][]float64 `json:"covariances,omitempty"` // full covariances, row-major
}

// writeMixtures writes the mixtures π(·|x) of one chunk's rows as JSON
// Lines, each numbered by its global row index (from 1).
func writeMixtures(enc *json.Encoder, t *eot.Trained, ch eot.Chunk) error {
	mixtures, err := t.Mixtures(ch.X)
	if err != nil {
		return fmt.Errorf("--mixture: %w", err)
	}
	for i, mx := range mixtures {
		D := mx.Dim
		line := mixtureLine{Row: ch.Start + int64(i) + 1}
		total := 0.0
		for _, lw := range mx.LogWeights {
			total += math.Exp(lw)
		}
		for k, lw := range mx.LogWeights {
			line.Weights = append(line.Weights, math.Exp(lw)/total)
			line.Means = append(line.Means, mx.Means[k*D:(k+1)*D])
			c := mx.CovIndex[k]
			if mx.Chol == nil {
				line.Variances = append(line.Variances, mx.Var[c*D:(c+1)*D])
				continue
			}
			L := mx.Chol[c*D*D : (c+1)*D*D]
			cov := make([]float64, D*D)
			for a := range D {
				for b := range D {
					for j := 0; j <= min(a, b); j++ {
						cov[a*D+b] += L[a*D+j] * L[b*D+j]
					}
				}
			}
			line.Cov = append(line.Cov, cov)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}
