package datasets

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadParquet feeds damaged Parquet files to every Parquet reader: each
// must return data or an error, never panic or hang, and what it returns
// must be finite and well-shaped. The corpus starts from the fixtures,
// written by another implementation.
//
//	go test ./datasets -run '^$' -fuzz '^FuzzReadParquet$' -fuzztime 20s
func FuzzReadParquet(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "formats", "*.parquet"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		size := int64(len(b))
		if s, err := ReadStreamsParquet(r, size, "fuzz", CSVOptions{XCols: []string{"x*"}, YCols: []string{"y*"}}); err == nil {
			if err := s.Validate(); err != nil {
				t.Fatalf("streams read without error are malformed: %v", err)
			}
			for _, m := range []Matrix{s.PairX, s.PairY, s.SourceX, s.TargetY} {
				checkFiniteMatrix(t, m)
			}
		}
		if rr, err := NewParquetRows(r, size, "fuzz", []string{"x1"}, "id"); err == nil {
			drainRows(t, rr)
		}
		if l, err := ReadLabelledParquet(r, size, "fuzz", []string{"x*"}, "class"); err == nil {
			if len(l.Y) != l.X.Rows || len(l.Classes) < 2 {
				t.Fatalf("%d labels for %d rows, %d classes", len(l.Y), l.X.Rows, len(l.Classes))
			}
		}
	})
}

func checkFiniteMatrix(t *testing.T, m Matrix) {
	t.Helper()
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, v := range m.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("a reader returned %v", v)
		}
	}
}

// drainRows reads rr to the end in small chunks, checking each.
func drainRows(t *testing.T, rr *RowReader) {
	t.Helper()
	next := int64(0)
	for {
		c, err := rr.Next(5)
		if err != nil {
			if err != io.EOF && c.Len() != 0 {
				t.Fatalf("a failed read returned %d rows", c.Len())
			}
			return
		}
		checkFiniteMatrix(t, c.X)
		if c.Start != next || c.X.Cols != len(rr.Names()) || (c.IDs != nil && len(c.IDs) != c.Len()) {
			t.Fatalf("chunk of %d×%d from %d (%d ids), want from %d with %d columns", c.Len(), c.X.Cols, c.Start, len(c.IDs), next, len(rr.Names()))
		}
		next += int64(c.Len())
	}
}
