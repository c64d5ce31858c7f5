package datasets

import (
	"encoding/csv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchFile writes a 10⁵ × 20 single-file data set (pairs only, 10 x and
// 10 y columns) once per benchmark.
func benchFile(b *testing.B) (string, int64) {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.csv")
	g := DefaultGaussianEOT(10, 1)
	if err := WriteStreamsCSV(p, g.Streams(rand.New(rand.NewPCG(1, 1)), 100_000, 0, 0)); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	return p, st.Size()
}

func BenchmarkReadCSV(b *testing.B) {
	p, size := benchFile(b)
	opt := CSVOptions{XCols: []string{"x*"}, YCols: []string{"y*"}}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCSV(p, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingCSV is the baseline the hand-written splitter replaces:
// encoding/csv with a reused record and strconv.ParseFloat, one pass into
// growing slices.
func BenchmarkEncodingCSV(b *testing.B) {
	p, size := benchFile(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(f)
		r.ReuseRecord = true
		var values []float64
		if _, err := r.Read(); err != nil {
			b.Fatal(err)
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for _, cell := range rec {
				v, err := strconv.ParseFloat(cell, 64)
				if err != nil {
					b.Fatal(err)
				}
				values = append(values, v)
			}
		}
		f.Close()
	}
}

func BenchmarkWriteStreamsCSV(b *testing.B) {
	s := DefaultGaussianEOT(10, 1).Streams(rand.New(rand.NewPCG(1, 1)), 100_000, 0, 0)
	p := filepath.Join(b.TempDir(), "out.csv")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteStreamsCSV(p, s); err != nil {
			b.Fatal(err)
		}
	}
}
