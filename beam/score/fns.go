package score

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"   // gs:// models and shards
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // paths without a scheme
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"    // s3:// models and shards
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/eot"
)

func init() {
	register.DoFn3x1[context.Context, Batch, func(Scored), error](&scoreFn{})
	register.Emitter1[Scored]()
}

// modelFiles caches the bytes of each model file per worker process: a
// runner starts one DoFn instance per thread of a worker, and the file is
// read once however many there are. Each instance parses its own copy,
// because the neural models keep per-call scratch state and must not be
// shared between goroutines.
var modelFiles sync.Map // path → *modelFile

type modelFile struct {
	once sync.Once
	b    []byte
	err  error
}

// loadModel reads a model file through Beam's filesystems (local, gs://,
// s3://).
func loadModel(ctx context.Context, path string) (*eot.Trained, error) {
	v, _ := modelFiles.LoadOrStore(path, &modelFile{})
	mf := v.(*modelFile)
	mf.once.Do(func() { mf.b, mf.err = readFile(ctx, path) })
	if mf.err != nil {
		return nil, mf.err
	}
	return eot.Read(bytes.NewReader(mf.b), path)
}

func readFile(ctx context.Context, path string) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	rc, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open model %s: %w", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}
	return b, nil
}

func hasDensity(t *eot.Trained) bool {
	_, ok := t.Model.(energy.Density)
	return ok
}

// scoreFn runs one job on each batch with the model loaded in Setup.
type scoreFn struct {
	Job       string
	Model     string
	Seed      uint64
	N         int
	Samples   int
	Quantiles []float64

	t *eot.Trained
}

func (f *scoreFn) Setup(ctx context.Context) error {
	t, err := loadModel(ctx, f.Model)
	if err != nil {
		return err
	}
	// The runner runs bundles in parallel; one goroutine per call keeps a
	// worker's threads for the runner to use.
	t.SetThreads(1)
	f.t = t
	return nil
}

// batchReader hands a batch to the eot streaming methods, with the rows'
// global indices (or id keys) as their random-stream keys.
type batchReader struct {
	c    eot.Chunk
	done bool
}

func (r *batchReader) ReadChunk(int) (eot.Chunk, error) {
	if r.done {
		return eot.Chunk{}, io.EOF
	}
	r.done = true
	return r.c, nil
}

func (f *scoreFn) ProcessElement(ctx context.Context, b Batch, emit func(Scored)) error {
	t := f.t
	dx, dy := len(t.XNames), len(t.YNames)
	rows := b.Rows()
	all := datasets.Matrix{Rows: rows, Cols: b.Cols, Data: b.Values}
	c := eot.Chunk{Start: b.Start, X: pickCols(all, 0, dx)}
	if b.IDs != nil {
		c.Keys = make([]uint64, rows)
		for i, id := range b.IDs {
			c.Keys[i] = eot.KeyOf(id)
		}
	}
	r := &batchReader{c: c}
	// One chunk of the whole batch on the calling goroutine.
	so := eot.StreamOptions{Threads: 1, ChunkRows: max(1, rows)}
	var out datasets.Matrix
	switch f.Job {
	case JobLogProb:
		r.c.Y = pickCols(all, dx, dx+dy)
		err := t.StreamLogProb(ctx, r, eot.LogProbOptions{Samples: f.Samples, Seed: f.Seed}, so, func(_ eot.Chunk, s eot.Scores) error {
			extra := 1
			if s.StdErr != nil {
				extra = 2
			}
			out = datasets.NewMatrix(rows, dx+dy+extra)
			for i := range rows {
				row := out.Row(i)
				copy(row, all.Row(i))
				row[dx+dy] = s.LogProb[i]
				if s.StdErr != nil {
					row[dx+dy+1] = s.StdErr[i]
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", b.Start+1, b.Start+int64(rows), err)
		}
	case JobSample:
		err := t.StreamSample(ctx, r, eot.SampleOptions{N: f.N, Seed: f.Seed}, so, func(_ eot.Chunk, y datasets.Matrix) error {
			out = datasets.NewMatrix(y.Rows, dx+dy)
			for k := range y.Rows {
				row := out.Row(k)
				copy(row, c.X.Row(k/f.N))
				copy(row[dx:], y.Row(k))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", b.Start+1, b.Start+int64(rows), err)
		}
	case JobPredict:
		po := eot.PredictOptions{Quantiles: f.Quantiles, Samples: f.Samples, Seed: f.Seed}
		err := t.StreamPredict(ctx, r, po, so, func(_ eot.Chunk, p *eot.Prediction) error {
			levels := len(p.Quantiles)
			out = datasets.NewMatrix(rows, dx+dy*(1+levels))
			for i := range rows {
				row := out.Row(i)
				copy(row, c.X.Row(i))
				k := dx
				for d := range dy {
					row[k] = p.Mean.Row(i)[d]
					k++
					for l := range levels {
						row[k] = p.Quantiles[l].Row(i)[d]
						k++
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", b.Start+1, b.Start+int64(rows), err)
		}
	default:
		return fmt.Errorf("unknown job %q", f.Job)
	}
	emit(Scored{Start: b.Start, Cols: out.Cols, Values: out.Data})
	return nil
}

// pickCols returns columns [lo, hi) of m.
func pickCols(m datasets.Matrix, lo, hi int) datasets.Matrix {
	out := datasets.NewMatrix(m.Rows, hi-lo)
	for i := range m.Rows {
		copy(out.Row(i), m.Row(i)[lo:hi])
	}
	return out
}
