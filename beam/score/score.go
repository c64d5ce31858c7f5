// Package score scores rows against a fitted ebieot model on Apache Beam:
// log-densities, samples and predictions of π(y|x), over CSV, Parquet or
// .npy shards, on any Beam runner (Prism in-process, Flink, Spark,
// Dataflow).
//
// Results do not depend on how the runner splits the work. Each input row
// has a global index: the rows of the matched files are numbered in the
// order of their paths, from Options.RowOffset, as if the files were one
// file. A row's random stream is keyed by the seed and that index (or, with
// Options.IDCol, by the row's id, see eot.KeyOf), exactly as the ebieot
// command keys it, so a pipeline reproduces `ebieot sample`, `logprob` and
// `predict` on the concatenated input. Outputs are shards named by the
// global index of their first row (PREFIX-000000004096.csv), each with a
// header, so that the shards in name order are the command's output.
package score

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"

	"github.com/ebieot/ebieot/eot"
)

// Jobs.
const (
	JobLogProb = "logprob"
	JobSample  = "sample"
	JobPredict = "predict"
)

// Options configure a scoring pipeline.
type Options struct {
	Job    string // JobLogProb, JobSample or JobPredict
	Model  string // model file (local path, gs://, s3://)
	Input  string // glob of input shards: .csv, .parquet or .npy
	Output string // prefix of the output shards
	Format string // "csv" (default) or "parquet"

	// RowOffset is the global index of the first row of the first file.
	RowOffset int64
	// IDCol, if set, names a column whose text keys each row's random
	// stream instead of its index (for inputs whose order is not stable).
	IDCol string
	// BatchRows is the number of rows per batch and output shard (default
	// 4096); a batch is the unit of parallel work.
	BatchRows int

	Seed      uint64
	N         int       // samples per row (sample)
	Samples   int       // importance samples (logprob) or draws (predict) per row, for models that need them
	Quantiles []float64 // predict: quantile levels (default eot.DefaultQuantiles)
}

func (o *Options) check() error {
	switch o.Job {
	case JobLogProb, JobPredict:
	case JobSample:
		if o.N < 1 {
			return fmt.Errorf("sample: %d samples per row; need at least 1", o.N)
		}
	default:
		return fmt.Errorf("unknown job %q (want %s, %s or %s)", o.Job, JobLogProb, JobSample, JobPredict)
	}
	switch o.Format {
	case "":
		o.Format = "csv"
	case "csv", "parquet":
	default:
		return fmt.Errorf("unknown output format %q (want csv or parquet)", o.Format)
	}
	if o.Model == "" || o.Input == "" || o.Output == "" {
		return fmt.Errorf("a model, an input glob and an output prefix are needed")
	}
	if o.BatchRows == 0 {
		o.BatchRows = 4096
	}
	if o.BatchRows < 1 || o.RowOffset < 0 {
		return fmt.Errorf("batch rows %d and row offset %d must be positive", o.BatchRows, o.RowOffset)
	}
	return nil
}

// Batch is a block of consecutive rows of one input file: row i has the
// global index Start+i and the model's columns Values[i·Cols:(i+1)·Cols]
// (x then, for logprob, y).
type Batch struct {
	Start  int64
	Cols   int
	Values []float64
	IDs    []string // per row, with Options.IDCol
}

// Rows is the number of rows.
func (b Batch) Rows() int {
	if b.Cols == 0 {
		return 0
	}
	return len(b.Values) / b.Cols
}

// Scored is the output of one batch: Values holds Cols values per output
// row, for the columns Names of the job.
type Scored struct {
	Start  int64
	Cols   int
	Values []float64
}

func init() {
	beam.RegisterType(reflect.TypeOf((*Batch)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*Scored)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*fileRows)(nil)).Elem())
}

// Build adds the pipeline of o to s: match the input, number its rows,
// read them in batches, score each batch and write it as an output shard.
// The model is read here too, for its column names; it returns the output
// columns.
func Build(ctx context.Context, s beam.Scope, o Options) ([]string, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	t, err := loadModel(ctx, o.Model)
	if err != nil {
		return nil, err
	}
	cols := append([]string(nil), t.XNames...)
	if o.Job == JobLogProb {
		cols = append(cols, t.YNames...)
	}
	names, err := outputNames(t, o)
	if err != nil {
		return nil, err
	}
	files := fileio.MatchFiles(s.Scope("match"), o.Input, fileio.MatchEmptyDisallow())
	counts := beam.ParDo(s.Scope("count"), &countFn{Cols: cols}, files)
	batches := beam.ParDo(s.Scope("read"), &readFn{Cols: cols, IDCol: o.IDCol, BatchRows: o.BatchRows, RowOffset: o.RowOffset},
		files, beam.SideInput{Input: counts})
	scored := beam.ParDo(s.Scope(o.Job), &scoreFn{Job: o.Job, Model: o.Model, Seed: o.Seed, N: o.N, Samples: o.Samples, Quantiles: o.Quantiles}, batches)
	beam.ParDo0(s.Scope("write"), &writeFn{Prefix: o.Output, Format: o.Format, Names: names}, scored)
	return names, nil
}

// outputNames are the columns the ebieot command writes for the job.
func outputNames(t *eot.Trained, o Options) ([]string, error) {
	names := append([]string(nil), t.XNames...)
	switch o.Job {
	case JobLogProb:
		names = append(append(names, t.YNames...), "logprob")
		if !hasDensity(t) {
			names = append(names, "logprob_se")
		}
	case JobSample:
		names = append(names, t.YNames...)
	case JobPredict:
		levels := o.Quantiles
		if levels == nil {
			levels = eot.DefaultQuantiles()
		}
		for _, y := range t.YNames {
			names = append(names, y)
			for _, q := range levels {
				names = append(names, y+"_q"+percent(q))
			}
		}
	}
	return names, nil
}

// percent writes a level as the command names its column: 0.05 → "05",
// 0.5 → "50", 0.975 → "97.5".
func percent(q float64) string {
	s := strconv.FormatFloat(100*q, 'f', -1, 64)
	if p := strings.IndexByte(s, '.'); p == 1 || (p < 0 && len(s) == 1) {
		s = "0" + s
	}
	return s
}
