package optim

import (
	"math"
	"sort"
)

// TanhSaturation returns atanh(1−eps): the value of τ·|u| beyond which
// tanh(τ·u) is within eps of ±1. SoftSignum's temperatures are this
// constant divided by a quantile of |u|.
func TanhSaturation(eps float64) float64 { return math.Atanh(1 - eps) }

// AlgebraicSaturation returns φ⁻¹(1−eps) = (1−eps)/√(1−(1−eps)²), the same
// threshold for the algebraic soft sign φ(x) = x/√(1+x²) that SoftMuon
// applies to singular values.
func AlgebraicSaturation(eps float64) float64 {
	s := 1 - eps
	return s / math.Sqrt(1-s*s)
}

// CauchyFit returns the median of values (the lower middle element for an
// even count) and the median absolute deviation from it. For a Cauchy
// distribution the MAD equals the scale parameter, which makes the pair a
// robust Cauchy fit. values is not modified. For an empty input both are 0.
func CauchyFit(values []float64) (loc, scale float64) {
	if len(values) == 0 {
		return 0, 0
	}
	w := append([]float64(nil), values...)
	sort.Float64s(w)
	loc = w[(len(w)-1)/2]
	for i, v := range values {
		w[i] = math.Abs(v - loc)
	}
	sort.Float64s(w)
	return loc, w[(len(w)-1)/2]
}

// FoldedCauchyQuantiles returns, for each probability p[j] in [0, 1), the
// p[j]-quantile of |X| for X ~ Cauchy(loc, scale), by newtonIters Newton
// steps on F(q) = C((q−loc)/s) − C((−q−loc)/s) = p started at
// s·tan(πp/2) + |loc| (exact when loc = 0). As in the reference code the
// standardisation uses s + 1e-8 while the density term uses s; this biases
// the result by about 1e-8/s relatively and keeps the temperature tables
// comparable. A zero scale is replaced by the smallest positive normal float.
func FoldedCauchyQuantiles(loc, scale float64, p []float64, newtonIters int) []float64 {
	const zGuard = 1e-8
	s := math.Max(scale, 0x1p-1022)
	cdf := func(z float64) float64 { return 0.5 + math.Atan(z)/math.Pi }
	pdf := func(z float64) float64 { return 1 / (math.Pi * (1 + z*z)) }
	q := make([]float64, len(p))
	for j, pj := range p {
		x := s*math.Tan(math.Pi*pj/2) + math.Abs(loc)
		for range newtonIters {
			z1 := (x - loc) / (s + zGuard)
			z2 := (-x - loc) / (s + zGuard)
			slope := (pdf(z1) + pdf(z2)) / s
			x = math.Max(0, x-(cdf(z1)-cdf(z2)-pj)/slope)
		}
		q[j] = x
	}
	return q
}

// Temperatures turns quantiles into temperatures τ_j = saturation/q_j,
// clamped to [1, tmax]. A zero quantile (τ = +Inf) or a NaN gives tmax.
func Temperatures(quantiles []float64, saturation, tmax float64) []float64 {
	tau := make([]float64, len(quantiles))
	for j, q := range quantiles {
		t := saturation / q
		if math.IsNaN(t) || t > tmax {
			t = tmax
		}
		tau[j] = math.Max(1, t)
	}
	return tau
}

// temperatureSchedule builds the whole transition schedule from the values
// seen at the transition step: a Cauchy fit, the |X| quantiles at the linear
// grid p_j = j/steps, j = 0…steps−1, and the clamped temperatures. The
// fraction of coordinates still in the sign regime then falls roughly
// linearly across the transition window.
func temperatureSchedule(values []float64, steps int, saturation float64, newtonIters int, tmax float64) []float64 {
	p := make([]float64, steps)
	for j := range p {
		p[j] = float64(j) / float64(steps)
	}
	loc, scale := CauchyFit(values)
	return Temperatures(FoldedCauchyQuantiles(loc, scale, p, newtonIters), saturation, tmax)
}

// SplitSteps divides a run of total steps into a sign phase of
// round(alphaSign·total) steps and a transition of the remainder, the
// α_sign parametrisation of SoftSignum and SoftMuon. alphaSign is clamped
// to [0, 1].
func SplitSteps(total int, alphaSign float64) (signSteps, transitionSteps int) {
	if total < 0 {
		total = 0
	}
	a := math.Min(1, math.Max(0, alphaSign))
	if math.IsNaN(alphaSign) {
		a = 1
	}
	signSteps = int(math.Round(a * float64(total)))
	return signSteps, total - signSteps
}
