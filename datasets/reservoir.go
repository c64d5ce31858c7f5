package datasets

import (
	"fmt"
	"math/rand/v2"
)

// StreamCounts are the numbers of rows of each stream in a file.
type StreamCounts struct {
	Pairs, Sources, Targets int64
}

// SampleStreamsFile reads the three streams of a CSV or Parquet file (the
// rules of ReadStreamsFile) keeping, of each stream, a uniform random
// sample of at most maxRows rows, so that memory is bounded by 3·maxRows
// rows whatever the file's length. The sample is drawn by reservoir
// sampling in one pass (each of the n rows of a stream is kept with
// probability maxRows/n, every subset of that size equally likely), from
// the stream (seed, stream) of math/rand/v2's PCG, so it depends only on
// the file and the seed. Every row is still parsed and checked, so an
// error anywhere in the file is reported as by ReadStreamsFile. A stream
// with at most maxRows rows is kept whole, in file order; a sampled
// stream's rows are in no particular order. counts are the rows of each
// stream in the whole file.
func SampleStreamsFile(path string, opt CSVOptions, maxRows int, seed uint64) (s *Streams, counts StreamCounts, err error) {
	if maxRows < 1 {
		return nil, counts, fmt.Errorf("sample %s: a sample of %d rows per stream; need at least 1", path, maxRows)
	}
	switch FormatOf(path) {
	case FormatNPY, FormatNPZ:
		return nil, counts, &FormatError{File: path, Reason: "a NumPy file is read whole; sampling while reading needs CSV or Parquet"}
	}
	res := &reservoir{max: maxRows, seed: seed}
	opt.sample = res
	if s, err = ReadStreamsFile(path, opt); err != nil {
		return nil, counts, err
	}
	return s, StreamCounts{Pairs: res.seen[kindPair], Sources: res.seen[kindSource], Targets: res.seen[kindTarget]}, nil
}

// reservoir chooses which rows of each stream a table keeps (Vitter's
// algorithm R, one random draw per row beyond the first max).
type reservoir struct {
	max              int
	seed             uint64
	seen             [3]int64
	rng              [3]*rand.Rand
	scratchX, scratY []float64
}

// dest returns where the values of the next row of the given kind go: new
// rows of the table's matrices, or, with a full reservoir, the rows of a
// kept row it replaces, or scratch space for a row that is only checked.
// A nil slice is a side the row does not have.
func (t *table) dest(res *reservoir, kind rowKind) (x, y []float64) {
	var mx, my *Matrix
	switch kind {
	case kindPair:
		mx, my = &t.pairX, &t.pairY
	case kindSource:
		mx = &t.srcX
	case kindTarget:
		my = &t.tgtY
	}
	rows := 0
	if mx != nil {
		rows = mx.Rows
	} else {
		rows = my.Rows
	}
	if res == nil || rows < res.max {
		if res != nil {
			res.seen[kind]++
		}
		if mx != nil {
			x = mx.AppendRow()
		}
		if my != nil {
			y = my.AppendRow()
		}
		return x, y
	}
	res.seen[kind]++
	if res.rng[kind] == nil {
		res.rng[kind] = rand.New(rand.NewPCG(res.seed, uint64(kind)))
	}
	if j := res.rng[kind].Int64N(res.seen[kind]); j < int64(res.max) {
		if mx != nil {
			x = mx.Row(int(j))
		}
		if my != nil {
			y = my.Row(int(j))
		}
		return x, y
	}
	if mx != nil {
		res.scratchX = growFloats(res.scratchX, mx.Cols)
		x = res.scratchX
	}
	if my != nil {
		res.scratY = growFloats(res.scratY, my.Cols)
		y = res.scratY
	}
	return x, y
}

func growFloats(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
