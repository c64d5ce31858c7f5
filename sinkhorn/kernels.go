package sinkhorn

import (
	"math"

	"gonum.org/v1/gonum/floats"
)

// The row kernels: dot products and axpy go to gonum's floats package,
// whose assembly is several times faster than a Go loop (and has a fixed
// summation order, so results stay deterministic).

// shiftedRow sets t_j = h_j − c_j·inv and returns max_j t_j.
func shiftedRow(t, h, c []float64, inv float64) float64 {
	t = t[:len(c)]
	floats.AddScaledTo(t, h[:len(c)], -inv, c)
	return maxOf(t)
}

// maxOf returns the largest element (−Inf for none), with two running
// maxima to shorten the compare chain.
func maxOf(t []float64) float64 {
	m0, m1 := math.Inf(-1), math.Inf(-1)
	j := 0
	for ; j+2 <= len(t); j += 2 {
		s := t[j : j+2 : j+2]
		if s[0] > m0 {
			m0 = s[0]
		}
		if s[1] > m1 {
			m1 = s[1]
		}
	}
	if j < len(t) && t[j] > m0 {
		m0 = t[j]
	}
	return math.Max(m0, m1)
}

// axpyDot sets w_j += alpha·e_j and returns Σ e_j c_j.
func axpyDot(w []float64, alpha float64, e, c []float64) float64 {
	floats.AddScaled(w[:len(e)], alpha, e)
	return floats.Dot(e, c[:len(e)])
}
