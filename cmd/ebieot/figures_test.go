package main

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/eot"
)

func checkPNG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if img.Bounds().Dx() < 600 || img.Bounds().Dy() < 300 {
		t.Fatalf("%s is %v pixels", path, img.Bounds())
	}
}

// TestEvalFigures draws eval's figures for a model with one y column and
// for one with three, each chosen by a small model selection (so that
// training.png has a cross-validation curve).
func TestEvalFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	for _, dim := range []int{1, 3} {
		g := datasets.GaussianEOT{Eps: 1}
		for j := range dim {
			g.MuX, g.A = append(g.MuX, float64(j)), append(g.A, 1)
			g.MuY, g.B = append(g.MuY, -float64(j)), append(g.B, 0.5+0.5*float64(j))
		}
		rng := rand.New(rand.NewPCG(uint64(dim), 1))
		data := g.Streams(rng, 200, 400, 400)
		held := g.Streams(rng, 150, 0, 0)
		cfg, err := eot.DefaultConfig("gmm")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Select = eot.Selection{Potentials: []int{1, 2}, Tilts: []int{1}, LearningRates: []float64{1e-2}, MaxSteps: 600}
		cfg.Seed, cfg.Threads = 3, 2
		ctx := context.Background()
		model, err := eot.Train(ctx, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := model.Evaluate(ctx, held.PairX, held.PairY, eot.EvalOptions{Samples: 40, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := evalFigures(ctx, dir, model, rep, held.PairX, held.PairY, 5); err != nil {
			t.Fatalf("%d-D: %v", dim, err)
		}
		want := []string{"conditionals.png", "marginals.png", "calibration.png", "training.png"}
		if dim >= 2 {
			want = append(want, "samples.png")
		}
		for _, f := range want {
			checkPNG(t, filepath.Join(dir, f))
		}
		if got, _ := filepath.Glob(filepath.Join(dir, "*")); len(got) != len(want) {
			t.Errorf("%d-D: wrote %v, want %v", dim, got, want)
		}
	}
}

func TestTrainingFigure(t *testing.T) {
	dir := t.TempDir()
	// No history: no figure.
	if err := trainingFigure(filepath.Join(dir, "none.png"), eot.Training{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.png")); !os.IsNotExist(err) {
		t.Fatal("a figure without a history")
	}
	// A neural model's history: no log-partition or total, validation at
	// some steps only.
	tr := eot.Training{Steps: 300, Validation: 20, BestStep: 200, Paired: 100, Sources: 10, Targets: 10}
	for s := 1; s <= 30; s++ {
		v := math.NaN()
		if s%10 == 0 {
			v = 3 - float64(s)/100
		}
		tr.History = append(tr.History, eot.LogEntry{Step: 10 * s, Paired: 1 / float64(s), Target: -1, LogPartition: math.NaN(), Total: math.NaN(), ValidNLL: v})
	}
	tr.Selection = &eot.Leaderboard{Folds: 5, Searched: []string{"steps"}, Curve: []eot.CurvePoint{{Step: 0, NLL: 3}, {Step: 300, NLL: 2}, {Step: 600, NLL: 2.5}}}
	path := filepath.Join(dir, "training.png")
	if err := trainingFigure(path, tr); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path)
}

func TestSpreadAndShortVec(t *testing.T) {
	for _, c := range []struct {
		n, k int
		want []int
	}{{10, 4, []int{0, 3, 6, 9}}, {3, 6, []int{0, 1, 2}}, {5, 1, []int{0}}, {0, 3, nil}, {500, 6, []int{0, 99, 199, 299, 399, 499}}} {
		if got := spread(c.n, c.k); !slices.Equal(got, c.want) {
			t.Errorf("spread(%d, %d) = %v, want %v", c.n, c.k, got, c.want)
		}
	}
	if got := shortVec([]float64{-2, 0.12345, 1981}); got != "(−2, 0.123, 1981)" {
		t.Errorf("shortVec = %q", got)
	}
}
