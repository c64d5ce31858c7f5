package score

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
)

// The tests run the pipeline on Prism, the runner Beam ships in-process,
// unless --runner says otherwise.
func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// ames reads the real Ames housing case of the core module's tests: 2100
// training and 500 held-out rows, 3 x and 3 y columns.
func ames(t *testing.T, file string) *datasets.Streams {
	t.Helper()
	s, err := datasets.ReadCSV(filepath.Join("..", "..", "datasets", "testdata", "real", "ames3", file),
		datasets.CSVOptions{XCols: []string{"x_*"}, YCols: []string{"y_*"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixture fits a small GMM model on the training file and lays out the
// input as two shards of two formats: 1100 rows from the training file as
// CSV, then (in path order) the 500 held-out pairs as Parquet. It returns the model's path,
// the input directory and every row in order.
func fixture(t *testing.T) (*eot.Trained, string, string, datasets.Matrix, datasets.Matrix) {
	t.Helper()
	train, held := ames(t, "train.csv"), ames(t, "holdout.csv")
	cfg, err := eot.DefaultConfig("gmm")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Spec.Potentials, cfg.Spec.CostComponents = 4, 3
	cfg.Fit.Steps, cfg.Fit.ValidEvery = 300, 100
	cfg.Init, cfg.Select.Off = eot.InitTargets, true
	d := eot.DefaultOptions("gmm")
	cfg.Fit.LRCost, cfg.Fit.LRPotential = d.LRCost, d.LRPotential
	cfg.Seed, cfg.Threads = 3, 1
	trained, err := eot.Train(context.Background(), train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "model.json")
	if err := trained.Save(model); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	// Rows to score: every x of the training file beside every y (as
	// pairs by position: any (x, y) has a density), then the held-out
	// pairs.
	names := append(append([]string(nil), trained.XNames...), trained.YNames...)
	join := func(x, y datasets.Matrix) datasets.Matrix {
		m := datasets.NewMatrix(x.Rows, len(names))
		for i := range m.Rows {
			copy(m.Row(i), x.Row(i))
			copy(m.Row(i)[x.Cols:], y.Row(i))
		}
		return m
	}
	first := join(train.AllSources(), train.AllTargets())
	if err := datasets.WriteTableFile(filepath.Join(in, "a-train.csv"), names, first); err != nil {
		t.Fatal(err)
	}
	if err := datasets.WriteTableFile(filepath.Join(in, "b-holdout.parquet"), names, join(held.PairX, held.PairY)); err != nil {
		t.Fatal(err)
	}
	x, _ := datasets.VStack(train.AllSources(), held.PairX)
	y, _ := datasets.VStack(train.AllTargets(), held.PairY)
	if x.Rows != 1600 {
		t.Fatalf("%d rows to score; the Ames case has 1100 training x's and y's and 500 held-out pairs", x.Rows)
	}
	return trained, model, in, x, y
}

// run builds and runs the pipeline of o, and reads its output shards back
// in name order.
func run(t *testing.T, o Options) (datasets.Matrix, []string) {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	names, err := Build(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	shards, err := filepath.Glob(o.Output + "-*." + o.Format)
	if err != nil || len(shards) == 0 {
		t.Fatalf("no output shards (%v)", err)
	}
	out := datasets.NewMatrix(0, len(names))
	for _, sh := range shards { // Glob sorts, and the names sort in row order
		m, got, err := datasets.ReadMatrixFile(sh, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(names) {
			t.Fatalf("%s has columns %v, want %v", sh, got, names)
		}
		out, _ = datasets.VStack(out, m)
	}
	return out, names
}

func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

func column(m datasets.Matrix, j int) []float64 {
	out := make([]float64, m.Rows)
	for i := range out {
		out[i] = m.Row(i)[j]
	}
	return out
}

// TestPipelineReproducesTheModel checks that the pipeline's log-densities,
// samples and predictions on 1600 rows in two shards of two formats, cut
// into batches unlike any the model's own methods use, are bit for bit
// those of eot.Trained on the concatenated rows.
func TestPipelineReproducesTheModel(t *testing.T) {
	trained, model, in, x, y := fixture(t)
	ctx := context.Background()
	out := t.TempDir()

	lp, _, exact, err := trained.LogProb(ctx, x, y, eot.LogProbOptions{})
	if err != nil || !exact {
		t.Fatalf("reference log-densities: exact %v, %v", exact, err)
	}
	got, names := run(t, Options{Job: JobLogProb, Model: model, Input: filepath.Join(in, "*"), Output: filepath.Join(out, "lp"), Format: "csv", BatchRows: 999})
	if got.Rows != x.Rows || names[len(names)-1] != "logprob" {
		t.Fatalf("logprob: %d rows with columns %v, want %d ending in logprob", got.Rows, names, x.Rows)
	}
	sameBits(t, "logprob", column(got, got.Cols-1), lp)
	sameBits(t, "logprob's x column", column(got, 0), column(x, 0))

	const n = 3
	want, err := trained.Sample(ctx, x, n, 11)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = run(t, Options{Job: JobSample, Model: model, Input: filepath.Join(in, "*"), Output: filepath.Join(out, "sample"), Format: "parquet", BatchRows: 700, N: n, Seed: 11})
	sameBits(t, "samples", pickCols(got, x.Cols, got.Cols).Data, want.Data)

	pred, err := trained.Predict(ctx, x, eot.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, names = run(t, Options{Job: JobPredict, Model: model, Input: filepath.Join(in, "*"), Output: filepath.Join(out, "pred"), Format: "csv"})
	if names[x.Cols] != trained.YNames[0] || names[x.Cols+1] != trained.YNames[0]+"_q05" {
		t.Fatalf("prediction columns %v", names)
	}
	sameBits(t, "predicted mean", column(got, x.Cols), column(pred.Mean, 0))
	sameBits(t, "predicted 95 % quantile", column(got, x.Cols+3), column(pred.Quantiles[2], 0))
}

// TestShardsWithOffsets checks shard stability: the held-out rows alone,
// given their offset in the whole input, sample as they do within it.
func TestShardsWithOffsets(t *testing.T) {
	trained, model, in, x, _ := fixture(t)
	want, err := trained.Sample(context.Background(), x, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := run(t, Options{Job: JobSample, Model: model, Input: filepath.Join(in, "b-*"), Output: filepath.Join(t.TempDir(), "s"),
		Format: "csv", N: 2, Seed: 5, RowOffset: 1100})
	sameBits(t, "the held-out shard's samples", pickCols(got, x.Cols, got.Cols).Data, want.Slice(2*1100, want.Rows).Data)
}
