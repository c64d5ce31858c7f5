package eot

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ebieot/ebieot/datasets"
)

// readTable reads a committed CSV of numbers.
func readTable(t *testing.T, name string) (datasets.Matrix, []string) {
	t.Helper()
	m, names, err := datasets.ReadMatrixCSV(filepath.Join("testdata", name), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, names
}

// TestVersion1ModelFilesLoadUnchanged loads model files written by the
// release before the package split (format version 1) and checks that they
// score and sample exactly as that release did: its logprob and sample
// outputs are committed next to them.
func TestVersion1ModelFilesLoadUnchanged(t *testing.T) {
	probe, _ := readTable(t, "probe.csv")
	x, y := datasets.NewMatrix(probe.Rows, 2), datasets.NewMatrix(probe.Rows, 2)
	for i := range probe.Rows {
		copy(x.Row(i), probe.Row(i)[:2])
		copy(y.Row(i), probe.Row(i)[2:])
	}

	g, err := Load(filepath.Join("testdata", "v1-gmm.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := readTable(t, "v1-gmm-logprob.csv")
	lp, _, exact, err := g.LogProb(context.Background(), x, y, LogProbOptions{})
	if err != nil || !exact {
		t.Fatalf("GMM log-density: exact %v, %v", exact, err)
	}
	for i, v := range lp {
		if w := want.Row(i)[4]; math.Float64bits(v) != math.Float64bits(w) {
			t.Errorf("row %d: log-density %v, version 1 wrote %v", i, v, w)
		}
	}
	if g.Training.Stopped != Completed || g.Training.Steps != 200 {
		t.Errorf("training record %+v", g.Training)
	}

	n, err := Load(filepath.Join("testdata", "v1-nn.json"))
	if err != nil {
		t.Fatal(err)
	}
	n.SetThreads(1)
	samples, err := n.Sample(context.Background(), x, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	wantS, _ := readTable(t, "v1-nn-sample.csv")
	for r := range samples.Rows {
		for d := range 2 {
			if got, w := samples.Row(r)[d], wantS.Row(r)[2+d]; math.Float64bits(got) != math.Float64bits(w) {
				t.Fatalf("sample %d coordinate %d: %v, version 1 wrote %v", r, d, got, w)
			}
		}
	}
}

// TestSaveRefusesAnEmptyTrainingRecord: a model file must say what data it
// was trained on.
func TestSaveRefusesAnEmptyTrainingRecord(t *testing.T) {
	g, err := Load(filepath.Join("testdata", "v1-gmm.json"))
	if err != nil {
		t.Fatal(err)
	}
	g.Training = Training{}
	path := filepath.Join(t.TempDir(), "m.json")
	if err := g.Save(path); err == nil {
		t.Fatal("saved a model with an empty training record")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused save left %s behind (%v)", path, err)
	}
}
