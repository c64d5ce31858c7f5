package datasets

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"
	gonum "gonum.org/v1/gonum/mat"
)

// awkwardMatrix is random data with the values that trip writers up:
// tiny, huge, negative zero, integers beyond 2^53 and the float64 limits.
func awkwardMatrix(rng *rand.Rand, rows, cols int) Matrix {
	m := NewMatrix(rows, cols)
	special := []float64{0, math.Copysign(0, -1), 1e-310, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1 << 60, 0.1, 1.0 / 3}
	for k := range m.Data {
		if k%7 == 3 {
			m.Data[k] = special[k%len(special)]
		} else {
			m.Data[k] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
		}
	}
	return m
}

func TestStreamsRoundTripEveryFormat(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	s := &Streams{XNames: []string{"a", "b"}, YNames: []string{"c", "d", "e"},
		PairX: awkwardMatrix(rng, 9, 2), PairY: awkwardMatrix(rng, 9, 3),
		SourceX: awkwardMatrix(rng, 5, 2), TargetY: awkwardMatrix(rng, 4, 3)}
	noTargets := *s
	noTargets.TargetY = NewMatrix(0, 3)
	for _, ext := range []string{".csv", ".parquet", ".npz"} {
		for name, in := range map[string]*Streams{"all": s, "no targets": &noTargets} {
			path := filepath.Join(t.TempDir(), "data"+ext)
			if err := WriteStreamsFile(path, in); err != nil {
				t.Fatalf("%s %s: %v", ext, name, err)
			}
			got, err := ReadStreamsFile(path, CSVOptions{XCols: []string{"a", "b"}, YCols: []string{"c", "d", "e"}})
			if err != nil {
				t.Fatalf("%s %s: %v", ext, name, err)
			}
			identicalStreams(t, ext+" "+name, got, in)
		}
	}
	if err := WriteStreamsFile(filepath.Join(t.TempDir(), "x.npy"), s); err == nil {
		t.Fatal("streams written to a .npy file")
	}
}

func TestTablesRoundTripInChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2))
	m := awkwardMatrix(rng, 1000, 3)
	names := []string{"z", "a", "m"} // not sorted: the order must survive
	for _, ext := range []string{".csv", ".parquet", ".npy"} {
		path := filepath.Join(t.TempDir(), "out"+ext)
		w, err := CreateTable(path, names)
		if err != nil {
			t.Fatal(err)
		}
		for lo := 0; lo < m.Rows; {
			hi := min(m.Rows, lo+rng.IntN(300))
			if err := w.Write(m.Slice(lo, hi)); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s is visible before Commit (%v)", path, err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if w.Rows() != int64(m.Rows) {
			t.Fatalf("%d rows counted, want %d", w.Rows(), m.Rows)
		}
		var cols []string
		if ext == ".npy" {
			cols = names // a .npy file keeps no names
		}
		got, gotNames, err := ReadMatrixFile(path, cols)
		if err != nil {
			t.Fatal(err)
		}
		identicalMatrix(t, ext, got, m)
		if !slices.Equal(gotNames, names) {
			t.Fatalf("%s: names %v, want %v", ext, gotNames, names)
		}
		r, err := OpenRows(path, cols, "")
		if err != nil {
			t.Fatal(err)
		}
		identicalMatrix(t, ext+" in chunks", readAllRows(t, r, 77, nil), m)
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Fatalf("%s: temporary files left: %v", ext, entries)
		}
	}
}

func TestTableWriterIsAtomic(t *testing.T) {
	for _, ext := range []string{".csv", ".parquet", ".npy"} {
		dir := t.TempDir()
		path := filepath.Join(dir, "out"+ext)
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := CreateTable(path, []string{"a", "b"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(Matrix{Rows: 2, Cols: 2, Data: []float64{1, 2, 3, math.NaN()}}); err == nil || !strings.Contains(err.Error(), "row 2 column 2 is NaN") {
			t.Fatalf("%s: writing NaN: %v", ext, err)
		}
		if err := w.Write(Matrix{Rows: 1, Cols: 3, Data: []float64{1, 2, 3}}); err == nil {
			t.Fatalf("%s: a row of 3 columns accepted for 2", ext)
		}
		if err := w.Write(Matrix{Rows: 1, Cols: 2, Data: []float64{1, 2}}); err != nil {
			t.Fatalf("%s: a good chunk after refused ones: %v", ext, err)
		}
		w.Abort()
		w.Abort() // twice is harmless
		if err := w.Commit(); err == nil {
			t.Fatalf("%s: Commit after Abort succeeded", ext)
		}
		if got, _ := os.ReadFile(path); string(got) != "old" {
			t.Fatalf("%s: the destination changed to %q", ext, got)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("%s: temporary files left: %v", ext, entries)
		}
	}
	if _, err := CreateTable(filepath.Join(t.TempDir(), "no", "dir.csv"), []string{"a"}); err == nil {
		t.Fatal("a table created in a missing directory")
	}
	if _, err := CreateTable(filepath.Join(t.TempDir(), "t.parquet"), []string{"a", "a"}); err == nil {
		t.Fatal("a Parquet table with duplicate column names")
	}
}

// withStdio runs fn with standard input read from in and returns what it
// wrote to standard output.
func withStdio(t *testing.T, in string, fn func()) string {
	t.Helper()
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.WriteFile(inPath, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	inF, err := os.Open(inPath)
	if err != nil {
		t.Fatal(err)
	}
	outF, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	oldIn, oldOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = inF, outF
	defer func() { os.Stdin, os.Stdout = oldIn, oldOut; inF.Close(); outF.Close() }()
	fn()
	got, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(got)
}

func TestDashIsCSVOnStdio(t *testing.T) {
	var s *Streams
	var err error
	out := withStdio(t, "x,y\n1,2\n3,\n,4\n", func() {
		if s, err = ReadStreamsFile("-", CSVOptions{XCols: []string{"x"}}); err != nil {
			return
		}
		err = WriteStreamsFile("-", s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.PairX.Rows != 1 || s.SourceX.Rows != 1 || s.TargetY.Rows != 1 || out != "x,y\n1,2\n3,\n,4\n" {
		t.Fatalf("streams through stdio: %d/%d/%d rows, wrote %q", s.PairX.Rows, s.SourceX.Rows, s.TargetY.Rows, out)
	}
	out = withStdio(t, "id,a\nr1,0.5\n\nr2,-1\n", func() {
		var r *RowReader
		if r, err = OpenRows("-", []string{"a"}, "id"); err != nil {
			return
		}
		var c RowChunk
		if c, err = r.Next(10); err != nil {
			return
		}
		if !slices.Equal(c.IDs, []string{"r1", "r2"}) || !slices.Equal(c.Lines, []int{2, 4}) {
			t.Errorf("rows from stdin: ids %v lines %v, want [r1 r2] [2 4]", c.IDs, c.Lines)
		}
		var w *TableWriter
		if w, err = CreateTable("-", []string{"twice"}); err != nil {
			return
		}
		for i := range c.X.Data {
			c.X.Data[i] *= 2
		}
		if err = w.Write(c.X); err == nil {
			err = w.Commit()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != "twice\n1\n-2\n" {
		t.Fatalf("table on stdout: %q", out)
	}
	if entries, _ := os.ReadDir("."); slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == "-" }) {
		t.Fatal(`a file named "-" was created`)
	}
}

// TestNPYAgreesWithNpyio checks the .npy codec against an independent Go
// implementation in both directions.
func TestNPYAgreesWithNpyio(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	m := awkwardMatrix(rng, 13, 4)
	var buf bytes.Buffer
	if err := WriteNPY(&buf, m); err != nil {
		t.Fatal(err)
	}
	var dense gonum.Dense
	if err := npy.Read(bytes.NewReader(buf.Bytes()), &dense); err != nil {
		t.Fatalf("npyio cannot read WriteNPY's output: %v", err)
	}
	if r, c := dense.Dims(); r != m.Rows || c != m.Cols {
		t.Fatalf("npyio read %d×%d, want %d×%d", r, c, m.Rows, m.Cols)
	}
	for i := range m.Rows {
		for j := range m.Cols {
			if math.Float64bits(dense.At(i, j)) != math.Float64bits(m.Row(i)[j]) {
				t.Fatalf("npyio read [%d,%d] = %v, want %v", i, j, dense.At(i, j), m.Row(i)[j])
			}
		}
	}
	buf.Reset()
	if err := npy.Write(&buf, gonum.NewDense(m.Rows, m.Cols, m.Data)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPY(&buf, "npyio")
	if err != nil {
		t.Fatalf("ReadNPY of npyio's output: %v", err)
	}
	identicalMatrix(t, "npyio → ReadNPY", got, m)
}

func TestNPYStreamedHeaderIsRewritten(t *testing.T) {
	// The header is reserved at a fixed size and its shape written last:
	// its dict must still parse, and end on a 64-byte boundary as numpy
	// writes it, for any row count.
	for _, rows := range []int{0, 1, 123456789, 1 << 40} {
		h := npyHeader(rows, 7)
		if len(h) != npyHeaderSize || len(h)%64 != 0 || h[len(h)-1] != '\n' {
			t.Fatalf("header for %d rows: %d bytes ending %q", rows, len(h), h[len(h)-1])
		}
		a, err := readNPYHeader(bytes.NewReader(h), "h")
		if err != nil || a.shape[0] != rows || a.shape[1] != 7 {
			t.Fatalf("header for %d rows reads back as %v, %v", rows, a, err)
		}
	}
	if _, err := readNPYHeader(bytes.NewReader(npyHeader(math.MaxInt64, 7)), "huge.npy"); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("a shape of 2^63 × 7: %v, want a refusal", err)
	}
	// A reader needs the rows that a header announces.
	var buf bytes.Buffer
	buf.Write(npyHeader(3, 2))
	buf.Write(appendNPYValues(nil, []float64{1, 2, 3, 4, 5}))
	_, err := ReadNPY(&buf, "short.npy")
	wantFormatError(t, err, 0, 0, "short.npy", "truncated", "after 5 of the 6 values")
}

func TestRowReaderErrorsAreSticky(t *testing.T) {
	r, err := NewCSVRows(strings.NewReader("a,b\n1,2\n3,x\n5,6\n"), "in.csv", []string{"b"}, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Next(1)
	if err != nil || c.X.Data[0] != 2 || c.Lines[0] != 2 {
		t.Fatalf("first row: %v %v", c, err)
	}
	_, err = r.Next(5)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Line != 3 || fe.Column != 2 || !strings.Contains(err.Error(), `not a number: "x"`) {
		t.Fatalf("bad cell: %v", err)
	}
	if _, again := r.Next(5); again != err {
		t.Fatalf("after an error: %v, want the same error", again)
	}
	if _, err := r.Next(0); err == nil {
		t.Fatal("a chunk of 0 rows was accepted")
	}
	if _, err := NewCSVRows(strings.NewReader("a,b\n"), "in.csv", nil, "id"); err == nil || !strings.Contains(err.Error(), `unknown id column "id"`) {
		t.Fatalf("missing id column: %v", err)
	}
	empty, err := NewCSVRows(strings.NewReader("a\n"), "in.csv", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := empty.Next(3); err != io.EOF || c.Len() != 0 {
		t.Fatalf("a file with a header only: %d rows, %v", c.Len(), err)
	}
}
