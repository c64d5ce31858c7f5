package eot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/internal/parallel"
)

// A Chunk is a block of consecutive input rows, in the user's units, for
// the streamed commands.
//
// Every row draws its random numbers from its own stream, keyed by the
// seed and the row's key: Keys[i] when Keys is set (ids, see KeyOf),
// otherwise the row's global index Start+i. Results therefore depend only
// on the seed and the rows' keys, not on how a file is cut into chunks,
// threads or shards: a shard read with Start set to its first row's index
// in the whole file gives exactly that part of the whole file's output.
type Chunk struct {
	Start int64           // global index of the first row
	X     datasets.Matrix // the model's x columns
	Y     datasets.Matrix // the model's y columns (scoring only)
	Keys  []uint64        // optional per-row stream keys
}

// Key is the random-stream key of row i of the chunk.
func (c Chunk) Key(i int) uint64 {
	if c.Keys != nil {
		return c.Keys[i]
	}
	return uint64(c.Start) + uint64(i)
}

// KeyOf is the random-stream key of a row identified by id (FNV-1a), for
// inputs whose rows are keyed by an id column rather than by position.
func KeyOf(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// A ChunkReader yields the input in consecutive chunks of at most maxRows
// rows. At the end it returns io.EOF (with an empty chunk).
type ChunkReader interface {
	ReadChunk(maxRows int) (Chunk, error)
}

// MatrixChunks reads in-memory rows as chunks (y may be empty for
// sampling and prediction). start is the global index of row 0.
func MatrixChunks(x, y datasets.Matrix, start int64) ChunkReader {
	return &matrixChunks{x: x, y: y, next: 0, start: start}
}

type matrixChunks struct {
	x, y  datasets.Matrix
	next  int
	start int64
}

func (m *matrixChunks) ReadChunk(maxRows int) (Chunk, error) {
	if m.next >= m.x.Rows {
		return Chunk{}, io.EOF
	}
	hi := min(m.x.Rows, m.next+max(1, maxRows))
	c := Chunk{Start: m.start + int64(m.next), X: m.x.Slice(m.next, hi)}
	if m.y.Rows > 0 {
		c.Y = m.y.Slice(m.next, hi)
	}
	m.next = hi
	return c, nil
}

// StreamOptions control the streamed commands.
type StreamOptions struct {
	// Threads is the number of goroutines (0 = one per CPU). Results do
	// not depend on it.
	Threads int
	// ChunkRows is the number of input rows read at a time (0 = chosen
	// from the work per row). At most about one chunk per thread is in
	// memory, whatever the input's size.
	ChunkRows int
	// Progress, if set, is called after each chunk is written with the
	// number of input rows done so far.
	Progress func(rows int64)
}

// SampleOptions control StreamSample.
type SampleOptions struct {
	N    int    // samples per input row (≥ 1)
	Seed uint64 // with the row's key, the row's random stream
	// Bridge draws the point at time Time ∈ [0, 1] of the Brownian bridge
	// from x to y ~ π(·|x) instead of y (quadratic-cost models only; see
	// SampleBridge).
	Bridge bool
	Time   float64
}

// concurrentSafe reports whether the model's evaluation methods may run
// from several goroutines at once. The neural model keeps per-worker
// graphs and parallelises inside each call instead.
func concurrentSafe(m energy.Model) bool {
	switch m.(type) {
	case *gmm.Model:
		return true
	}
	_, ok := m.(interface{ Classes() int })
	return ok
}

// streamChunks reads chunks of rows, runs work on up to one chunk per
// worker at a time and hands the results to emit in input order. Models
// that cannot be called concurrently get one worker, and their own
// threads inside each call.
func streamChunks[R any](ctx context.Context, t *Trained, r ChunkReader, rows int, opt StreamOptions, work func(context.Context, Chunk) (R, error), emit func(Chunk, R) error) error {
	workers := 1
	if concurrentSafe(t.Model) {
		workers = parallel.Threads(opt.Threads)
	}
	var done int64
	chunks := make([]Chunk, 0, workers)
	results := make([]R, workers)
	for eof := false; !eof; {
		chunks = chunks[:0]
		for len(chunks) < workers {
			c, err := r.ReadChunk(rows)
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			if err != nil {
				return err
			}
			if c.X.Rows == 0 {
				continue
			}
			if err := t.checkX(c.X); err != nil {
				return fmt.Errorf("rows from %d: %w", c.Start+1, err)
			}
			chunks = append(chunks, c)
		}
		err := parallel.For(ctx, workers, len(chunks), func(_, i int) error {
			var err error
			results[i], err = work(ctx, chunks[i])
			return err
		})
		if err != nil {
			return err
		}
		for i, c := range chunks {
			if err := emit(c, results[i]); err != nil {
				return err
			}
			done += int64(c.X.Rows)
			if opt.Progress != nil {
				opt.Progress(done)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// StreamSample draws so.N samples for every row r reads and passes them to
// emit chunk by chunk, in input order: rows [i·N, (i+1)·N) of the matrix
// belong to the chunk's row i, in the user's units. Memory stays bounded by
// a few chunks whatever the input's length.
func (t *Trained) StreamSample(ctx context.Context, r ChunkReader, so SampleOptions, opt StreamOptions, emit func(Chunk, datasets.Matrix) error) error {
	if so.N < 1 {
		return fmt.Errorf("sample: %d samples per row; need at least 1", so.N)
	}
	if so.Bridge {
		if err := t.checkBridge(so.Time); err != nil {
			return err
		}
	}
	rows := opt.ChunkRows
	if rows <= 0 {
		rows = max(1, 1<<16/so.N)
	}
	return streamChunks(ctx, t, r, rows, opt, func(ctx context.Context, c Chunk) (datasets.Matrix, error) {
		return t.sampleChunk(ctx, c, so)
	}, emit)
}

// sampleChunk draws the samples of one chunk; row i uses the stream
// (seed, c.Key(i)).
func (t *Trained) sampleChunk(ctx context.Context, c Chunk, so SampleOptions) (datasets.Matrix, error) {
	n, D := so.N, len(t.YNames)
	out := datasets.NewMatrix(c.X.Rows*n, D)
	xs := t.Scaler.X.Transform(c.X)
	sd := 0.0
	if so.Bridge {
		sd = math.Sqrt(t.Spec().Eps * so.Time * (1 - so.Time))
	}
	for i := range c.X.Rows {
		rng := rand.New(rand.NewPCG(so.Seed, c.Key(i)))
		ys := out.Data[i*n*D : (i+1)*n*D]
		if err := t.Model.Sample(ctx, xs.Row(i), n, rng, ys); err != nil {
			return out, fmt.Errorf("sample row %d: %w", c.Start+int64(i)+1, err)
		}
		if !so.Bridge || so.Time == 1 {
			continue
		}
		tt, x := so.Time, xs.Row(i)
		for k := range n {
			row := ys[k*D : (k+1)*D]
			for d := range D {
				row[d] = (1-tt)*x[d] + tt*row[d] + sd*rng.NormFloat64()
			}
		}
	}
	t.Scaler.Y.InverseInPlace(out)
	return out, nil
}

// checkBridge refuses bridge sampling where the Brownian bridge is not the
// Schrödinger bridge.
func (t *Trained) checkBridge(tt float64) error {
	spec := t.Spec()
	switch {
	case spec.Cost != energy.CostQuadratic:
		cost := spec.Cost
		if cost == "" {
			cost = energy.CostLearned
		}
		return fmt.Errorf("bridge: the model's cost is %s; the Brownian bridge is the Schrödinger bridge only for the quadratic cost (fit with --cost quadratic)", cost)
	case !(tt >= 0 && tt <= 1):
		return fmt.Errorf("bridge: time %v must be in [0, 1]", tt)
	}
	return nil
}

// Scores are the log-densities of one chunk's rows, in the user's units;
// StdErr is nil when they are exact.
type Scores struct {
	LogProb, StdErr []float64
}

// StreamLogProb scores every pair r reads, log π(y|x) in the user's units,
// and passes the scores to emit chunk by chunk, in input order. Estimates
// (models without an exact density) use the stream (opt.Seed, key) per row.
func (t *Trained) StreamLogProb(ctx context.Context, r ChunkReader, lo LogProbOptions, opt StreamOptions, emit func(Chunk, Scores) error) error {
	if lo.Samples == 0 {
		lo.Samples = 1024
	}
	rows := opt.ChunkRows
	if rows <= 0 {
		rows = 8192
		if _, ok := t.Model.(energy.Density); !ok {
			rows = 64
		}
	}
	return streamChunks(ctx, t, r, rows, opt, func(ctx context.Context, c Chunk) (Scores, error) {
		return t.scoreChunk(ctx, c, lo)
	}, emit)
}

func (t *Trained) scoreChunk(ctx context.Context, c Chunk, opt LogProbOptions) (Scores, error) {
	var s Scores
	if c.Y.Cols != len(t.YNames) || c.Y.Rows != c.X.Rows {
		return s, fmt.Errorf("log-density: %w: %d×%d y for %d rows of a model with %d y columns", energy.ErrShape, c.Y.Rows, c.Y.Cols, c.X.Rows, len(t.YNames))
	}
	if err := c.Y.Validate(); err != nil {
		return s, fmt.Errorf("rows from %d: %w", c.Start+1, err)
	}
	xs, ys := t.Scaler.X.Transform(c.X), t.Scaler.Y.Transform(c.Y)
	jac := t.Scaler.Y.LogDetJacobian()
	s.LogProb = make([]float64, c.X.Rows)
	switch m := t.Model.(type) {
	case energy.Density:
		for i := range s.LogProb {
			s.LogProb[i] = m.LogProb(xs.Row(i), ys.Row(i)) - jac
		}
		return s, nil
	case LogProbEstimator:
		s.StdErr = make([]float64, c.X.Rows)
		for i := range s.LogProb {
			rng := rand.New(rand.NewPCG(opt.Seed, c.Key(i)))
			v, se, err := m.LogProbEstimate(ctx, xs.Row(i), ys.Row(i), opt.Samples, rng)
			if err != nil {
				return s, fmt.Errorf("log-density of row %d: %w", c.Start+int64(i)+1, err)
			}
			s.LogProb[i], s.StdErr[i] = v-jac, se
		}
		return s, nil
	}
	return s, fmt.Errorf("log-density: %w (kind %q)", ErrNoDensity, t.Model.Spec().Kind)
}

// StreamPredict computes the conditional mean and quantiles of every row r
// reads and passes them to emit chunk by chunk, in input order. Sampled
// predictions (models without a closed-form conditional) use the stream
// (opt.Seed, key) per row.
func (t *Trained) StreamPredict(ctx context.Context, r ChunkReader, po PredictOptions, opt StreamOptions, emit func(Chunk, *Prediction) error) error {
	levels, err := checkLevels(po.Quantiles)
	if err != nil {
		return err
	}
	po.Quantiles = levels
	rows := opt.ChunkRows
	if rows <= 0 {
		rows = 4096
		if _, ok := t.Model.(Conditionaler); !ok {
			rows = 16
		}
	}
	return streamChunks(ctx, t, r, rows, opt, func(ctx context.Context, c Chunk) (*Prediction, error) {
		return t.predictChunk(ctx, c, po)
	}, emit)
}

// checkLevels returns the quantile levels to use (the defaults for nil).
func checkLevels(levels []float64) ([]float64, error) {
	if levels == nil {
		levels = DefaultQuantiles()
	}
	for _, q := range levels {
		if !(q > 0 && q < 1) {
			return nil, fmt.Errorf("predict: quantile level %v must be in (0, 1)", q)
		}
	}
	return levels, nil
}

func (t *Trained) predictChunk(ctx context.Context, c Chunk, opt PredictOptions) (*Prediction, error) {
	x, levels := c.X, opt.Quantiles
	dy := len(t.YNames)
	p := &Prediction{Mean: datasets.NewMatrix(x.Rows, dy), Levels: append([]float64(nil), levels...)}
	for range levels {
		p.Quantiles = append(p.Quantiles, datasets.NewMatrix(x.Rows, dy))
	}
	if _, ok := t.Model.(Conditionaler); ok {
		mixtures, err := t.Mixtures(x)
		if err != nil {
			return nil, err
		}
		p.Exact = true
		for i, mx := range mixtures {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			mx.Mean(p.Mean.Row(i))
			for d := range dy {
				w, mu, sd := marginalOf(mx, d)
				for l, q := range levels {
					p.Quantiles[l].Row(i)[d] = mixtureQuantile(w, mu, sd, q)
				}
			}
		}
		return p, nil
	}
	n := opt.Samples
	if n == 0 {
		n = 1000
	}
	if n < 2 {
		return nil, fmt.Errorf("predict: %d samples per row; need at least 2", n)
	}
	p.Samples = n
	ys, err := t.sampleChunk(ctx, c, SampleOptions{N: n, Seed: opt.Seed})
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	col := make([]float64, n)
	for i := range x.Rows {
		for d := range dy {
			s := 0.0
			for k := range n {
				col[k] = ys.Row(i*n + k)[d]
				s += col[k]
			}
			p.Mean.Row(i)[d] = s / float64(n)
			sort.Float64s(col)
			for l, q := range levels {
				p.Quantiles[l].Row(i)[d] = empiricalQuantile(col, q)
			}
		}
	}
	return p, nil
}
