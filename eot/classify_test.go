package eot

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/classifier"
)

// TestClassifierModelFileRoundTrip saves a classifier with text class
// names and an MLP cost and loads it back: the spec (names and prior
// included) and every parameter must survive bit for bit, and the loaded
// model must give the same class probabilities.
func TestClassifierModelFileRoundTrip(t *testing.T) {
	spec := energy.Spec{Kind: energy.KindClassifier, XDim: 3, YDim: 1, Eps: 0.5, CostHidden: []int{4},
		Classes: []string{"cat", "dog", "emu"}, ClassPrior: []float64{0.5, 0.3, 0.2}}
	m, err := NewModel(spec, nil, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	// Move every parameter off its initial value, so a dropped block shows.
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range m.Params() {
		m.Params()[i] += rng.NormFloat64()
	}
	f := NewModelFile(m, []string{"a", "b", "c"}, []string{"animal"}, datasets.IdentityScaler(3, 1), Training{DataDigest: "sha256:test", Seed: 7})
	path := filepath.Join(t.TempDir(), "clf.json")
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g, loaded, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Spec.Classes, spec.Classes) || !slices.Equal(g.Spec.ClassPrior, spec.ClassPrior) || !slices.Equal(g.Spec.CostHidden, spec.CostHidden) {
		t.Fatalf("spec changed: %+v", g.Spec)
	}
	if !slices.Equal(loaded.Params(), m.Params()) {
		t.Fatal("parameters changed in the round trip")
	}
	c, ok := loaded.(*classifier.Model)
	if !ok {
		t.Fatalf("loaded a %T, want *classifier.Model", loaded)
	}
	x := []float64{0.3, -1.2, 2}
	want, got := make([]float64, 3), make([]float64, 3)
	m.(*classifier.Model).Probs(x, want)
	c.Probs(x, got)
	if !slices.Equal(got, want) {
		t.Fatalf("probabilities %v after loading, %v before", got, want)
	}
}

// TestClassifierApproachesBayes trains a classifier through the learner's
// loop (TrainModel: Adam, early stopping on the validation pairs) on two
// Gaussian classes x₁ ~ N(2k, 1), x₂ ~ N(0, 1), whose Bayes posterior is
// π(1|x) = σ(2x₁ − 2). The fitted probabilities must approach it.
func TestClassifierApproachesBayes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n := 2000
	s := &datasets.Streams{XNames: []string{"a", "b"}, YNames: []string{"y"}, PairX: datasets.NewMatrix(n, 2), PairY: datasets.NewMatrix(n, 1),
		SourceX: datasets.NewMatrix(0, 2), TargetY: datasets.NewMatrix(0, 1)}
	for i := range n {
		k := i % 2
		s.PairY.Data[i] = float64(k)
		s.PairX.Data[2*i] = rng.NormFloat64() + 2*float64(k)
		s.PairX.Data[2*i+1] = rng.NormFloat64()
	}
	spec := energy.Spec{Kind: energy.KindClassifier, XDim: 2, YDim: 1, Eps: 1, Classes: []string{"0", "1"}, ClassPrior: []float64{0.5, 0.5}}
	m, err := NewModel(spec, s, rng)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Spec: spec, Fit: DefaultOptions(energy.KindGMM), ValidFrac: 0.2, Seed: 3, Threads: 2}
	cfg.Fit.Steps, cfg.Fit.LRCost, cfg.Fit.LRPotential, cfg.Fit.KeepBest = 2000, 1e-2, 1e-2, true
	tr, err := TrainModel(context.Background(), m, s, datasets.IdentityScaler(2, 1), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := tr.Model.(*classifier.Model)
	worst, p := 0.0, make([]float64, 2)
	for x1 := -1.0; x1 <= 3; x1 += 0.25 {
		for _, x2 := range []float64{-1, 0, 1} {
			c.Probs([]float64{x1, x2}, p)
			bayes := 1 / (1 + math.Exp(-(2*x1 - 2)))
			worst = max(worst, math.Abs(p[1]-bayes))
		}
	}
	if worst > 0.06 {
		t.Fatalf("fitted π(1|x) is up to %.3f from the Bayes posterior (want ≤ 0.06)", worst)
	}
	t.Logf("max |π − Bayes| = %.4f over x₁ ∈ [−1, 3]", worst)
}

// TestTrainClassifierDigits fits the 8×8 digits case (10 labels per class,
// the rest unlabelled) with the defaults and checks that it learns the
// classes at all (chance is 0.1). This is not the target, which the
// defaults miss so far (bench/notes/classifier.md).
func TestTrainClassifierDigits(t *testing.T) {
	tr, err := datasets.ReadLabelledCSV("../datasets/testdata/real/digits_cls/train.csv", nil, "label")
	if err != nil {
		t.Fatal(err)
	}
	te, err := datasets.ReadLabelledCSV("../datasets/testdata/real/digits_cls/test.csv", nil, "label")
	if err != nil {
		t.Fatal(err)
	}
	m, err := TrainClassifier(context.Background(), tr, ClassifierConfig{Seed: 1, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Model.(*classifier.Model)
	xs := m.Scaler.X.Transform(te.X)
	hits := 0
	for i, k := range te.Y {
		if c.Predict(xs.Row(i)) == k {
			hits++
		}
	}
	if acc := float64(hits) / float64(len(te.Y)); acc < 0.7 {
		t.Fatalf("held-out accuracy %.3f, want ≥ 0.7", acc)
	}
}
