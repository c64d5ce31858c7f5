package datasets

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// streamsFile writes a three-stream CSV whose rows are numbered: pair i
// is (i, 1000+i), source i is (2000+i, ·), target i is (·, 3000+i).
func streamsFile(t *testing.T, pairs, sources, targets int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := range pairs {
		fmt.Fprintf(&b, "%d,%d\n", i, 1000+i)
	}
	for i := range sources {
		fmt.Fprintf(&b, "%d,\n", 2000+i)
	}
	for i := range targets {
		fmt.Fprintf(&b, ",%d\n", 3000+i)
	}
	return writeTemp(t, "s.csv", b.String())
}

// TestSampleStreamsKeepsBoundedUniformSamples: a stream longer than the
// bound keeps exactly that many distinct rows of its own, a shorter one is
// kept whole and in order, the counts are the file's, the same seed gives
// the same sample from CSV and from Parquet, and another seed another one.
func TestSampleStreamsKeepsBoundedUniformSamples(t *testing.T) {
	path := streamsFile(t, 30, 500, 700)
	opt := CSVOptions{XCols: []string{"x"}, YCols: []string{"y"}}
	s, n, err := SampleStreamsFile(path, opt, 100, 7)
	if err != nil {
		t.Fatal(err)
	}
	if n != (StreamCounts{Pairs: 30, Sources: 500, Targets: 700}) {
		t.Fatalf("counts %+v", n)
	}
	full, err := ReadStreamsFile(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "pairs x", s.PairX, full.PairX)
	sameMatrix(t, "pairs y", s.PairY, full.PairY)
	for _, c := range []struct {
		name   string
		m      Matrix
		lo, hi float64
	}{{"sources", s.SourceX, 2000, 2500}, {"targets", s.TargetY, 3000, 3700}} {
		if c.m.Rows != 100 {
			t.Fatalf("%s: %d rows kept, want 100", c.name, c.m.Rows)
		}
		vals := slices.Clone(c.m.Data)
		slices.Sort(vals)
		if len(slices.Compact(vals)) != 100 || vals[0] < c.lo || vals[len(vals)-1] >= c.hi {
			t.Fatalf("%s: kept %v", c.name, vals)
		}
	}
	pq := filepath.Join(t.TempDir(), "s.parquet")
	if err := WriteStreamsFile(pq, full); err != nil {
		t.Fatal(err)
	}
	p, np, err := SampleStreamsFile(pq, opt, 100, 7)
	if err != nil {
		t.Fatal(err)
	}
	if np != n {
		t.Errorf("Parquet counts %+v, CSV %+v", np, n)
	}
	sameMatrix(t, "Parquet sources", p.SourceX, s.SourceX)
	sameMatrix(t, "Parquet targets", p.TargetY, s.TargetY)
	other, _, err := SampleStreamsFile(path, opt, 100, 8)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(other.SourceX.Data, s.SourceX.Data) {
		t.Error("seeds 7 and 8 kept the same sources")
	}
	if _, _, err := SampleStreamsFile(path, opt, 0, 1); err == nil {
		t.Error("a sample of 0 rows was accepted")
	}
}

// TestSampleStreamsIsUniform: over many seeds every source row is kept
// with probability max/n, within four standard errors.
func TestSampleStreamsIsUniform(t *testing.T) {
	const n, keep, seeds = 20, 5, 2000
	path := streamsFile(t, 1, n, 1)
	opt := CSVOptions{XCols: []string{"x"}, YCols: []string{"y"}}
	var kept [n]int
	for seed := range uint64(seeds) {
		s, _, err := SampleStreamsFile(path, opt, keep, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range s.SourceX.Data {
			kept[int(v)-2000]++
		}
	}
	p := float64(keep) / n
	se := math.Sqrt(p * (1 - p) / seeds)
	for i, k := range kept {
		if f := float64(k) / seeds; math.Abs(f-p) > 4*se {
			t.Errorf("row %d kept in %.3f of the samples, want %.3f ± %.3f", i, f, p, 4*se)
		}
	}
}

// TestSampleStreamsChecksEveryRow: a bad row after the sample is full is
// still an error naming its line.
func TestSampleStreamsChecksEveryRow(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y\n1,2\n")
	for i := range 50 {
		fmt.Fprintf(&b, "%d,\n", i)
	}
	b.WriteString("oops,\n")
	path := writeTemp(t, "bad.csv", b.String())
	_, _, err := SampleStreamsFile(path, CSVOptions{XCols: []string{"x"}, YCols: []string{"y"}}, 3, 1)
	checkFormatError(t, err, path, 53, 1, "x", "not a number")
}
