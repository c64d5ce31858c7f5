package datasets

import (
	"math"
	"math/rand/v2"
)

// StandardNormal returns n rows of N(0, I_d), drawn row by row.
func StandardNormal(rng *rand.Rand, n, d int) Matrix {
	m := NewMatrix(n, d)
	for i := range m.Data {
		m.Data[i] = rng.NormFloat64()
	}
	return m
}

// Swiss-roll target marginal (docs/method.md §8): t ~ U[1.5π, 4.5π],
// y = ((t cos t, t sin t) + SwissRollNoise·ξ) / SwissRollScale.
const (
	SwissRollTMin  = 1.5 * math.Pi
	SwissRollTMax  = 4.5 * math.Pi
	SwissRollNoise = 0.8
	SwissRollScale = 7.5
)

// SwissRollY returns n points of the 2-D Swiss-roll target marginal. Each
// point uses three draws in a fixed order (t, then the two noise values).
func SwissRollY(rng *rand.Rand, n int) Matrix {
	m := NewMatrix(n, 2)
	for i := range n {
		t := SwissRollTMin + (SwissRollTMax-SwissRollTMin)*rng.Float64()
		row := m.Row(i)
		row[0] = (t*math.Cos(t) + SwissRollNoise*rng.NormFloat64()) / SwissRollScale
		row[1] = (t*math.Sin(t) + SwissRollNoise*rng.NormFloat64()) / SwissRollScale
	}
	return m
}
