package eot

import (
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
