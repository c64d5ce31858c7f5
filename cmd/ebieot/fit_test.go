package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
)

// writeGaussian writes a Gaussian benchmark file whose columns are on very
// different scales, so that any unit mistake (scaler, Jacobian) shows.
func writeGaussian(t *testing.T, dir string, pairs, unpaired int, seed uint64) (string, datasets.GaussianEOT) {
	t.Helper()
	g := datasets.GaussianEOT{MuX: []float64{10, -3}, A: []float64{5, 0.2}, MuY: []float64{100, 0}, B: []float64{30, 0.05}, Eps: 150}
	s := g.Streams(rand.New(rand.NewPCG(seed, 0)), pairs, unpaired, unpaired)
	path := filepath.Join(dir, "data.csv")
	if err := datasets.WriteStreamsCSV(path, s); err != nil {
		t.Fatal(err)
	}
	return path, g
}

func readCSVFloats(t *testing.T, path string) ([]string, [][]float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	header := strings.Split(lines[0], ",")
	var rows [][]float64
	for _, l := range lines[1:] {
		var row []float64
		for _, f := range strings.Split(l, ",") {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", path, l, err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return header, rows
}

func TestFitSampleLogprobDescribeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeGaussian(t, dir, 300, 600, 1)
	model := filepath.Join(dir, "m.json")
	_, stderr, code := runCLI(t, "fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*",
		"--potentials", "2", "--cost-components", "2", "--steps", "400", "--batch", "64",
		"--lr-cost", "0.01", "--lr-potential", "0.01", "--valid-every", "100", "--select=false", "--seed", "3", "--out", model, "--quiet")
	if code != 0 {
		t.Fatalf("fit exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Fatalf("--quiet after the command still printed %q", stderr)
	}
	mf, m, err := eot.LoadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	if mf.Training.Steps != 400 || mf.Training.Validation != 30 || mf.Training.Paired != 270 || mf.Training.BestValidNLL == nil {
		t.Fatalf("training record %+v", mf.Training)
	}
	if math.Abs(mf.Scaler.Y.Mean[0]-100) > 5 || math.Abs(mf.Scaler.Y.Std[1]-0.05) > 0.01 {
		t.Fatalf("scaler %+v was not fitted on the data", mf.Scaler)
	}

	out, _, code := runCLI(t, "describe", "--model", model)
	if code != 0 || !strings.Contains(out, "gmm") || !strings.Contains(out, "training steps") || !strings.Contains(out, "400") {
		t.Fatalf("describe (exit %d):\n%s", code, out)
	}
	out, _, code = runCLI(t, "describe", "--model", model, "--json")
	var desc map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &desc) != nil || desc["parameters"].(float64) != float64(len(m.Params())) {
		t.Fatalf("describe --json (exit %d): %s", code, out)
	}

	// sample: n rows per input row, in input order, x copied, y in original
	// units (y2 has std 0.05 around 0, y1 is near 100).
	xs := filepath.Join(dir, "x.csv")
	if err := os.WriteFile(xs, []byte("x2,x1,unused\n-3,10,a\n-3.1,14,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	samples := filepath.Join(dir, "s.csv")
	if _, stderr, code := runCLI(t, "sample", "--model", model, "--x", xs, "--n", "50", "--seed", "5", "--out", samples); code != 0 {
		t.Fatalf("sample exit %d: %s", code, stderr)
	}
	header, rows := readCSVFloats(t, samples)
	if strings.Join(header, ",") != "x1,x2,y1,y2" || len(rows) != 100 {
		t.Fatalf("samples: header %v, %d rows", header, len(rows))
	}
	for i, r := range rows {
		wantX1 := 10.0
		if i >= 50 {
			wantX1 = 14
		}
		if r[0] != wantX1 || math.Abs(r[2]-100) > 150 || math.Abs(r[3]) > 1 {
			t.Fatalf("sample row %d = %v", i, r)
		}
	}
	again := filepath.Join(dir, "s2.csv")
	runCLI(t, "sample", "--model", model, "--x", xs, "--n", "50", "--seed", "5", "--out", again, "--threads", "1")
	a, _ := os.ReadFile(samples)
	b, _ := os.ReadFile(again)
	if string(a) != string(b) {
		t.Fatal("the same seed with another thread count gave other samples")
	}

	// logprob: the exact log-density in original units equals the model's
	// standardised log-density minus the scaler's log-Jacobian.
	scores := filepath.Join(dir, "lp.csv")
	if _, stderr, code := runCLI(t, "logprob", "--model", model, "--input", data, "--out", scores); code == 0 {
		t.Fatalf("logprob on a file with unpaired rows succeeded: %s", stderr)
	}
	pairsFile := filepath.Join(dir, "pairs.csv")
	if err := os.WriteFile(pairsFile, []byte("y1,y2,x1,x2\n101,0.02,10.5,-3\n90,-0.1,8,-2.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "logprob", "--model", model, "--input", pairsFile, "--out", scores); code != 0 {
		t.Fatalf("logprob exit %d: %s", code, stderr)
	}
	header, rows = readCSVFloats(t, scores)
	if strings.Join(header, ",") != "x1,x2,y1,y2,logprob" || len(rows) != 2 {
		t.Fatalf("scores: %v, %d rows", header, len(rows))
	}
	density := m.(interface{ LogProb(x, y []float64) float64 })
	for _, r := range rows {
		x := []float64{(r[0] - mf.Scaler.X.Mean[0]) / mf.Scaler.X.Std[0], (r[1] - mf.Scaler.X.Mean[1]) / mf.Scaler.X.Std[1]}
		y := []float64{(r[2] - mf.Scaler.Y.Mean[0]) / mf.Scaler.Y.Std[0], (r[3] - mf.Scaler.Y.Mean[1]) / mf.Scaler.Y.Std[1]}
		want := density.LogProb(x, y) - math.Log(mf.Scaler.Y.Std[0]) - math.Log(mf.Scaler.Y.Std[1])
		if math.Abs(r[4]-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("logprob %v, want %v", r[4], want)
		}
	}
}

func TestFitResumeContinuesTheStepCount(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeGaussian(t, dir, 100, 100, 2)
	first, second := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	common := []string{"--data", data, "--x-cols", "x1,x2", "--batch", "32", "-q"}
	if _, stderr, code := runCLI(t, append([]string{"fit", "--steps", "50", "--potentials", "2", "--cost-components", "1", "--select=false", "--out", first}, common...)...); code != 0 {
		t.Fatal(stderr)
	}
	if _, stderr, code := runCLI(t, append([]string{"fit", "--steps", "30", "--resume", first, "--out", second}, common...)...); code != 0 {
		t.Fatal(stderr)
	}
	mf, _, err := eot.LoadModel(second)
	if err != nil {
		t.Fatal(err)
	}
	if mf.Training.Steps != 80 || mf.Spec.Potentials != 2 {
		t.Fatalf("resumed model: %d steps, spec %+v", mf.Training.Steps, mf.Spec)
	}
}

func TestFitAndModelErrors(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeGaussian(t, dir, 50, 50, 3)
	out := filepath.Join(dir, "m.json")
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"stray argument": {[]string{"fit", "--data", data, "--x-cols", "x*", "extra", "--out", out}, `unexpected argument "extra"`},
		"no data":        {[]string{"fit", "--out", out}, "no data"},
		"bad kind":       {[]string{"fit", "--data", data, "--x-cols", "x*", "--model", "flow", "--out", out}, `unknown model kind "flow"`},
		"bad hidden":     {[]string{"fit", "--data", data, "--x-cols", "x*", "--cost-hidden", "12,x", "--out", out}, "--cost-hidden"},
		"bad eps":        {[]string{"fit", "--data", data, "--x-cols", "x*", "--eps", "0", "--out", out}, "eps"},
		"bad frac":       {[]string{"fit", "--data", data, "--x-cols", "x*", "--valid-frac", "1", "--out", out}, "--valid-frac"},
	} {
		_, stderr, code := runCLI(t, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q (want %q)", name, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a failed fit wrote a model file")
	}
	foreign := filepath.Join(dir, "foreign.json")
	os.WriteFile(foreign, []byte(`{"weights": [1, 2, 3]}`), 0o644)
	for _, cmd := range [][]string{
		{"describe", "--model", foreign},
		{"sample", "--model", foreign, "--x", data, "--out", filepath.Join(dir, "s.csv")},
		{"logprob", "--model", foreign, "--input", data, "--out", filepath.Join(dir, "l.csv")},
	} {
		_, stderr, code := runCLI(t, cmd...)
		if code == 0 || !strings.Contains(stderr, foreign) || !strings.Contains(stderr, "ebieot model file") {
			t.Errorf("%s on a foreign file: exit %d, %q", cmd[0], code, stderr)
		}
	}
	for _, f := range []string{"s.csv", "l.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s written after an error", f)
		}
	}
}

func TestEvalReportsBaselines(t *testing.T) {
	dir := t.TempDir()
	data, g := writeGaussian(t, dir, 200, 400, 4)
	model := filepath.Join(dir, "m.json")
	if _, stderr, code := runCLI(t, "fit", "--data", data, "--x-cols", "x*", "--y-cols", "y*", "--potentials", "1", "--cost-components", "1",
		"--steps", "5000", "--batch", "256", "--lr-cost", "0.01", "--lr-potential", "0.01", "--lr-schedule", "cosine", "--valid-frac", "0", "-q", "--out", model); code != 0 {
		t.Fatal(stderr)
	}
	held := g.Streams(rand.New(rand.NewPCG(99, 0)), 300, 0, 0)
	holdout := filepath.Join(dir, "held.csv")
	if err := datasets.WriteStreamsCSV(holdout, held); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "r.json")
	plotsDir := filepath.Join(dir, "plots")
	out, stderr, code := runCLI(t, "eval", "--model", model, "--input", holdout, "--data", data, "--x-cols", "x*", "--y-cols", "y*",
		"--baselines", "--samples", "40", "--sinkhorn-eps", "0.05", "--json", report, "--plots", plotsDir, "-q")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	for _, want := range []string{"NLL", "energy score", "coverage at 90%", "pairs_only", "linear_gaussian", "Sinkhorn"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var rep eot.Report
	b, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("JSON report: %v\n%s", err, b)
	}
	// The truth is linear-Gaussian, so both the model and the regression
	// must be close to the true conditional's NLL on the held-out pairs.
	trueNLL := 0.0
	for i := 0; i < held.PairX.Rows; i++ {
		trueNLL -= g.LogProb(held.PairX.Row(i), held.PairY.Row(i))
	}
	trueNLL /= float64(held.PairX.Rows)
	if rep.NLL == nil || math.Abs(rep.NLL.Mean-trueNLL) > 0.15 || rep.Baselines["linear_gaussian"] == nil {
		t.Fatalf("model NLL %+v, true %.4f, baselines %+v", rep.NLL, trueNLL, rep.Baselines["linear_gaussian"].NLL)
	}
	if math.Abs(rep.Baselines["linear_gaussian"].NLL.Mean-trueNLL) > 0.15 {
		t.Fatalf("linear baseline NLL %.4f, true %.4f", rep.Baselines["linear_gaussian"].NLL.Mean, trueNLL)
	}
	for _, f := range []string{"samples.png", "conditionals.png", "training.png"} {
		if st, err := os.Stat(filepath.Join(plotsDir, f)); err != nil || st.Size() < 1000 {
			t.Errorf("plot %s: %v", f, err)
		}
	}
}
