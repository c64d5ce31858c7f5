package eot

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/energy/neural"
)

func testModelFile(t *testing.T, spec energy.Spec) (*ModelFile, energy.Model) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var m energy.Model
	var err error
	if spec.Kind == energy.KindNeural {
		m, err = neural.New(spec, rng)
	} else {
		targets := datasets.StandardNormal(rng, 60, spec.YDim)
		m, err = gmm.New(spec, targets.Data, targets.Rows, rng)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Awkward values: the round trip must keep every bit.
	p := m.Params()
	p[0], p[1], p[2] = 0.1+0.2, -5e-324, math.Nextafter(1, 2)
	names := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + string(rune('a'+i))
		}
		return out
	}
	sc := datasets.Scaler{
		X: datasets.Standardizer{Mean: []float64{1.0 / 3, -2}, Std: []float64{0.7, 1e-3}},
		Y: datasets.Standardizer{Mean: []float64{5, 6}, Std: []float64{2, 3}},
	}
	valid := 1.25
	tr := Training{Steps: 10, Seed: 9, DataDigest: "sha256:00", BestValidNLL: &valid,
		History: []LogEntry{{Step: 5, Paired: 1, Target: 2, LogPartition: math.NaN(), Total: math.NaN(), ValidNLL: 3}}}
	return NewModelFile(m, names("x", spec.XDim), names("y", spec.YDim), sc, tr), m
}

func TestModelFileRoundTripIsBitExact(t *testing.T) {
	for _, spec := range []energy.Spec{
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 0.5, Potentials: 4, CostComponents: 3, CostHidden: []int{5}},
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 2, CostComponents: 2, FullCov: true},
		{Kind: energy.KindNeural, XDim: 2, YDim: 2, Eps: 1, CostHidden: []int{8}, PotentialHidden: []int{8, 8}},
	} {
		mf, model := testModelFile(t, spec)
		path := filepath.Join(t.TempDir(), "m.json")
		if err := mf.Save(path); err != nil {
			t.Fatal(err)
		}
		got, loaded, err := LoadModel(path)
		if err != nil {
			t.Fatalf("%s: %v", spec.Kind, err)
		}
		want := model.Params()
		have := loaded.Params()
		if len(have) != len(want) {
			t.Fatalf("%s: %d parameters back, want %d", spec.Kind, len(have), len(want))
		}
		for i := range want {
			if math.Float64bits(have[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%s: parameter %d is %v, saved %v", spec.Kind, i, have[i], want[i])
			}
		}
		if got.Scaler.X.Mean[0] != 1.0/3 || got.Scaler.X.Std[1] != 1e-3 || *got.Training.BestValidNLL != 1.25 {
			t.Fatalf("%s: scaler or training record changed: %+v %+v", spec.Kind, got.Scaler, got.Training)
		}
		h := got.Training.History[0]
		if h.Step != 5 || h.Paired != 1 || !math.IsNaN(h.LogPartition) || h.ValidNLL != 3 {
			t.Fatalf("%s: history row %+v", spec.Kind, h)
		}
		if got.Spec.Kind != spec.Kind || got.XNames[1] != "xb" {
			t.Fatalf("%s: spec or names changed: %+v %v", spec.Kind, got.Spec, got.XNames)
		}
	}
}

func TestLoadModelRejectsBadFiles(t *testing.T) {
	mf, _ := testModelFile(t, energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 2, CostComponents: 2})
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := mf.Save(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	cases := map[string]struct {
		content, want string
	}{
		"not json":      {"hello", "not JSON"},
		"foreign json":  {`{"name": "something else"}`, "is this an ebieot model file"},
		"newer version": {strings.Replace(text, `"version": 1`, `"version": 7`, 1), "version 7 is not supported"},
		"truncated":     {text[:len(text)/2], "not JSON"},
		"unknown kind":  {strings.Replace(text, `"kind": "gmm"`, `"kind": "flow"`, 1), `unknown kind "flow"`},
		"short params":  {strings.Replace(text, `"params": [`, `"params": [1,`, 1), "parameter"},
		"bad scaler":    {strings.Replace(text, `"std": [`, `"std": [-1, `, 1), "scaler"},
		"extra field":   {strings.Replace(text, `"format"`, `"colour": 1, "format"`, 1), "colour"},
	}
	for name, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadModel(path)
		if err == nil {
			t.Errorf("%s: loaded", name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not say %q and name the file", name, err, c.want)
		}
		if name != "not json" && name != "truncated" && !errors.Is(err, ErrModelFile) {
			t.Errorf("%s: error does not wrap ErrModelFile: %v", name, err)
		}
	}
	if _, _, err := LoadModel(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestDataDigestSeesEveryValue(t *testing.T) {
	s := datasets.DefaultGaussianEOT(2, 1).Streams(rand.New(rand.NewPCG(1, 1)), 5, 5, 5)
	d := DataDigest(s)
	if d != DataDigest(s) || !strings.HasPrefix(d, "sha256:") {
		t.Fatalf("digest %q is not stable", d)
	}
	s.TargetY.Data[7] = math.Nextafter(s.TargetY.Data[7], 10)
	if DataDigest(s) == d {
		t.Fatal("changing one bit of one value kept the digest")
	}
}
