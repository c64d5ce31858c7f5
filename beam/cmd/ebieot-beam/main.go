// Command ebieot-beam scores rows against a fitted ebieot model on Apache
// Beam: log-densities, samples or predictions of π(y|x) over CSV, Parquet
// or .npy shards, written as shards that, in name order, are what
// `ebieot logprob`, `sample` or `predict` writes for the concatenated
// input. The runner is chosen with Beam's own --runner flag (prism, the
// default, runs in this process; flink, spark and dataflow take their
// runner's flags, see beam/README.md).
//
//	ebieot-beam --job logprob --model model.json --input 'data/*.parquet' --output out/lp
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/ebieot/ebieot/beam/score"
)

var (
	job       = flag.String("job", "", "logprob, sample or predict")
	model     = flag.String("model", "", "model file written by `ebieot fit` (local path, gs:// or s3://)")
	input     = flag.String("input", "", "glob of input shards (.csv, .parquet or .npy), numbered in path order")
	output    = flag.String("output", "", "prefix of the output shards, PREFIX-<first row>.<format>")
	format    = flag.String("format", "csv", "output shard format: csv or parquet")
	rowOffset = flag.Int64("row-offset", 0, "global index of the first input row (for a pipeline over part of a larger input)")
	idCol     = flag.String("id-col", "", "key each row's random stream by this column's text instead of its index")
	batchRows = flag.Int("batch-rows", 4096, "rows per batch and per output shard")
	seed      = flag.Uint64("seed", 1, "seed of the random streams (with each row's index or id)")
	n         = flag.Int("n", 100, "sample: samples per row")
	samples   = flag.Int("samples", 0, "importance samples (logprob) or draws (predict) per row for models without a closed form (0: the command's default)")
	quantiles = flag.String("quantiles", "", "predict: comma-separated quantile levels in (0, 1) (default 0.05,0.5,0.95)")
)

func main() {
	flag.Parse()
	beam.Init()
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "ebieot-beam:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	o := score.Options{Job: *job, Model: *model, Input: *input, Output: *output, Format: *format,
		RowOffset: *rowOffset, IDCol: *idCol, BatchRows: *batchRows, Seed: *seed, N: *n, Samples: *samples}
	if *quantiles != "" {
		for _, f := range strings.Split(*quantiles, ",") {
			q, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(q > 0 && q < 1) {
				return fmt.Errorf("--quantiles: %q is not a level in (0, 1)", f)
			}
			o.Quantiles = append(o.Quantiles, q)
		}
	}
	p, s := beam.NewPipelineWithRoot()
	names, err := score.Build(ctx, s, o)
	if err != nil {
		return err
	}
	if err := beamx.Run(ctx, p); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s-*.%s (columns %s)\n", o.Output, o.Format, strings.Join(names, ","))
	return nil
}
