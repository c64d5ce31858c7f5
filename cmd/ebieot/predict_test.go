package main

import (
	"bufio"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/datasets"
)

// TestPredictWritesMeansAndQuantiles: on the Gaussian benchmark (a
// linear-Gaussian conditional with unit-sensitive scales) the predicted
// mean and quartiles are close to the true ones, in the file's units, and
// the mixture file describes the same conditional.
func TestPredictWritesMeansAndQuantiles(t *testing.T) {
	dir := t.TempDir()
	data, g := writeGaussian(t, dir, 400, 800, 4)
	model := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--potentials", "1", "--cost-components", "1",
		"--covariance", "diag", "--steps", "1500", "--lr-cost", "0.01", "--lr-potential", "0.01", "--select=false", "--out", model, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	xs := filepath.Join(dir, "x.csv")
	probe := datasets.NewMatrix(3, 2)
	copy(probe.Data, []float64{10, -3, 15, -2.8, 4, -3.3})
	if err := datasets.WriteTableCSV(xs, []string{"x1", "x2"}, probe); err != nil {
		t.Fatal(err)
	}
	out, mix := filepath.Join(dir, "p.csv"), filepath.Join(dir, "m.jsonl")
	if _, stderr, code := runCLI(t, "predict", "--model", model, "--x", xs, "--quantiles", "0.25,0.5,0.75", "--mixture", mix, "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	header, rows := readCSVFloats(t, out)
	want := "x1,x2,y1,y1_q25,y1_q50,y1_q75,y2,y2_q25,y2_q50,y2_q75"
	if strings.Join(header, ",") != want {
		t.Fatalf("header %v, want %s", header, want)
	}
	sd := g.CondVar()
	for i, r := range rows {
		mean := make([]float64, 2)
		g.CondMean(probe.Row(i), mean)
		for d := range 2 {
			s := math.Sqrt(sd[d])
			m, q25, q50, q75 := r[2+4*d], r[3+4*d], r[4+4*d], r[5+4*d]
			if math.Abs(m-mean[d]) > 0.25*s || math.Abs(q50-m) > 1e-6*math.Max(1, math.Abs(m)) {
				t.Errorf("row %d y%d: mean %.4f (truth %.4f), median %.4f", i, d+1, m, mean[d], q50)
			}
			if iqr := q75 - q25; math.Abs(iqr-1.349*s) > 0.25*1.349*s {
				t.Errorf("row %d y%d: interquartile range %.4f, truth %.4f", i, d+1, iqr, 1.349*s)
			}
		}
	}
	f, err := os.Open(mix)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var line mixtureLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if len(line.Weights) != 1 || math.Abs(line.Means[0][0]-rows[n][2]) > 1e-9 || len(line.Variances[0]) != 2 {
			t.Errorf("mixture line %d: %+v", n+1, line)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d mixture lines, want 3", n)
	}
}

func TestKnownCostAndBridgeFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	b := datasets.NewMixtureEOT(rand.New(rand.NewPCG(1, 1)), 2, 3, 0.5)
	data := filepath.Join(dir, "d.csv")
	if err := datasets.WriteStreamsCSV(data, b.Streams(rand.New(rand.NewPCG(2, 2)), 0, 600, 600)); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--cost", "quadratic", "--eps", "0.5",
		"--potentials", "3", "--covariance", "diag", "--steps", "200", "--out", model, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "s.csv")
	if _, stderr, code := runCLI(t, "sample", "--model", model, "--input", data, "--time", "0.5", "--n", "2", "--out", out, "-q"); code == 0 || !strings.Contains(stderr, "empty cell") {
		t.Fatalf("sampling x's from a three-stream file with empty cells: exit %d, %s", code, stderr)
	}
	xs := filepath.Join(dir, "x.csv")
	if err := datasets.WriteTableCSV(xs, []string{"x1", "x2"}, datasets.Matrix{Rows: 1, Cols: 2, Data: []float64{0.1, 0.2}}); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "sample", "--model", model, "--input", xs, "--time", "0.5", "--n", "4", "--out", out, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	if _, rows := readCSVFloats(t, out); len(rows) != 4 {
		t.Errorf("%d bridge rows, want 4", len(rows))
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"time out of range": {[]string{"sample", "--model", model, "--input", xs, "--time", "1.5", "--out", out}, "--time 1.5 must be in [0, 1]"},
		"quadratic needs Dx = Dy": {[]string{"fit", "--data", data, "--x-cols", "x1", "--y-cols", "y*", "--cost", "quadratic", "--out", out},
			"needs as many x columns as y columns"},
		"learned cost without pairs": {[]string{"fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--out", out}, "--cost quadratic"},
		"bad cost":                   {[]string{"fit", "--data", data, "--x-cols", "x*", "--cost", "l1", "--out", out}, `--cost "l1"`},
	} {
		_, stderr, code := runCLI(t, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q (want %q)", name, code, stderr, tc.want)
		}
	}
	// A learned-cost model refuses the bridge, naming the flag.
	learned := filepath.Join(dir, "l.json")
	pairs := filepath.Join(dir, "p.csv")
	if err := datasets.WriteStreamsCSV(pairs, b.Streams(rand.New(rand.NewPCG(3, 3)), 50, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "fit", "--data", pairs, "--x-cols", "x*", "--potentials", "1", "--cost-components", "1", "--covariance", "diag", "--steps", "20", "--select=false", "--out", learned, "-q"); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := runCLI(t, "sample", "--model", learned, "--input", xs, "--time", "0.5", "--out", out); code == 0 || !strings.Contains(stderr, "quadratic cost") {
		t.Errorf("bridge of a learned cost: exit %d, %s", code, stderr)
	}
	if _, stderr, code := runCLI(t, "predict", "--model", learned, "--input", data, "--out", out); code == 0 || !strings.Contains(stderr, "empty cell") {
		t.Errorf("predict on rows without x values: exit %d, %s", code, stderr)
	}
}
