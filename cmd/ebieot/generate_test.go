package main

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/datasets"
)

func readGenerated(t *testing.T, path string) *datasets.Streams {
	t.Helper()
	s, err := datasets.ReadCSV(path, datasets.CSVOptions{XCols: []string{"x*"}, YCols: []string{"y*"}})
	if err != nil {
		t.Fatalf("read back %s: %v", path, err)
	}
	return s
}

// The command must write exactly what the library generates for the same
// seed, in the single-file layout, and the same seed must give the same
// bytes.
func TestGenerateGaussianWritesTheLibraryStreams(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "g.csv")
	args := []string{"generate", "gaussian", "--paired", "40", "--sources", "7", "--targets", "9", "--dim", "3", "--eps", "0.5", "--seed", "17", "--out", out}
	stdout, stderr, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stderr, "40 pairs, 7 sources, 9 targets") {
		t.Fatalf("stdout %q, stderr %q", stdout, stderr)
	}
	got := readGenerated(t, out)
	if !slices.Equal(got.XNames, []string{"x1", "x2", "x3"}) || !slices.Equal(got.YNames, []string{"y1", "y2", "y3"}) {
		t.Fatalf("columns %v %v", got.XNames, got.YNames)
	}
	want := datasets.DefaultGaussianEOT(3, 0.5).Streams(rand.New(rand.NewPCG(17, 0x67656e)), 40, 7, 9)
	for _, m := range []struct {
		name      string
		got, want datasets.Matrix
	}{{"pairs x", got.PairX, want.PairX}, {"pairs y", got.PairY, want.PairY}, {"sources", got.SourceX, want.SourceX}, {"targets", got.TargetY, want.TargetY}} {
		if m.got.Rows != m.want.Rows || !slices.Equal(m.got.Data, m.want.Data) {
			t.Fatalf("%s differ from the library's (%d vs %d rows)", m.name, m.got.Rows, m.want.Rows)
		}
	}

	first, _ := os.ReadFile(out)
	again := filepath.Join(dir, "again.csv")
	if _, stderr, code := runCLI(t, append(args[:len(args)-1], again)...); code != 0 {
		t.Fatal(stderr)
	}
	second, _ := os.ReadFile(again)
	if !bytes.Equal(first, second) {
		t.Fatal("the same seed gave different files")
	}
	other := filepath.Join(dir, "other.csv")
	otherArgs := slices.Clone(args)
	otherArgs[slices.Index(otherArgs, "17")] = "18"
	otherArgs[len(otherArgs)-1] = other
	if _, stderr, code := runCLI(t, otherArgs...); code != 0 {
		t.Fatal(stderr)
	}
	third, _ := os.ReadFile(other)
	if bytes.Equal(first, third) {
		t.Fatal("another seed gave the same file")
	}
}

func TestGenerateSwissRoll(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s.csv")
	_, stderr, code := runCLI(t, "--quiet", "generate", "swissroll", "--paired", "6", "--sources", "5", "--targets", "4", "--seed", "3", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Fatalf("--quiet still printed %q", stderr)
	}
	s := readGenerated(t, out)
	if s.PairX.Rows != 6 || s.SourceX.Rows != 5 || s.TargetY.Rows != 4 || s.XDim() != 2 || s.YDim() != 2 {
		t.Fatalf("layout %d/%d/%d, %d→%d", s.PairX.Rows, s.SourceX.Rows, s.TargetY.Rows, s.XDim(), s.YDim())
	}
	// Every y lies on the roll: radius t/7.5 with t in [1.5π, 4.5π], give
	// or take six noise deviations.
	for _, m := range []datasets.Matrix{s.PairY, s.TargetY} {
		for i := range m.Rows {
			r := math.Hypot(m.Row(i)[0], m.Row(i)[1]) * datasets.SwissRollScale
			if r < datasets.SwissRollTMin-4.8 || r > datasets.SwissRollTMax+4.8 {
				t.Fatalf("y %v is off the Swiss roll", m.Row(i))
			}
		}
	}
}

// Invalid requests fail, say why, and write nothing: usage mistakes with
// exit status 2, a failure to write with 1.
func TestGenerateRejectsBadRequests(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bad.csv")
	base := []string{"--paired", "3", "--sources", "3", "--targets", "3", "--seed", "1", "--out", out}
	with := func(extra ...string) []string {
		return append(append([]string{"generate", "gaussian"}, base...), extra...)
	}
	cases := []struct {
		args []string
		want string
		code int
	}{
		{with("--dim", "0"), "--dim 0", 2},
		{with("--eps", "0"), "--eps 0", 2},
		{with("--eps", "-1"), "--eps -1", 2},
		{with("--paired", "-2"), "--paired -2", 2},
		{with("--paired", "0", "--sources", "0", "--targets", "0"), "nothing to generate", 2},
		{with("stray"), `unexpected argument "stray"`, 2},
		{[]string{"generate", "gaussian", "--paired", "3", "--out", out}, "required flags --sources, --targets, --seed not set", 2},
		{[]string{"generate"}, "name a data set", 2},
		{[]string{"generate", "swissroll", "--paired", "-1", "--sources", "1", "--targets", "1", "--seed", "1", "--out", out}, "--paired -1", 2},
		{[]string{"generate", "gaussian", "--paired", "3", "--sources", "3", "--targets", "3", "--seed", "1", "--out", filepath.Join(dir, "no", "such", "dir.csv")}, "no such file or directory", 1},
	}
	for _, c := range cases {
		stdout, stderr, code := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("ebieot %q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
		if strings.Contains(stdout, "wrote") {
			t.Errorf("ebieot %q claims to have written a file", c.args)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("failed runs left %v", entries)
	}
}
