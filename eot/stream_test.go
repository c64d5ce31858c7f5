package eot

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ebieot/ebieot/datasets"
)

// streamInput is n rows of x (and y) around the committed model's data.
func streamInput(n int) (x, y datasets.Matrix) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, y = datasets.NewMatrix(n, 2), datasets.NewMatrix(n, 2)
	for i := range x.Data {
		x.Data[i], y.Data[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	return x, y
}

// collectSamples runs StreamSample over src and concatenates the output.
func collectSamples(t *testing.T, m *Trained, src ChunkReader, so SampleOptions, opt StreamOptions) []float64 {
	t.Helper()
	var out []float64
	next := int64(-1)
	err := m.StreamSample(context.Background(), src, so, opt, func(c Chunk, y datasets.Matrix) error {
		if next >= 0 && c.Start != next {
			return fmt.Errorf("chunk starting at %d emitted after one ending at %d", c.Start, next)
		}
		if y.Rows != c.X.Rows*so.N {
			return fmt.Errorf("%d samples for %d rows × %d", y.Rows, c.X.Rows, so.N)
		}
		next = c.Start + int64(c.X.Rows)
		out = append(out, y.Data...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStreamSampleShardStable: cutting the input into shards with the right
// offsets, in chunks of any size, on any number of threads, gives the
// whole run's samples bit for bit, in input order.
func TestStreamSampleShardStable(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "v1-gmm.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := streamInput(101)
	so := SampleOptions{N: 3, Seed: 11}
	whole := collectSamples(t, m, MatrixChunks(x, datasets.Matrix{}, 0), so, StreamOptions{Threads: 1})
	inMemory, err := m.Sample(context.Background(), x, so.N, so.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(whole, inMemory.Data) {
		t.Fatal("StreamSample and Sample differ")
	}
	var sharded []float64
	for _, cut := range [][2]int{{0, 40}, {40, 41}, {41, 101}} {
		shard := x.Slice(cut[0], cut[1])
		sharded = append(sharded, collectSamples(t, m, MatrixChunks(shard, datasets.Matrix{}, int64(cut[0])), so, StreamOptions{Threads: 3, ChunkRows: 7})...)
	}
	if !slices.Equal(whole, sharded) {
		t.Fatal("shards with offsets, 3 threads and 7-row chunks do not reproduce the whole run")
	}
}

// keyedChunks keys every row by an id.
type keyedChunks struct {
	ChunkReader
	ids []string
}

func (k keyedChunks) ReadChunk(maxRows int) (Chunk, error) {
	c, err := k.ChunkReader.ReadChunk(maxRows)
	if err == nil {
		for i := range c.X.Rows {
			c.Keys = append(c.Keys, KeyOf(k.ids[c.Start+int64(i)]))
		}
	}
	return c, err
}

// TestStreamSampleKeyedByID: with id keys a row's samples follow its id,
// wherever the row is in the file.
func TestStreamSampleKeyedByID(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "v1-gmm.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := streamInput(10)
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	so := SampleOptions{N: 2, Seed: 3}
	fwd := collectSamples(t, m, keyedChunks{MatrixChunks(x, datasets.Matrix{}, 0), ids}, so, StreamOptions{})
	// The same rows in reverse order, ids travelling with them.
	rx := datasets.NewMatrix(10, 2)
	rids := make([]string, 10)
	for i := range 10 {
		copy(rx.Row(i), x.Row(9-i))
		rids[i] = ids[9-i]
	}
	rev := collectSamples(t, m, keyedChunks{MatrixChunks(rx, datasets.Matrix{}, 0), rids}, so, StreamOptions{ChunkRows: 3})
	for i := range 10 {
		a, b := fwd[i*4:(i+1)*4], rev[(9-i)*4:(10-i)*4]
		if !slices.Equal(a, b) {
			t.Fatalf("row %q: %v in order, %v reversed", ids[i], a, b)
		}
	}
}

// TestStreamLogProbMatchesRowByRow: the streamed scores equal each row's
// log-density computed alone, whatever the chunking.
func TestStreamLogProbMatchesRowByRow(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "v1-gmm.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, y := streamInput(50)
	var got []float64
	err = m.StreamLogProb(context.Background(), MatrixChunks(x, y, 0), LogProbOptions{}, StreamOptions{Threads: 2, ChunkRows: 9}, func(c Chunk, s Scores) error {
		if s.StdErr != nil {
			return fmt.Errorf("a GMM's density is exact")
		}
		got = append(got, s.LogProb...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range x.Rows {
		lp, _, _, err := m.LogProb(context.Background(), x.Slice(i, i+1), y.Slice(i, i+1), LogProbOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got[i] != lp[0] || math.IsNaN(got[i]) {
			t.Fatalf("row %d: streamed %v, alone %v", i, got[i], lp[0])
		}
	}
}

// TestStreamPredictMatchesWhole: streamed predictions in small chunks equal
// the in-memory ones.
func TestStreamPredictMatchesWhole(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "v1-gmm.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := streamInput(30)
	whole, err := m.Predict(context.Background(), x, PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !whole.Exact || whole.Mean.Rows != 30 || len(whole.Quantiles) != 3 {
		t.Fatalf("prediction: exact %v, %d rows, %d levels", whole.Exact, whole.Mean.Rows, len(whole.Quantiles))
	}
	var means, med []float64
	err = m.StreamPredict(context.Background(), MatrixChunks(x, datasets.Matrix{}, 0), PredictOptions{}, StreamOptions{ChunkRows: 4, Threads: 2}, func(_ Chunk, p *Prediction) error {
		means = append(means, p.Mean.Data...)
		med = append(med, p.Quantiles[1].Data...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(means, whole.Mean.Data) || !slices.Equal(med, whole.Quantiles[1].Data) {
		t.Fatal("streamed predictions differ from the whole run")
	}
}

// TestStreamStopsOnReadError: an error of the reader reaches the caller and
// nothing after it is emitted.
func TestStreamStopsOnReadError(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "v1-gmm.json"))
	if err != nil {
		t.Fatal(err)
	}
	x, _ := streamInput(20)
	src := &failingChunks{ChunkReader: MatrixChunks(x, datasets.Matrix{}, 0), after: 2}
	emitted := 0
	err = m.StreamSample(context.Background(), src, SampleOptions{N: 1}, StreamOptions{ChunkRows: 5, Threads: 1}, func(c Chunk, _ datasets.Matrix) error {
		emitted += c.X.Rows
		return nil
	})
	if err == nil || emitted > 10 {
		t.Fatalf("error %v after %d rows emitted", err, emitted)
	}
}

type failingChunks struct {
	ChunkReader
	after, n int
}

func (f *failingChunks) ReadChunk(maxRows int) (Chunk, error) {
	if f.n == f.after {
		return Chunk{}, fmt.Errorf("line 12: bad cell")
	}
	f.n++
	return f.ChunkReader.ReadChunk(maxRows)
}
