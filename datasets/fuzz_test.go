package datasets

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// csvSeeds are hand-written files for FuzzReadCSV's corpus: the three
// streams, quoting, a BOM, CRLF, blank lines, unnamed columns and the
// shapes of the misreads the readers refuse.
var csvSeeds = []string{
	"x1,x2,y1,id\n1,2,3,a\n4,5,,b\n,,6,c\n7,8,9,d\n",
	"\xef\xbb\xbf\"x 1\",x2,\"y\"\"1\",id\r\n1,2,3,\"multi\r\nline, with comma\"\r\n\r\n 4 ,\"5\",,s\r\n,,-6e0,t",
	",x1,y1\n0,1,2\n1,3,\n",
	"x1,x2,y1,\n1,2,3,\n",
	"x1\tx2\ty1\n1\t2\t3\n",
	"x1;x2;y1\n1,5;2;3\n",
	"x1,x2,y1\n1_000,0x1p4,1e-400\n5e-324,-0,1e308\n",
	"x1,x2,y1\n1,2,3\n1,2\n1,2,3,4\n",
	"x1,y1\n\"1\n",
	"1.5,2\n3,4\n",
	"x1,x1,y1\n1,2,3\n",
	"id,x1,y1,class\na,1,2,u\nb,3,,v\nc,,4,\n",
}

// opaque hides every method but Read, so that the readers take their
// one-pass path for pipes.
type opaque struct{ r io.Reader }

func (o opaque) Read(p []byte) (int, error) { return o.r.Read(p) }

// FuzzReadCSV feeds arbitrary bytes to every CSV reader. None may panic;
// an in-memory input can only fail with a FormatError (there is no I/O to
// fail); and whatever a reader returns must be well formed: finite values,
// matrices of the declared shapes, distinct non-empty column names, at
// least one data row. The two-pass reader (a seekable input) and the
// one-pass reader (a pipe) must agree.
//
//	go test ./datasets -run '^$' -fuzz '^FuzzReadCSV$' -fuzztime 20s
func FuzzReadCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "formats", "*.csv"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	options := []CSVOptions{
		{XCols: []string{"x*"}, YCols: []string{"y*"}},
		{YCols: []string{"y1"}},
		{XCols: []string{"x1", "x2"}, RequirePairs: true},
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, opt := range options {
			seek, errSeek := ReadStreams(bytes.NewReader(b), "fuzz", opt)
			pipe, errPipe := ReadStreams(opaque{bytes.NewReader(b)}, "fuzz", opt)
			checkFormatErr(t, errSeek)
			checkFormatErr(t, errPipe)
			if (errSeek == nil) != (errPipe == nil) {
				t.Fatalf("%+v: the two-pass read says %v, the one-pass read %v", opt, errSeek, errPipe)
			}
			if errSeek != nil {
				continue
			}
			checkStreams(t, seek, opt)
			if !reflect.DeepEqual(seek, pipe) {
				t.Fatalf("%+v: the two-pass and one-pass reads differ:\n%+v\n%+v", opt, seek, pipe)
			}
		}

		m, names, labels, err := ReadMatrixLabels(bytes.NewReader(b), "fuzz", nil, "")
		checkFormatErr(t, err)
		if err == nil {
			checkTable(t, m, names)
			if labels != nil {
				t.Fatalf("labels %q without a label column", labels)
			}
		}
		m, names, labels, err = ReadMatrixLabels(opaque{bytes.NewReader(b)}, "fuzz", []string{"x*"}, "id")
		checkFormatErr(t, err)
		if err == nil {
			checkTable(t, m, names)
			if len(labels) != m.Rows {
				t.Fatalf("%d labels for %d rows", len(labels), m.Rows)
			}
		}

		if rr, err := NewCSVRows(bytes.NewReader(b), "fuzz", nil, ""); err == nil {
			drainRows(t, rr)
		} else {
			checkFormatErr(t, err)
		}

		if l, err := ReadLabelled(bytes.NewReader(b), "fuzz", nil, "class"); err == nil {
			checkFiniteMatrix(t, l.X)
			checkFiniteMatrix(t, l.Unlabeled)
			if len(l.Y) != l.X.Rows || len(l.Classes) < 2 {
				t.Fatalf("%d labels for %d rows, %d classes", len(l.Y), l.X.Rows, len(l.Classes))
			}
		} else {
			checkFormatErr(t, err)
		}
	})
}

// checkFormatErr fails unless err is nil or a *FormatError about the
// fuzzed input.
func checkFormatErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
		t.Fatalf("an in-memory input failed with %T %v, not a FormatError", err, err)
	}
	if fe.File != "fuzz" || fe.Line < 0 || fe.Column < 0 || fe.Reason == "" {
		t.Fatalf("error without a location or reason: %+v", fe)
	}
}

func checkStreams(t *testing.T, s *Streams, opt CSVOptions) {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatalf("streams read without error are malformed: %v", err)
	}
	for _, m := range []Matrix{s.PairX, s.PairY, s.SourceX, s.TargetY} {
		checkFiniteMatrix(t, m)
	}
	if s.PairX.Rows+s.SourceX.Rows+s.TargetY.Rows == 0 {
		t.Fatal("streams without a data row")
	}
	if opt.RequirePairs && s.PairX.Rows == 0 {
		t.Fatal("no pairs although they were required")
	}
	checkNames(t, append(append([]string(nil), s.XNames...), s.YNames...))
}

func checkTable(t *testing.T, m Matrix, names []string) {
	t.Helper()
	checkFiniteMatrix(t, m)
	if m.Rows == 0 || m.Cols != len(names) {
		t.Fatalf("%d×%d table with %d names", m.Rows, m.Cols, len(names))
	}
	checkNames(t, names)
}

func checkNames(t *testing.T, names []string) {
	t.Helper()
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || seen[n] {
			t.Fatalf("column names %q: empty or repeated", names)
		}
		seen[n] = true
	}
}
