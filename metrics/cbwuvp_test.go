package metrics

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestCondBWUVP(t *testing.T) {
	cov := mat.NewSymDense(2, []float64{2, 0, 0, 2})
	truth, _ := NewGaussian([]float64{1, 0}, []float64{1, 0, 0, 1})
	same, _ := NewGaussian([]float64{1, 0}, []float64{1, 0, 0, 1})
	shifted, _ := NewGaussian([]float64{1.1, 0}, []float64{1, 0, 0, 1})
	v, err := CondBWUVP([]Gaussian{same, shifted}, []Gaussian{truth, truth}, cov)
	if err != nil {
		t.Fatal(err)
	}
	// BW² = 0 and 0.01; mean 0.005; ½ tr = 2.
	if math.Abs(v-100*0.005/2) > 1e-12 {
		t.Errorf("cBW²-UVP = %v, want 0.25", v)
	}
	if _, err := CondBWUVP(nil, nil, cov); err == nil {
		t.Error("no test points accepted")
	}
}
