package datasets

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestStandardNormalMoments(t *testing.T) {
	const n, d = 50_000, 3
	m := StandardNormal(rand.New(rand.NewPCG(1, 3)), n, d)
	if m.Rows != n || m.Cols != d || m.Validate() != nil {
		t.Fatalf("shape %d×%d", m.Rows, m.Cols)
	}
	for i := range d {
		for j := range d {
			mi, mj, c := crossMoment(m, i, m, j)
			want := 0.0
			if i == j {
				want = 1
			}
			se := math.Sqrt((1 + want*want) / n) // √((var_i var_j + cov²)/n)
			if math.Abs(mi) > 5/math.Sqrt(n) || math.Abs(mj) > 5/math.Sqrt(n) || math.Abs(c-want) > 5*se {
				t.Errorf("columns %d,%d: means %v %v, cov %v (want %v ± %v)", i, j, mi, mj, c, want, 5*se)
			}
		}
	}
}

// The Swiss roll's mean and second moments follow from t ~ U[1.5π, 4.5π]
// by one-dimensional integrals (noise adds 0.8² to each variance).
func TestSwissRollMoments(t *testing.T) {
	const n = 100_000
	y := SwissRollY(rand.New(rand.NewPCG(2, 3)), n)
	if y.Rows != n || y.Cols != 2 {
		t.Fatalf("shape %d×%d", y.Rows, y.Cols)
	}
	span := SwissRollTMax - SwissRollTMin
	avg := func(f func(float64) float64) float64 {
		return simpson(f, SwissRollTMin, SwissRollTMax, 2000) / span
	}
	s := SwissRollScale
	noise := SwissRollNoise * SwissRollNoise
	want := [2]struct{ mean, second float64 }{
		{avg(func(t float64) float64 { return t * math.Cos(t) }) / s, (avg(func(t float64) float64 { return t * t * math.Cos(t) * math.Cos(t) }) + noise) / (s * s)},
		{avg(func(t float64) float64 { return t * math.Sin(t) }) / s, (avg(func(t float64) float64 { return t * t * math.Sin(t) * math.Sin(t) }) + noise) / (s * s)},
	}
	// Cross-check one integral against its antiderivative t sin t + cos t.
	exact := ((SwissRollTMax*math.Sin(SwissRollTMax) + math.Cos(SwissRollTMax)) - (SwissRollTMin*math.Sin(SwissRollTMin) + math.Cos(SwissRollTMin))) / span / s
	if math.Abs(exact-want[0].mean) > 1e-12 {
		t.Fatalf("Simpson %v vs antiderivative %v", want[0].mean, exact)
	}
	for d := range 2 {
		mean, _, v := crossMoment(y, d, y, d)
		variance := want[d].second - want[d].mean*want[d].mean
		if se := math.Sqrt(variance / n); math.Abs(mean-want[d].mean) > 5*se {
			t.Errorf("dim %d: mean %v, want %v ± %v", d, mean, want[d].mean, 5*se)
		}
		// Loose check of the variance: 5 % (the sampling error is ≈ 0.5 %).
		if math.Abs(v-variance) > 0.05*variance {
			t.Errorf("dim %d: variance %v, want %v", d, v, variance)
		}
	}
	// Every point lies near the spiral: radius within t/7.5 ± noise.
	for i := range n {
		r := math.Hypot(y.Row(i)[0], y.Row(i)[1]) * s
		if r < SwissRollTMin-6*SwissRollNoise || r > SwissRollTMax+6*SwissRollNoise {
			t.Fatalf("point %d at radius %v, outside the roll", i, r/s)
		}
	}
}
