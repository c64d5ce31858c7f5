package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/datasets"
)

// amesModel fits a quick model on the real Ames case, for the tests of
// the streaming commands.
func amesModel(t *testing.T, dir string) (model, holdout string) {
	t.Helper()
	real := filepath.Join("..", "..", "datasets", "testdata", "real", "ames3")
	model = filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "--quiet", "fit", "--data", filepath.Join(real, "train.csv"), "--x-cols", "x_*", "--y-cols", "y_*",
		"--select=false", "--steps", "100", "--out", model); code != 0 {
		t.Fatalf("fit: %s", stderr)
	}
	return model, filepath.Join(real, "holdout.csv")
}

// splitLines writes the data lines of a CSV file as shards of the given
// sizes, each with the header.
func splitLines(t *testing.T, dir, path string, sizes ...int) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	header, rows := lines[0], lines[1:]
	var shards []string
	for k, n := range sizes {
		p := filepath.Join(dir, "shard"+strconv.Itoa(k)+".csv")
		if err := os.WriteFile(p, []byte(header+strings.Join(rows[:n], "")), 0o644); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
		shards = append(shards, p)
	}
	if len(strings.Join(rows, "")) != 0 {
		t.Fatalf("%d lines left over", len(rows))
	}
	return shards
}

// readBody returns a CSV output without its header line.
func readBody(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b[bytes.IndexByte(b, '\n')+1:]
}

// TestShardsReproduceOneRun: sample and predict over shards of a real
// file, each with --row-offset at its first row, concatenate to the bytes
// of one run over the whole file, whatever the thread count and chunk
// size; with a different offset the draws differ.
func TestShardsReproduceOneRun(t *testing.T) {
	dir := t.TempDir()
	model, holdout := amesModel(t, dir)
	shards := splitLines(t, dir, holdout, 173, 1, 326)
	offsets := []int{0, 173, 174}
	for _, cmd := range [][]string{
		{"sample", "--n", "3", "--seed", "7"},
		{"predict", "--quantiles", "0.1,0.9"},
	} {
		whole := filepath.Join(dir, cmd[0]+"-whole.csv")
		args := append([]string{"--quiet", "--threads", "2", cmd[0], "--model", model, "--input", holdout, "--out", whole}, cmd[1:]...)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: %s", cmd, stderr)
		}
		var joined []byte
		for k, shard := range shards {
			out := filepath.Join(dir, cmd[0]+"-shard"+strconv.Itoa(k)+".csv")
			args := append([]string{"--quiet", "--threads", "1", cmd[0], "--model", model, "--input", shard, "--out", out,
				"--row-offset", strconv.Itoa(offsets[k]), "--chunk-rows", "7"}, cmd[1:]...)
			if _, stderr, code := runCLI(t, args...); code != 0 {
				t.Fatalf("%v shard %d: %s", cmd, k, stderr)
			}
			joined = append(joined, readBody(t, out)...)
		}
		if want := readBody(t, whole); !bytes.Equal(joined, want) {
			t.Errorf("%s: the shards give %d bytes that differ from the %d of one run", cmd[0], len(joined), len(want))
		}
	}
	// The offset is what keys the draws: shard 2 at offset 0 differs.
	out := filepath.Join(dir, "off0.csv")
	if _, stderr, code := runCLI(t, "--quiet", "sample", "--model", model, "--input", shards[2], "--n", "3", "--seed", "7", "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	if bytes.Equal(readBody(t, out), readBody(t, filepath.Join(dir, "sample-shard2.csv"))) {
		t.Error("--row-offset changed nothing")
	}
}

// TestIDColumnKeysDraws: with --id-col, a row's samples follow its id, not
// its position, so a shuffled file gives each row the same draws.
func TestIDColumnKeysDraws(t *testing.T) {
	dir := t.TempDir()
	model, holdout := amesModel(t, dir)
	b, err := os.ReadFile(holdout)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")[:41]
	withID := []string{"house," + lines[0]}
	for i, l := range lines[1:] {
		withID = append(withID, "h"+strconv.Itoa(i)+","+l)
	}
	reversed := append([]string{withID[0]}, withID[1:]...)
	slices.Reverse(reversed[1:])
	sample := func(name string, rows []string, extra ...string) [][]string {
		in := filepath.Join(dir, name+".csv")
		if err := os.WriteFile(in, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name+"-out.csv")
		args := append([]string{"--quiet", "sample", "--model", model, "--input", in, "--n", "2", "--out", out}, extra...)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: %s", name, stderr)
		}
		body := strings.Split(strings.TrimSpace(string(readBody(t, out))), "\n")
		var pairs [][]string // the two samples of each input row
		for i := 0; i < len(body); i += 2 {
			pairs = append(pairs, body[i:i+2])
		}
		return pairs
	}
	fwd := sample("fwd", withID, "--id-col", "house")
	rev := sample("rev", reversed, "--id-col", "house")
	n := len(fwd)
	for i := range n {
		if !slices.Equal(fwd[i], rev[n-1-i]) {
			t.Fatalf("row h%d: %v forwards, %v in the reversed file", i, fwd[i], rev[n-1-i])
		}
	}
	byPosition := sample("pos", reversed)
	if slices.Equal(byPosition[0], fwd[n-1]) {
		t.Error("without --id-col the reversed file gave the same draws: the id is not what keys them")
	}
	withID[5] = strings.Replace(withID[5], "h4,", ",", 1)
	in := filepath.Join(dir, "noid.csv")
	os.WriteFile(in, []byte(strings.Join(withID, "\n")+"\n"), 0o644)
	_, stderr, code := runCLI(t, "sample", "--model", model, "--input", in, "--id-col", "house", "--out", filepath.Join(dir, "x.csv"))
	if code != 1 || !strings.Contains(stderr, "noid.csv line 6, column house: empty id") {
		t.Errorf("empty id: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.csv")); err == nil {
		t.Error("a failed run left its output")
	}
	_, stderr, code = runCLI(t, "sample", "--model", model, "--input", in, "--id-col", "house", "--row-offset", "3", "--out", filepath.Join(dir, "x.csv"))
	if code != 2 || !strings.Contains(stderr, "not both") {
		t.Errorf("--id-col with --row-offset: exit %d: %s", code, stderr)
	}
}

// TestStreamedFormats: the same rows from Parquet give the same numbers as
// from CSV, written exactly to .npy and Parquet; logprob writes rows whose
// density underflows as -Inf, with a warning, and streams to standard
// output.
func TestStreamedFormats(t *testing.T) {
	dir := t.TempDir()
	model, holdout := amesModel(t, dir)
	x, names, err := datasets.ReadMatrixFile(holdout, nil)
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "holdout.parquet")
	if err := datasets.WriteTableFile(pq, names, x); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := runCLI(t, append([]string{"--quiet", "--threads", "2"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
		return stdout
	}
	run("sample", "--model", model, "--input", holdout, "--n", "4", "--out", filepath.Join(dir, "s.csv"))
	run("sample", "--model", model, "--input", pq, "--n", "4", "--out", filepath.Join(dir, "s.npy"))
	run("predict", "--model", model, "--input", pq, "--out", filepath.Join(dir, "p.parquet"))
	run("predict", "--model", model, "--input", holdout, "--out", filepath.Join(dir, "p.csv"))
	for _, pair := range [][2]string{{"s.csv", "s.npy"}, {"p.csv", "p.parquet"}} {
		a, _, err := datasets.ReadMatrixFile(filepath.Join(dir, pair[0]), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := datasets.ReadMatrixFile(filepath.Join(dir, pair[1]), nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.Rows != b.Rows || a.Cols != b.Cols || !slices.Equal(a.Data, b.Data) {
			t.Errorf("%s and %s differ (%d×%d, %d×%d)", pair[0], pair[1], a.Rows, a.Cols, b.Rows, b.Cols)
		}
	}
	if a, _, _ := datasets.ReadMatrixFile(filepath.Join(dir, "s.npy"), nil); a.Rows != 4*x.Rows {
		t.Errorf("s.npy has %d rows, want %d", a.Rows, 4*x.Rows)
	}

	b, _ := os.ReadFile(holdout)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines = append(lines[:4], "7,8,1981,1e300,-93,42")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	stdout, stderr, code := runCLI(t, "logprob", "--model", model, "--input", bad, "--out", "-")
	if code != 0 || !strings.Contains(stderr, "1 of 4 rows have log-density -Inf (the first is data row 4)") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(out) != 5 || !strings.HasSuffix(out[4], ",-Inf") || strings.Contains(stdout, "wrote") {
		t.Fatalf("logprob on standard output:\n%s", stdout)
	}
	for _, l := range out[1:4] {
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ',')+1:], 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			t.Errorf("finite row scored %q", l)
		}
	}
}

// TestFitStreamSamplesTheData: fit --stream trains on bounded samples of
// the streams of a real file and says how much it kept; --stream-rows
// alone is a usage error.
func TestFitStreamSamplesTheData(t *testing.T) {
	dir := t.TempDir()
	train := filepath.Join("..", "..", "datasets", "testdata", "real", "ames3", "train.csv")
	model := filepath.Join(dir, "m.json")
	_, stderr, code := runCLI(t, "fit", "--data", train, "--x-cols", "x_*", "--y-cols", "y_*", "--select=false", "--steps", "50",
		"--stream", "--stream-rows", "300", "--out", model)
	if code != 0 || !strings.Contains(stderr, "kept 100 of 100 pairs, 300 of 1000 sources, 300 of 1000 targets") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out, _, code := runCLI(t, "describe", "--model", model)
	if code != 0 || !strings.Contains(out, "300 sources, 300 targets") {
		t.Errorf("describe: %s", out)
	}
	_, stderr, code = runCLI(t, "fit", "--data", train, "--x-cols", "x_*", "--y-cols", "y_*", "--stream-rows", "300", "--out", model)
	if code != 2 || !strings.Contains(stderr, "--stream-rows needs --stream") {
		t.Errorf("--stream-rows alone: exit %d: %s", code, stderr)
	}
}
