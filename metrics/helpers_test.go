package metrics

import (
	"math"
	"math/rand/v2"
)

// gaussianPoints draws n points of N(mean, diag(sd²)).
func gaussianPoints(rng *rand.Rand, n int, mean, sd []float64) Points {
	d := len(mean)
	p := Points{Data: make([]float64, n*d), Rows: n, Cols: d}
	for i := range n {
		for k := range d {
			p.Data[i*d+k] = mean[k] + sd[k]*rng.NormFloat64()
		}
	}
	return p
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// meanSD returns the mean and the sample standard deviation.
func meanSD(v []float64) (float64, float64) {
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, math.Sqrt(ss / float64(len(v)-1))
}
