package datasets

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sameMatrix(t *testing.T, what string, got, want Matrix) {
	t.Helper()
	if got.Rows != want.Rows || (got.Rows > 0 && got.Cols != want.Cols) {
		t.Fatalf("%s: shape %d×%d, want %d×%d", what, got.Rows, got.Cols, want.Rows, want.Cols)
	}
	for i := range got.Data {
		if math.Float64bits(got.Data[i]) != math.Float64bits(want.Data[i]) {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got.Data[i], want.Data[i])
		}
	}
}

func sameStreams(t *testing.T, got, want *Streams) {
	t.Helper()
	if !slices.Equal(got.XNames, want.XNames) || !slices.Equal(got.YNames, want.YNames) {
		t.Fatalf("names %v %v, want %v %v", got.XNames, got.YNames, want.XNames, want.YNames)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "paired x", got.PairX, want.PairX)
	sameMatrix(t, "paired y", got.PairY, want.PairY)
	sameMatrix(t, "sources", got.SourceX, want.SourceX)
	sameMatrix(t, "targets", got.TargetY, want.TargetY)
}

func mat(rows, cols int, v ...float64) Matrix {
	return Matrix{Rows: rows, Cols: cols, Data: append([]float64{}, v...)}
}

// Values whose shortest decimal form is long, tiny, huge or negative zero:
// the writer must reproduce every bit.
func awkwardValues(rng *rand.Rand, n int) []float64 {
	special := []float64{0.1, 1.0 / 3, -2.5e-310, 1.7976931348623157e308, math.Copysign(0, -1), 5e-324, 123456789012345678}
	v := make([]float64, n)
	for i := range v {
		if i < len(special) {
			v[i] = special[i]
		} else {
			v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
		}
	}
	return v
}

func TestStreamsCSVRoundTripIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &Streams{
		XNames:  []string{"a", "b,with comma", `q"uote`},
		YNames:  []string{"y"},
		PairX:   mat(4, 3, awkwardValues(rng, 12)...),
		PairY:   mat(4, 1, awkwardValues(rng, 4)...),
		SourceX: mat(3, 3, awkwardValues(rng, 9)...),
		TargetY: mat(5, 1, awkwardValues(rng, 5)...),
	}
	p := filepath.Join(t.TempDir(), "d.csv")
	if err := WriteStreamsCSV(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(p, CSVOptions{YCols: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	sameStreams(t, got, s)
}

func TestReadCSVAcceptsBOMCRLFQuotesAndBlankLines(t *testing.T) {
	content := "\xef\xbb\xbf" + `id,"x 1",x2,"y""1",note` + "\r\n" +
		`p1,1,2,3,"multi` + "\r\n" + `line, with comma"` + "\r\n" +
		"\r\n" +
		`s1, 4 ,"5",,` + "\r\n" +
		`t1,,,"-6e0",` + "\r\n" +
		`p2,7,8,9,"say ""hi"""` // no final line end
	p := writeTemp(t, "d.csv", content)
	s, err := ReadCSV(p, CSVOptions{XCols: []string{"x*"}, YCols: []string{`y"1`}})
	if err != nil {
		t.Fatal(err)
	}
	want := &Streams{
		XNames: []string{"x 1", "x2"}, YNames: []string{`y"1`},
		PairX: mat(2, 2, 1, 2, 7, 8), PairY: mat(2, 1, 3, 9),
		SourceX: mat(1, 2, 4, 5), TargetY: mat(1, 1, -6),
	}
	sameStreams(t, s, want)
}

func TestColumnSelection(t *testing.T) {
	p := writeTemp(t, "d.csv", "b,a,c,d\n1,2,3,4\n")
	cases := []struct {
		x, y         []string
		wantX, wantY []string
	}{
		{[]string{"a", "b"}, []string{"c"}, []string{"a", "b"}, []string{"c"}},    // pattern order, d ignored
		{[]string{"[ab]"}, nil, []string{"b", "a"}, []string{"c", "d"}},           // glob in header order, y = rest
		{nil, []string{"d", "c"}, []string{"b", "a"}, []string{"d", "c"}},         // x = rest
		{[]string{" a ", "b"}, []string{"*d"}, []string{"a", "b"}, []string{"d"}}, // spaces in the list are trimmed
		{[]string{"?"}, []string{}, []string{"b", "a", "c", "d"}, nil},            // rejected below: no y left
	}
	for i, c := range cases {
		s, err := ReadCSV(p, CSVOptions{XCols: c.x, YCols: c.y})
		if c.wantY == nil {
			if !errors.Is(err, ErrFormat) {
				t.Errorf("case %d: err %v, want ErrFormat", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !slices.Equal(s.XNames, c.wantX) || !slices.Equal(s.YNames, c.wantY) {
			t.Errorf("case %d: got %v / %v, want %v / %v", i, s.XNames, s.YNames, c.wantX, c.wantY)
		}
	}
	// An exact name wins over its reading as a glob.
	p = writeTemp(t, "g.csv", "t[C],tC,y\n1,2,3\n")
	s, err := ReadCSV(p, CSVOptions{XCols: []string{"t[C]"}, YCols: []string{"y"}})
	if err != nil || !slices.Equal(s.XNames, []string{"t[C]"}) || s.PairX.Data[0] != 1 {
		t.Fatalf("exact name with glob characters: %v, %+v", err, s)
	}
}

// TestReadErrors covers every content error: each must wrap ErrFormat, be a
// *FormatError at the right line and column, and say so in its message.
func TestReadErrors(t *testing.T) {
	xy := CSVOptions{XCols: []string{"x1", "x2"}, YCols: []string{"y1"}}
	cases := []struct {
		name    string
		content string
		opt     CSVOptions
		line    int
		col     int    // 0: no column in the message
		colName string // "" with col > 0: a column beyond the header
		reason  string
	}{
		{"non-numeric", "x1,x2,y1\n1,2,3\n1,abc,3\n", xy, 3, 2, "x2", "not a number"},
		{"NaN", "x1,x2,y1\n1,2,NaN\n", xy, 2, 3, "y1", "NaN and infinite"},
		{"Inf", "x1,x2,y1\n-inf,2,1\n", xy, 2, 1, "x1", "NaN and infinite"},
		{"out of range", "x1,x2,y1\n1,2,1e999\n", xy, 2, 3, "y1", "outside the float64 range"},
		{"short row", "x1,x2,y1\n1,2,3\n1,2\n", xy, 3, 3, "y1", "row has 2 fields but the header has 3"},
		{"long row", "x1,x2,y1\n1,2,3,4\n", xy, 2, 4, "", "row has 4 fields but the header has 3"},
		{"partly empty x", "x1,x2,y1\n1,,3\n", xy, 2, 2, "x2", "empty cell in a row with other x values"},
		{"partly empty y", "x1,x2,y1,y2\n1,2,3,\n", CSVOptions{XCols: []string{"x*"}}, 2, 4, "y2", "empty cell in a row with other y values"},
		{"x partly, y empty", "x1,x2,y1\n,2,\n", xy, 2, 1, "x1", "empty cell in a row with other x values"},
		{"empty row", "x1,x2,y1\n1,2,3\n , ,\n", xy, 3, 1, "x1", "no x or y value"},
		{"unknown column", "x1,x2,y1\n1,2,3\n", CSVOptions{XCols: []string{"x1", "z"}}, 1, 0, "", `unknown column "z"`},
		{"glob matches nothing", "x1,x2,y1\n1,2,3\n", CSVOptions{XCols: []string{"w*"}}, 1, 0, "", `unknown column "w*"`},
		{"bad glob", "x1,x2,y1\n1,2,3\n", CSVOptions{XCols: []string{"x["}}, 1, 0, "", "bad column pattern"},
		{"duplicate header", "x1,x2,x1\n1,2,3\n", xy, 1, 3, "x1", "duplicate column name (also column 1)"},
		{"selected twice", "x1,x2,y1\n1,2,3\n", CSVOptions{XCols: []string{"x*", "x2"}}, 1, 2, "x2", "selected twice"},
		{"both x and y", "x1,x2,y1\n1,2,3\n", CSVOptions{XCols: []string{"x*"}, YCols: []string{"*1"}}, 1, 1, "x1", "both x and y"},
		{"no columns named", "x1,x2,y1\n1,2,3\n", CSVOptions{}, 1, 0, "", "no x or y columns given"},
		{"bare quote", "x1,x2,y1\n1,2\"5,3\n", xy, 2, 2, "x2", "quote"},
		{"text after quote", "x1,x2,y1\n1,\"2\"5,3\n", xy, 2, 2, "x2", "text after the closing quote"},
		{"unclosed quote", "x1,x2,y1\n1,2,\"3\n4\n", xy, 2, 3, "y1", "not closed"},
		{"no data", "x1,x2,y1\n\n", xy, 0, 0, "", "no data rows"},
		{"empty file", "", xy, 0, 0, "", "no header row"},
		{"no pairs required", "x1,x2,y1\n1,2,\n", CSVOptions{XCols: []string{"x*"}, RequirePairs: true}, 0, 0, "", "no pairs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, "bad.csv", c.content)
			_, err := ReadCSV(p, c.opt)
			checkFormatError(t, err, p, c.line, c.col, c.colName, c.reason)
		})
	}
}

func checkFormatError(t *testing.T, err error, file string, line, col int, colName, reason string) {
	t.Helper()
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("err = %v, want one wrapping ErrFormat", err)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("err %v is not a *FormatError", err)
	}
	if fe.File != file || fe.Line != line || fe.Column != col || fe.Name != colName {
		t.Fatalf("error at %s:%d col %d (%q), want %s:%d col %d (%q): %v", fe.File, fe.Line, fe.Column, fe.Name, file, line, col, colName, err)
	}
	msg := err.Error()
	wantParts := []string{file, reason}
	if line > 0 {
		wantParts = append(wantParts, fmt.Sprintf("line %d", line))
	}
	if col > 0 {
		loc := fmt.Sprintf("column %d", col)
		if colName != "" {
			loc += " (" + colName + ")"
		}
		wantParts = append(wantParts, loc)
	}
	for _, part := range wantParts {
		if !strings.Contains(msg, part) {
			t.Fatalf("message %q does not contain %q", msg, part)
		}
	}
}

func TestReadSeparate(t *testing.T) {
	paired := writeTemp(t, "p.csv", "id,x1,x2,y1\n0,1,2,3\n1,4,5,6\n")
	sources := writeTemp(t, "s.csv", "x2,x1,extra\n20,10,a\n")         // other order, extra column
	targets := writeTemp(t, "t.csv", "\xef\xbb\xbfy1\r\n30\r\n40\r\n") // BOM, CRLF
	s, err := ReadSeparate(paired, sources, targets, CSVOptions{XCols: []string{"x*"}, YCols: []string{"y1"}, RequirePairs: true})
	if err != nil {
		t.Fatal(err)
	}
	sameStreams(t, s, &Streams{
		XNames: []string{"x1", "x2"}, YNames: []string{"y1"},
		PairX: mat(2, 2, 1, 2, 4, 5), PairY: mat(2, 1, 3, 6),
		SourceX: mat(1, 2, 10, 20), TargetY: mat(2, 1, 30, 40),
	})

	// Pairs only: the unpaired streams are empty but well formed.
	s, err = ReadSeparate(paired, "", "", CSVOptions{YCols: []string{"y1"}, XCols: []string{"x1", "x2"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil || s.SourceX.Rows != 0 || s.TargetY.Rows != 0 || s.SourceX.Cols != 2 {
		t.Fatalf("pairs only: %v %+v", err, s)
	}

	// No paired file: sources and targets contribute all their columns.
	s, err = ReadSeparate("", writeTemp(t, "s2.csv", "a,b\n1,2\n"), targets, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.XNames, []string{"a", "b"}) || s.PairX.Rows != 0 || s.PairX.Cols != 2 {
		t.Fatalf("unpaired only: %+v", s)
	}

	missing := writeTemp(t, "m.csv", "x1,y1\n1,2\n")
	_, err = ReadSeparate(paired, missing, "", CSVOptions{XCols: []string{"x*"}, YCols: []string{"y1"}})
	checkFormatError(t, err, missing, 1, 0, "", `no column named "x2"`)

	emptyTargets := writeTemp(t, "e.csv", "y1\n")
	_, err = ReadSeparate(paired, "", emptyTargets, CSVOptions{XCols: []string{"x*"}, YCols: []string{"y1"}})
	checkFormatError(t, err, emptyTargets, 0, 0, "", "no data rows")

	partial := writeTemp(t, "pp.csv", "x1,x2,y1\n1,2,\n")
	_, err = ReadSeparate(partial, "", "", CSVOptions{YCols: []string{"y1"}})
	checkFormatError(t, err, partial, 2, 3, "y1", "empty cell")

	for _, c := range [][3]string{{"", "", ""}, {"", sources, ""}} {
		if _, err := ReadSeparate(c[0], c[1], c[2], CSVOptions{}); err == nil {
			t.Errorf("ReadSeparate(%q) without enough files succeeded", c)
		}
	}
	if _, err := ReadSeparate("", sources, targets, CSVOptions{RequirePairs: true}); err == nil {
		t.Error("RequirePairs without a paired file succeeded")
	}
	if _, err := ReadSeparate(filepath.Join(t.TempDir(), "nope.csv"), "", "", CSVOptions{YCols: []string{"y"}}); !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrFormat) {
		t.Errorf("missing file: %v, want a not-exist error that is not ErrFormat", err)
	}
}

func TestReadMatrixCSV(t *testing.T) {
	p := writeTemp(t, "m.csv", "label,u,v\nfoo,1,2\nbar,3,4.5\n")
	m, names, err := ReadMatrixCSV(p, []string{"u", "v"})
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "table", m, mat(2, 2, 1, 2, 3, 4.5))
	if !slices.Equal(names, []string{"u", "v"}) {
		t.Fatalf("names %v", names)
	}
	_, _, err = ReadMatrixCSV(p, nil) // every column, and "label" is not numeric
	checkFormatError(t, err, p, 2, 1, "label", `not a number: "foo"`)

	q := filepath.Join(t.TempDir(), "t.csv")
	if err := WriteTableCSV(q, []string{"u", "v"}, m); err != nil {
		t.Fatal(err)
	}
	back, _, err := ReadMatrixCSV(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "round trip", back, m)
}

// TestWriteErrorsLeaveNoFile checks that refused writes create nothing and
// do not touch an existing file.
func TestWriteErrorsLeaveNoFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	bad := &Streams{XNames: []string{"x"}, YNames: []string{"y"}, PairX: mat(1, 1, math.NaN()), PairY: mat(1, 1, 0)}
	if err := WriteStreamsCSV(p, bad); err == nil {
		t.Fatal("NaN was written")
	}
	if err := WriteTableCSV(p, []string{"a", "b"}, mat(1, 1, 1)); err == nil {
		t.Fatal("header of the wrong width was written")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("failed writes left %v", entries)
	}
	if err := os.WriteFile(p, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteTableCSV(p, []string{"a"}, mat(1, 1, math.Inf(1))); err == nil {
		t.Fatal("Inf was written")
	}
	if b, _ := os.ReadFile(p); string(b) != "keep" {
		t.Fatalf("existing file became %q", b)
	}
}

// TestReadDoesNotAllocatePerRow reads files of 100 and 10 100 rows: the
// allocation count must not grow with the number of rows.
func TestReadDoesNotAllocatePerRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := DefaultGaussianEOT(3, 1)
	small, large := filepath.Join(t.TempDir(), "s.csv"), filepath.Join(t.TempDir(), "l.csv")
	if err := WriteStreamsCSV(small, g.Streams(rng, 50, 25, 25)); err != nil {
		t.Fatal(err)
	}
	if err := WriteStreamsCSV(large, g.Streams(rng, 5050, 2525, 2525)); err != nil {
		t.Fatal(err)
	}
	opt := CSVOptions{XCols: []string{"x*"}, YCols: []string{"y*"}}
	allocs := func(p string) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := ReadCSV(p, opt); err != nil {
				t.Fatal(err)
			}
		})
	}
	a, b := allocs(small), allocs(large)
	t.Logf("allocations: %v for 100 rows, %v for 10 100 rows", a, b)
	if b > a+5 {
		t.Fatalf("%v allocations for 100 rows but %v for 10 100 rows", a, b)
	}
}

// Lines longer than the 64 KiB read buffer (wide files, long quoted
// fields) take another path through the splitter.
func TestReadLinesLongerThanTheBuffer(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const dx = 5000 // ≈ 100 KB per line
	s := &Streams{
		XNames: columnNames("feature_", dx), YNames: []string{"y"},
		PairX: mat(2, dx, awkwardValues(rng, 2*dx)...), PairY: mat(2, 1, 1, 2),
		SourceX: mat(1, dx, awkwardValues(rng, dx)...), TargetY: mat(0, 1),
	}
	p := filepath.Join(t.TempDir(), "wide.csv")
	if err := WriteStreamsCSV(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(p, CSVOptions{YCols: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	sameStreams(t, got, s)

	long := strings.Repeat("ab,\"c\"\r\n", 20000)
	q := writeTemp(t, "long.csv", "note,x,y\n\""+strings.ReplaceAll(long, `"`, `""`)+"\",1,2\n3,4,5\n")
	got, err = ReadCSV(q, CSVOptions{XCols: []string{"x"}, YCols: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	sameMatrix(t, "pairs after a long quoted note", got.PairX, mat(2, 1, 1, 4))
	// The note spans lines 2 to 20002, so the bad record is on line 20003.
	bad := writeTemp(t, "longbad.csv", "note,x,y\n\""+strings.ReplaceAll(long, `"`, `""`)+"\",1,2\n3,x,5\n")
	_, err = ReadCSV(bad, CSVOptions{XCols: []string{"x"}, YCols: []string{"y"}})
	checkFormatError(t, err, bad, 20003, 2, "x", "not a number")
}

func TestLongBadCellsAreShortenedInMessages(t *testing.T) {
	p := writeTemp(t, "d.csv", "x,y\n1,"+strings.Repeat("word ", 1000)+"\n")
	_, err := ReadCSV(p, CSVOptions{XCols: []string{"x"}, YCols: []string{"y"}})
	checkFormatError(t, err, p, 2, 2, "y", `not a number: "word word`)
	if len(err.Error()) > len(p)+100 {
		t.Fatalf("message of %d bytes: %v", len(err.Error()), err)
	}
}

func TestReadColumnCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.csv")
	if err := os.WriteFile(path, []byte("x1,group,y1\r\n1, a ,2\n\n3,\"b,c\",4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadColumnCSV(path, "group")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "b,c" {
		t.Fatalf("labels %q", got)
	}
	if _, err := ReadColumnCSV(path, "nope"); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown column: %v", err)
	}
	if err := os.WriteFile(path, []byte("a,b\n1,2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadColumnCSV(path, "b"); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("ragged row: %v", err)
	}
}

// TestReadStreamsFromAPipeMatchesTheFile reads the same data from a file
// (two passes) and from a reader that cannot seek (one pass).
func TestReadStreamsFromAPipeMatchesTheFile(t *testing.T) {
	const data = "x1,x2,y1,id\n1,2,3,a\n4,5,,b\n,,6,c\n7,8,9,d\n"
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	opt := CSVOptions{XCols: []string{"x*"}, YCols: []string{"y1"}}
	fromFile, err := ReadCSV(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	fromPipe, err := ReadStreams(io.MultiReader(strings.NewReader(data)), "-", opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromFile, fromPipe) {
		t.Errorf("from a pipe %+v, from the file %+v", fromPipe, fromFile)
	}
	if fromPipe.PairX.Rows != 2 || fromPipe.SourceX.Rows != 1 || fromPipe.TargetY.Rows != 1 {
		t.Errorf("streams %d/%d/%d, want 2/1/1", fromPipe.PairX.Rows, fromPipe.SourceX.Rows, fromPipe.TargetY.Rows)
	}
	_, err = ReadStreams(io.MultiReader(strings.NewReader("x1,y1\n1,zz\n")), "-", CSVOptions{XCols: []string{"x1"}})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != "-" || fe.Line != 2 || fe.Name != "y1" {
		t.Errorf("bad cell from a pipe: %v, want -:2 column y1", err)
	}
	for _, r := range []io.Reader{strings.NewReader(data), io.MultiReader(strings.NewReader(data))} {
		m, names, labels, err := ReadMatrixLabels(r, "d", []string{"x1", "x2"}, "id")
		if err == nil && (m.Rows != 4 || len(names) != 2) {
			err = errors.New("wrong shape")
		}
		// Rows 2 and 3 have empty cells, which a plain numeric table rejects.
		if err == nil || !strings.Contains(err.Error(), "empty cell") {
			t.Errorf("numeric table with empty cells: %v", err)
		}
		_ = labels
	}
	const full = "x1,x2,id\n1,2, a \n4,5,b\n"
	for _, r := range []io.Reader{strings.NewReader(full), io.MultiReader(strings.NewReader(full))} {
		m, _, labels, err := ReadMatrixLabels(r, "d", []string{"x*"}, "id")
		if err != nil || m.Rows != 2 || !reflect.DeepEqual(labels, []string{"a", "b"}) {
			t.Errorf("labels %q, rows %d, err %v", labels, m.Rows, err)
		}
	}
}

// TestReadRefusesMisreads covers inputs that used to be read as something
// other than what the file says (1_000 as 1000, 1e-400 as 0, an unnamed
// column as data, a tab-separated file as one column) and the hints for
// files that are not comma-separated UTF-8: each is an error at the right
// line and column saying why.
func TestReadRefusesMisreads(t *testing.T) {
	xy := CSVOptions{XCols: []string{"x1", "x2"}, YCols: []string{"y1"}}
	yOnly := CSVOptions{YCols: []string{"y1"}}
	cases := []struct {
		name    string
		content string
		opt     CSVOptions
		line    int
		col     int
		colName string
		reason  string
	}{
		{"digit separator", "x1,x2,y1\n1_000,2,3\n", xy, 2, 1, "x1", `not a number: "1_000" (digit separators`},
		{"separator in exponent", "x1,x2,y1\n1,1e+0_1,3\n", xy, 2, 2, "x2", "digit separators"},
		{"hex float", "x1,x2,y1\n1,2,0x1p4\n", xy, 2, 3, "y1", "hexadecimal"},
		{"hex integer", "x1,x2,y1\n0x10,2,3\n", xy, 2, 1, "x1", "hexadecimal"},
		{"underflow", "x1,x2,y1\n1,2,1e-400\n", xy, 2, 3, "y1", `"1e-400" is too small for float64: it would be read as 0`},
		{"underflow below the subnormals", "x1,x2,y1\n-2e-324,2,3\n", xy, 2, 1, "x1", "too small"},
		{"overflow", "x1,x2,y1\n1,-1e400,3\n", xy, 2, 2, "x2", "outside the float64 range"},
		{"Infinity", "x1,x2,y1\n1,2,Infinity\n", xy, 2, 3, "y1", "NaN and infinite"},
		{"signed nan", "x1,x2,y1\n1,-nan,3\n", xy, 2, 2, "x2", "NaN and infinite"},
		{"bare exponent", "x1,x2,y1\n1e,2,3\n", xy, 2, 1, "x1", "not a number"},
		{"bare point", "x1,x2,y1\n1,.,3\n", xy, 2, 2, "x2", "not a number"},
		{"inner space", "x1,x2,y1\n1,2 5,3\n", xy, 2, 2, "x2", "not a number"},
		{"decimal comma", "x1,x2,y1\n1,\"2,5\",3\n", xy, 2, 2, "x2", "decimal comma"},
		{"tab-separated", "x1\tx2\ty1\n1\t2\t3\n", xy, 1, 1, "", "tab-separated"},
		{"semicolon-separated", "x1;x2;y1\n1,5;2;3\n", xy, 1, 1, "", "semicolon-separated"},
		{"tab-separated rows", "x1,x2,y1\n1\t2\t3\n", xy, 2, 2, "x2", "the line holds tabs"},
		{"semicolon-separated rows", "x1,x2,y1\n1;2;3\n", xy, 2, 2, "x2", "the line holds semicolons"},
		{"UTF-16", "\xff\xfex\x001\x00,\x00y\x001\x00\n", xy, 1, 1, "", "UTF-16"},
		{"NUL bytes", "x1,x\x002,y1\n1,2,3\n", xy, 1, 2, "", "NUL bytes"},
		{"CR line ends", "x1,x2,y1\r1,2,3\r", xy, 1, 3, "", "classic Mac"},
		{"unnamed column taken implicitly", "x1,,y1\n1,2,3\n", yOnly, 1, 2, "", "column has no name in the header"},
		{"trailing comma", "x1,x2,y1,\n1,2,3,\n", CSVOptions{XCols: []string{"x*"}}, 1, 4, "", "the header line ends with a comma"},
		{"pandas index", ",x1,y1\n0,1,2\n", yOnly, 1, 1, "", "row index"},
		{"trailing comma on a row", "x1,x2,y1\n1,2,3,\n", xy, 2, 4, "", "row has 4 fields but the header has 3 columns (the line ends with a comma)"},
		{"no header", "1.5,2,3\n4,5,6\n", xy, 1, 0, "", "looks like data, not a header"},
		{"duplicate after trimming", "x1, x1 ,y1\n1,2,3\n", xy, 1, 2, "x1", "duplicate column name (also column 1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeTemp(t, "bad.csv", c.content)
			_, err := ReadCSV(p, c.opt)
			checkFormatError(t, err, p, c.line, c.col, c.colName, c.reason)
			// A pipe is read in one pass, by other code: same error.
			_, err = ReadStreams(io.MultiReader(strings.NewReader(c.content)), p, c.opt)
			checkFormatError(t, err, p, c.line, c.col, c.colName, c.reason)
		})
	}
	// The plain table reader takes every column when none is listed, so an
	// unnamed one is an error there too; listed columns skip it.
	p := writeTemp(t, "m.csv", "a,,b\n1,x,2\n")
	_, _, err := ReadMatrixCSV(p, nil)
	checkFormatError(t, err, p, 1, 2, "", "column has no name")
	m, names, err := ReadMatrixCSV(p, []string{"*"})
	if err != nil || !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("the glob * took %v (%v); it must skip the unnamed column", names, err)
	}
	sameMatrix(t, "named columns", m, mat(1, 2, 1, 2))
	q := writeTemp(t, "m.csv", "a,b\n1,1_0\n")
	_, _, err = ReadMatrixCSV(q, nil)
	checkFormatError(t, err, q, 2, 2, "b", "digit separators")
}

// TestReadAcceptsEveryDecimalForm: the strict syntax still takes what
// spreadsheets, numpy and R write, subnormals included, and ignores
// unnamed columns (a pandas index, trailing commas) when the columns are
// listed.
func TestReadAcceptsEveryDecimalForm(t *testing.T) {
	cells := []struct {
		text string
		want float64
	}{
		{"+1", 1}, {"-.5", -0.5}, {"5.", 5}, {"1E+3", 1000}, {"007", 7}, {"-0", math.Copysign(0, -1)},
		{"5e-324", 5e-324}, {"-1e-320", -1e-320}, {"0e-999", 0}, {"0.000", 0}, {"1e308", 1e308},
		{"1.7976931348623157e308", math.MaxFloat64}, {"  2.5\t", 2.5}, {`"3"`, 3},
	}
	var b strings.Builder
	b.WriteString(",x,y,\n")
	for i, c := range cells {
		fmt.Fprintf(&b, "%d,%s,%d,\n", i, c.text, i)
		if i == 3 {
			b.WriteString("   \t \n") // a line of blanks is a blank line
		}
	}
	p := writeTemp(t, "ok.csv", b.String())
	s, err := ReadCSV(p, CSVOptions{XCols: []string{"x"}, YCols: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cells {
		if got := s.PairX.Data[i]; math.Float64bits(got) != math.Float64bits(c.want) {
			t.Errorf("%q read as %v, want %v", c.text, got, c.want)
		}
	}
	// Integer names are what pandas writes for unnamed columns: a header.
	q := writeTemp(t, "ints.csv", "0,1,2\n1.5,2,3\n")
	if _, names, err := ReadMatrixCSV(q, nil); err != nil || !slices.Equal(names, []string{"0", "1", "2"}) {
		t.Fatalf("integer column names: %v, %v", names, err)
	}
}

// TestHugeValuesStandardiseFinitely reads columns near 1e200, 1e300 and
// the float64 limit, whose squares overflow: the scaler, the summary and
// the transforms must still be finite and right (they were +Inf and NaN).
func TestHugeValuesStandardiseFinitely(t *testing.T) {
	const content = "x1,x2,y1\n1e200,3e300,-1.7e308\n2e200,-1e300,1.7e308\n4e200,1e300,1.7e308\n"
	p := writeTemp(t, "huge.csv", content)
	s, err := ReadCSV(p, CSVOptions{YCols: []string{"y1"}})
	if err != nil {
		t.Fatal(err)
	}
	sc := FitScaler(s)
	if err := sc.Validate(); err != nil {
		t.Fatalf("scaler of finite data is invalid: %v", err)
	}
	// Population moments of (1, 2, 4)·1e200, (3, −1, 1)·1e300 and
	// (−1, 1, 1)·1.7e308.
	wantMean := []float64{7.0 / 3 * 1e200, 1e300}
	wantStd := []float64{math.Sqrt(14.0/9) * 1e200, math.Sqrt(8.0/3) * 1e300}
	for j := range 2 {
		if math.Abs(sc.X.Mean[j]/wantMean[j]-1) > 1e-14 || math.Abs(sc.X.Std[j]/wantStd[j]-1) > 1e-14 {
			t.Errorf("x%d: mean %v std %v, want %v %v", j+1, sc.X.Mean[j], sc.X.Std[j], wantMean[j], wantStd[j])
		}
	}
	if m, sd := sc.Y.Mean[0], sc.Y.Std[0]; math.Abs(m/(1.7e308/3)-1) > 1e-14 || math.Abs(sd/(math.Sqrt(8.0/9)*1.7e308)-1) > 1e-14 {
		t.Errorf("y1: mean %v std %v", m, sd)
	}
	std := sc.Apply(s)
	for _, m := range []Matrix{std.PairX, std.PairY} {
		for _, v := range m.Data {
			if !(math.Abs(v) < 10) {
				t.Fatalf("standardised value %v", v)
			}
		}
	}
	back := sc.Y.Inverse(std.PairY)
	for i, v := range back.Data {
		if math.Abs(v/s.PairY.Data[i]-1) > 1e-14 {
			t.Errorf("y row %d maps back to %v, want %v", i, v, s.PairY.Data[i])
		}
	}
	for _, c := range Summarize(s.XNames, s.PairX) {
		if !finite(c.Std) || !finite(c.Mean) || c.Std <= 0 {
			t.Errorf("summary of %s: mean %v std %v", c.Name, c.Mean, c.Std)
		}
	}
}
