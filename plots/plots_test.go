package plots

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestScatterAndLinesWritePNGs(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.png")
	if err := Scatter(sc, "clouds", "y1", "y2", []Cloud{
		{Name: "model", Points: []float64{0, 0, 1, 1, 2, 0.5}},
		{Name: "data", Points: []float64{0, 1, 2, 3, 9, 9, 1, 0, 0, 1, 2}, Dim: 3},
	}, 4, 4); err == nil {
		t.Fatal("a cloud whose length is not a multiple of its dimension was accepted")
	}
	if _, err := os.Stat(sc); !os.IsNotExist(err) {
		t.Fatal("a failed plot left a file")
	}
	if err := Scatter(sc, "clouds", "y1", "y2", []Cloud{
		{Name: "model", Points: []float64{0, 0, 1, 1, 2, 0.5}},
		{Name: "data", Points: []float64{0, 1, 2, 3, 9, 9}, Dim: 3},
	}, 4, 4); err != nil {
		t.Fatal(err)
	}
	ln := filepath.Join(dir, "l.png")
	if err := Lines(ln, "loss", "step", "value", []Curve{{Name: "a", X: []float64{1, 2, 3}, Y: []float64{3, 2, 1}}}, true, 5, 3); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{sc, ln} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", f, err)
		}
		if img.Bounds().Dx() < 100 {
			t.Fatalf("%s is %v pixels", f, img.Bounds())
		}
	}
}
