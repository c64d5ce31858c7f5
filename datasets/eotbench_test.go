package datasets

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMixtureEOTConditionalByQuadrature checks the closed form in 1-D
// against N(y | x, ε)·v(y) normalised numerically.
func TestMixtureEOTConditionalByQuadrature(t *testing.T) {
	b := NewMixtureEOT(rand.New(rand.NewPCG(1, 2)), 1, 3, 0.5)
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, x := range []float64{-1.5, 0, 2} {
		logw, means, vars := b.Conditional([]float64{x})
		h, z, m1 := 1e-3, 0.0, 0.0
		for y := -12.0; y < 12; y += h {
			v := 0.0
			for k, w := range b.Weights {
				v += w * math.Exp(-0.5*(y-b.Means[k])*(y-b.Means[k])/b.Vars[k]) / math.Sqrt(2*math.Pi*b.Vars[k])
			}
			p := math.Exp(-0.5*(y-x)*(y-x)/b.Eps) * v
			z += p * h
			m1 += p * y * h
		}
		wantM := m1 / z
		mean := 0.0
		for k, lw := range logw {
			mean += math.Exp(lw) * means[k]
			if vars[k] >= b.Vars[k] || vars[k] >= b.Eps {
				t.Errorf("conditional variance %v not below both %v and ε", vars[k], b.Vars[k])
			}
		}
		if math.Abs(mean-wantM) > 1e-6 {
			t.Errorf("x=%v: conditional mean %.8f, quadrature %.8f", x, mean, wantM)
		}
		cm, _ := b.CondMoments([]float64{x})
		if math.Abs(cm[0]-mean) > 1e-12 {
			t.Errorf("CondMoments mean %v, mixture mean %v", cm[0], mean)
		}
	}
}

func TestMixtureEOTSamplesHaveTheConditionalMoments(t *testing.T) {
	b := NewMixtureEOT(rand.New(rand.NewPCG(3, 4)), 3, 4, 1)
	rng := rand.New(rand.NewPCG(5, 6))
	x := []float64{0.5, -1, 0.2}
	mean, cov := b.CondMoments(x)
	const n = 40000
	y := make([]float64, 3)
	var s [3]float64
	for range n {
		b.SampleCond(rng, x, y)
		for d := range 3 {
			s[d] += y[d] / n
		}
	}
	for d := range 3 {
		if se := math.Sqrt(cov[d*3+d] / n); math.Abs(s[d]-mean[d]) > 5*se {
			t.Errorf("sampled mean[%d] %.4f, exact %.4f (5 s.e. %.2g)", d, s[d], mean[d], 5*se)
		}
	}
	st := b.Streams(rng, 10, 20, 30)
	if err := st.Validate(); err != nil || st.PairX.Rows != 10 || st.TargetY.Rows != 30 {
		t.Errorf("streams %v", err)
	}
}
