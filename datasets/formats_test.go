package datasets

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The fixtures under testdata/formats were written by numpy
// (make_numpy.py) and by the Rust parquet crate (make_parquet.mjs), each
// with a CSV of the same values; these tests read both and compare them
// bit for bit, so they need neither Python nor Node.

func fixture(name string) string { return filepath.Join("testdata", "formats", name) }

// identicalMatrix fails unless a and b have the same shape and bit-identical
// values.
func identicalMatrix(t *testing.T, what string, got, want Matrix) {
	t.Helper()
	if got.Rows != want.Rows || got.Cols != want.Cols {
		t.Fatalf("%s: %d×%d, want %d×%d", what, got.Rows, got.Cols, want.Rows, want.Cols)
	}
	for k := range want.Data {
		if math.Float64bits(got.Data[k]) != math.Float64bits(want.Data[k]) {
			t.Fatalf("%s: row %d column %d is %v, want %v", what, k/want.Cols+1, k%want.Cols+1, got.Data[k], want.Data[k])
		}
	}
}

func identicalStreams(t *testing.T, what string, got, want *Streams) {
	t.Helper()
	if !slices.Equal(got.XNames, want.XNames) || !slices.Equal(got.YNames, want.YNames) {
		t.Fatalf("%s: columns %v → %v, want %v → %v", what, got.XNames, got.YNames, want.XNames, want.YNames)
	}
	identicalMatrix(t, what+" paired x", got.PairX, want.PairX)
	identicalMatrix(t, what+" paired y", got.PairY, want.PairY)
	identicalMatrix(t, what+" sources", got.SourceX, want.SourceX)
	identicalMatrix(t, what+" targets", got.TargetY, want.TargetY)
	if err := got.Validate(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantFormatError fails unless err is a *FormatError whose message holds
// every fragment and whose row and column are the given ones (−1: any).
func wantFormatError(t *testing.T, err error, row, col int, fragments ...string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
		t.Fatalf("error %v (%T), want a *FormatError", err, err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Fatalf("error %q does not say %q", err, f)
		}
	}
	if row >= 0 && fe.Row != row {
		t.Fatalf("error %q: row %d, want %d", err, fe.Row, row)
	}
	if col >= 0 && fe.Column != col {
		t.Fatalf("error %q: column %d, want %d", err, fe.Column, col)
	}
}

func TestNumpyMatricesMatchTheirCSV(t *testing.T) {
	for _, c := range []struct{ npy, csv string }{
		{"matrix_f8.npy", "matrix_f8.csv"},
		{"matrix_fortran.npy", "matrix_f8.csv"},
		{"matrix_f4_be.npy", "matrix_f4_be.csv"},
		{"matrix_i8.npy", "matrix_i8.csv"},
		{"matrix_u2.npy", "matrix_u2.csv"},
		{"vector.npy", "vector.csv"},
	} {
		want, wantNames, err := ReadMatrixFile(fixture(c.csv), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, names, err := ReadMatrixFile(fixture(c.npy), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.npy, err)
		}
		identicalMatrix(t, c.npy, got, want)
		if !slices.Equal(names, wantNames) {
			t.Fatalf("%s: names %v, want %v", c.npy, names, wantNames)
		}
		if c.npy == "matrix_fortran.npy" {
			continue // OpenRows refuses Fortran order, tested below
		}
		r, err := OpenRows(fixture(c.npy), nil, "")
		if err != nil {
			t.Fatal(err)
		}
		identicalMatrix(t, c.npy+" in chunks of 2", readAllRows(t, r, 2, nil), want)
	}
	if _, err := OpenRows(fixture("matrix_fortran.npy"), nil, ""); err == nil || !strings.Contains(err.Error(), "Fortran") {
		t.Fatalf("chunked read of a Fortran-ordered array: %v, want a refusal", err)
	}
	// Names for a .npy file are given, all of them, in order.
	if _, names, err := ReadMatrixFile(fixture("matrix_f8.npy"), []string{"a", "b", "c"}); err != nil || !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Fatalf("named columns: %v, %v", names, err)
	}
	for _, cols := range [][]string{{"a", "b"}, {"a", "b", "c*"}} {
		if _, _, err := ReadMatrixFile(fixture("matrix_f8.npy"), cols); !errors.Is(err, ErrFormat) {
			t.Fatalf("columns %v of a .npy file: %v, want a format error", cols, err)
		}
	}
}

func TestNumpyStreamsMatchTheirCSV(t *testing.T) {
	opt := CSVOptions{XCols: []string{"x*"}, YCols: []string{"y*"}}
	want, err := ReadStreamsFile(fixture("streams.csv"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if want.PairX.Rows != 6 || want.SourceX.Rows != 4 || want.TargetY.Rows != 3 {
		t.Fatalf("the CSV twin has %d pairs, %d sources, %d targets; make_numpy.py writes 6, 4, 3", want.PairX.Rows, want.SourceX.Rows, want.TargetY.Rows)
	}
	got, err := ReadStreamsFile(fixture("streams.npz"), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	identicalStreams(t, "streams.npz", got, want)

	named, err := ReadStreamsFile(fixture("streams_named.npz"), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	renamed := *want
	renamed.XNames, renamed.YNames = []string{"height", "weight"}, []string{"price"}
	identicalStreams(t, "streams_named.npz (compressed, with names)", named, &renamed)

	// Column selection picks and orders by name among each side.
	sel, err := ReadStreamsFile(fixture("streams_named.npz"), CSVOptions{XCols: []string{"weight"}})
	if err != nil {
		t.Fatal(err)
	}
	identicalMatrix(t, "selected weight", sel.SourceX, pickColumns(want.SourceX, []int{1}))

	unpaired, err := ReadStreamsFile(fixture("unpaired.npz"), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if unpaired.PairX.Rows != 0 || unpaired.PairX.Cols != 2 || unpaired.PairY.Cols != 1 {
		t.Fatalf("unpaired.npz: pairs %d×%d and ?×%d, want 0×2 and 0×1", unpaired.PairX.Rows, unpaired.PairX.Cols, unpaired.PairY.Cols)
	}
	identicalMatrix(t, "unpaired sources", unpaired.SourceX, want.SourceX)
	if _, err := ReadStreamsFile(fixture("unpaired.npz"), CSVOptions{RequirePairs: true}); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "no pairs") {
		t.Fatalf("fitting data without pairs: %v", err)
	}
}

func TestNumpyErrorsNameTheProblem(t *testing.T) {
	for _, c := range []struct {
		file     string
		row, col int
		says     []string
	}{
		{"bad_nan.npy", 3, 2, []string{"bad_nan.npy row 3 column 2", "NaN"}},
		{"bad_strings.npy", 0, 0, []string{"<U3", "strings"}},
		{"bad_complex.npy", 0, 0, []string{"<c16", "float64"}},
		{"bad_structured.npy", 0, 0, []string{"structured dtype"}},
		{"bad_3d.npy", 0, 0, []string{"(2, 2, 2)", "matrix"}},
		{"bad_truncated.npy", 0, 0, []string{"truncated", "of the 21 values"}},
		{"bad_missing_pairs_y.npz", 0, 0, []string{`missing array "pairs_y"`}},
		{"bad_ragged.npz", 0, 0, []string{"6 rows in pairs_x but 5 in pairs_y"}},
		{"bad_unknown_array.npz", 0, 0, []string{`unexpected array "source"`}},
		{"bad_nan.npz", 2, 1, []string{"bad_nan.npz[targets] row 2 column 1", "+Inf"}},
		{"bad_member_truncated.npz", 0, 0, []string{"bad_member_truncated.npz[pairs_x]"}},
		{"matrix_f8.npy", 0, 0, []string{"one matrix"}}, // streams from a .npy file
	} {
		var err error
		if strings.HasSuffix(c.file, ".npz") || c.file == "matrix_f8.npy" {
			_, err = ReadStreamsFile(fixture(c.file), CSVOptions{})
		} else {
			_, _, err = ReadMatrixFile(fixture(c.file), nil)
		}
		wantFormatError(t, err, c.row, c.col, c.says...)
	}
}

func TestParquetStreamsMatchTheirCSV(t *testing.T) {
	opt := CSVOptions{XCols: []string{"x1", "x2"}, YCols: []string{"y1", "y2"}}
	want, err := ReadStreamsFile(fixture("streams_parquet.csv"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if want.PairX.Rows != 18 || want.SourceX.Rows != 6 || want.TargetY.Rows != 6 {
		t.Fatalf("the CSV twin has %d pairs, %d sources, %d targets; make_parquet.mjs writes 18, 6, 6", want.PairX.Rows, want.SourceX.Rows, want.TargetY.Rows)
	}
	for _, f := range []string{"streams_snappy_v1.parquet", "streams_zstd_v2.parquet", "streams_gzip_v1.parquet", "streams_lz4raw_v2.parquet", "streams_plain.parquet"} {
		got, err := ReadStreamsFile(fixture(f), opt)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		identicalStreams(t, f, got, want)
		// One pattern alone: the other side is every remaining column,
		// and the text columns are then selected too and refused.
		_, err = ReadStreamsFile(fixture(f), CSVOptions{XCols: []string{"x*"}})
		wantFormatError(t, err, 0, 1, "(id)", "not numeric")
	}
	// The same rows, as separate files of two formats.
	dir := t.TempDir()
	paired, sources := filepath.Join(dir, "paired.parquet"), filepath.Join(dir, "sources.csv")
	if err := WriteStreamsFile(paired, &Streams{XNames: want.XNames, YNames: want.YNames, PairX: want.PairX, PairY: want.PairY,
		SourceX: NewMatrix(0, 2), TargetY: NewMatrix(0, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := WriteTableFile(sources, want.XNames, want.SourceX); err != nil {
		t.Fatal(err)
	}
	_, err = ReadSeparateFiles(paired, sources, fixture("streams_parquet.csv"), opt)
	wantFormatError(t, err, -1, 5, "streams_parquet.csv line 4 column 5 (y1)", "empty cell")
	sep, err := ReadSeparateFiles(paired, sources, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	identicalMatrix(t, "separate paired x", sep.PairX, want.PairX)
	identicalMatrix(t, "separate sources", sep.SourceX, want.SourceX)
	if sep.TargetY.Rows != 0 || sep.TargetY.Cols != 2 {
		t.Fatalf("no targets file: targets %d×%d, want 0×2", sep.TargetY.Rows, sep.TargetY.Cols)
	}
}

func TestParquetTablesMatchTheirCSV(t *testing.T) {
	want, names, ids, err := ReadMatrixLabelsFile(fixture("table.csv"), []string{"a", "b", "c", "d"}, "id")
	if err != nil {
		t.Fatal(err)
	}
	got, gotNames, gotIDs, err := ReadMatrixLabelsFile(fixture("table.parquet"), []string{"a", "b", "c", "d"}, "id")
	if err != nil {
		t.Fatal(err)
	}
	identicalMatrix(t, "table.parquet", got, want)
	if !slices.Equal(names, gotNames) || !slices.Equal(ids, gotIDs) {
		t.Fatalf("names %v ids %v, want %v %v", gotNames, gotIDs, names, ids)
	}
	for _, n := range []int{1, 3, 13, 14, 1000} {
		for _, f := range []string{"table.parquet", "table.csv"} {
			r, err := OpenRows(fixture(f), []string{"d", "a"}, "id")
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []string
			identicalMatrix(t, f+" in chunks", readAllRows(t, r, n, &gotIDs), pickColumns(want, []int{3, 0}))
			if !slices.Equal(gotIDs, ids) {
				t.Fatalf("%s in chunks of %d: ids %v, want %v", f, n, gotIDs, ids)
			}
		}
	}
}

// readAllRows reads r to the end in chunks of n rows, checking that the
// chunks are consecutive and no longer than n, and closes it.
func readAllRows(t *testing.T, r *RowReader, n int, ids *[]string) Matrix {
	t.Helper()
	defer r.Close()
	all := NewMatrix(0, len(r.Names()))
	for {
		c, err := r.Next(n)
		if err == io.EOF {
			if c.Len() != 0 || c.Start != int64(all.Rows) {
				t.Fatalf("end of the file: a chunk of %d rows from %d after %d rows", c.Len(), c.Start, all.Rows)
			}
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		if c.Start != int64(all.Rows) || c.Len() < 1 || c.Len() > n {
			t.Fatalf("chunk of %d rows from %d after %d rows, asked for %d", c.Len(), c.Start, all.Rows, n)
		}
		if c.Lines != nil && len(c.Lines) != c.Len() {
			t.Fatalf("%d lines for %d rows", len(c.Lines), c.Len())
		}
		if ids != nil {
			*ids = append(*ids, c.IDs...)
		}
		all.Data = append(all.Data, c.X.Data...)
		all.Rows += c.Len()
	}
}

func TestParquetLabelsMatchTheirCSV(t *testing.T) {
	want, err := ReadLabelledFile(fixture("labelled.csv"), nil, "class")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadLabelledFile(fixture("labelled.parquet"), nil, "class")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Classes, []string{"cat", "dog", "owl"}) || !slices.Equal(got.Classes, want.Classes) {
		t.Fatalf("classes %v, want %v", got.Classes, want.Classes)
	}
	identicalMatrix(t, "labelled x", got.X, want.X)
	identicalMatrix(t, "unlabelled x", got.Unlabeled, want.Unlabeled)
	if !slices.Equal(got.Y, want.Y) || !slices.Equal(got.Extra, want.Extra) || len(got.Extra) == 0 || got.Unlabeled.Rows == 0 {
		t.Fatalf("labels %v extra %v, want %v %v (both kinds present)", got.Y, got.Extra, want.Y, want.Extra)
	}
}

func TestParquetErrorsNameTheProblem(t *testing.T) {
	for _, c := range []struct {
		file     string
		cols     []string
		row, col int
		says     []string
	}{
		{"bad_timestamp.parquet", nil, 0, 2, []string{"column 2 (when)", "TIMESTAMP", "not numeric"}},
		{"bad_list.parquet", nil, 0, 2, []string{"xs.list.item", "repeated"}},
		{"bad_string.parquet", nil, 0, 2, []string{"column 2 (x2)", "BYTE_ARRAY", "not numeric"}},
		{"bad_nan.parquet", nil, 5, 2, []string{"row 5 column 2 (x2)", "NaN"}},
		{"bad_truncated.parquet", nil, 0, 0, []string{"not a readable Parquet file"}},
		{"streams_plain.parquet", []string{"x1"}, 5, 2, []string{"row 5 column 2 (x1)", "null"}},
		{"streams_plain.parquet", []string{"z"}, 0, 0, []string{`unknown column "z"`, `"x1"`}},
	} {
		_, _, err := ReadMatrixFile(fixture(c.file), c.cols)
		wantFormatError(t, err, c.row, c.col, c.says...)
		// The chunked reader says the same.
		r, err := OpenRows(fixture(c.file), c.cols, "")
		if err == nil {
			_, err = r.Next(1 << 10)
			r.Close()
		}
		wantFormatError(t, err, c.row, c.col, c.says...)
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{
		"a.csv": FormatCSV, "a.CSV": FormatCSV, "-": FormatCSV, "a.txt": FormatCSV, "a": FormatCSV,
		"dir.parquet/a.csv": FormatCSV, "a.Parquet": FormatParquet, "x/y.npy": FormatNPY, "z.NPZ": FormatNPZ,
	} {
		if got := FormatOf(path); got != want {
			t.Errorf("FormatOf(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestBinaryFormatsNeedRegularFiles(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	path := filepath.Join(t.TempDir(), "pipe.parquet")
	if err := os.Symlink("/dev/fd/"+strconv.Itoa(int(r.Fd())), path); err != nil {
		t.Skip(err)
	}
	if _, _, err := ReadMatrixFile(path, nil); err == nil || !strings.Contains(err.Error(), "regular file") {
		t.Fatalf("Parquet from a pipe: %v, want a clear refusal", err)
	}
}
