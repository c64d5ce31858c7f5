package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MixtureEOT is the entropic OT benchmark construction of docs/method.md
// §9.5 (the EOT benchmark of Gushchin et al. 2023, as LightSB uses it): a
// source law P₀ (here standard normal), a Gaussian mixture v with diagonal
// covariances and a temperature ε define the plan
//
//	π*(y|x) ∝ N(y | x, εI)·v(y),
//
// which is the entropic OT plan for the cost ½‖x − y‖² between P₀ and its
// image P₁. The conditional is a Gaussian mixture in closed form, so a
// model's conditional error can be measured exactly (cBW²-UVP).
type MixtureEOT struct {
	Eps     float64
	Weights []float64 // N mixture weights of v, summing to 1
	Means   []float64 // N × D component means of v
	Vars    []float64 // N × D component variances of v
}

// NewMixtureEOT draws a benchmark in dimension dim with n components: means
// uniform in [−2, 2]^dim, variances uniform in [0.1, 1], weights from a
// flat Dirichlet.
func NewMixtureEOT(rng *rand.Rand, dim, n int, eps float64) MixtureEOT {
	b := MixtureEOT{Eps: eps, Weights: make([]float64, n), Means: make([]float64, n*dim), Vars: make([]float64, n*dim)}
	total := 0.0
	for k := range n {
		b.Weights[k] = rng.ExpFloat64()
		total += b.Weights[k]
	}
	for k := range n {
		b.Weights[k] /= total
	}
	for i := range b.Means {
		b.Means[i] = -2 + 4*rng.Float64()
		b.Vars[i] = 0.1 + 0.9*rng.Float64()
	}
	return b
}

// Dim is the dimension of x and y.
func (b MixtureEOT) Dim() int { return len(b.Means) / len(b.Weights) }

// Validate checks the shapes and values.
func (b MixtureEOT) Validate() error {
	n := len(b.Weights)
	switch {
	case n == 0 || len(b.Means)%n != 0 || len(b.Means) == 0 || len(b.Vars) != len(b.Means):
		return fmt.Errorf("mixture benchmark: %d weights, %d means, %d variances", n, len(b.Means), len(b.Vars))
	case !(b.Eps > 0) || math.IsInf(b.Eps, 0):
		return fmt.Errorf("mixture benchmark: ε %v must be positive and finite", b.Eps)
	}
	total := 0.0
	for _, w := range b.Weights {
		if !(w > 0) {
			return fmt.Errorf("mixture benchmark: weight %v must be positive", w)
		}
		total += w
	}
	if math.Abs(total-1) > 1e-9 {
		return fmt.Errorf("mixture benchmark: weights sum to %v", total)
	}
	for i, v := range b.Vars {
		if !(v > 0) || math.IsInf(v, 0) || !finite(b.Means[i]) {
			return fmt.Errorf("mixture benchmark: component value %d: mean %v, variance %v", i, b.Means[i], v)
		}
	}
	return nil
}

// Conditional returns the closed form of π*(·|x): component k has log
// weight logw[k] (normalised), mean means[k·D:(k+1)·D] and variances
// vars[k·D:(k+1)·D]. With v_k = N(r_k, Σ_k), the weights are ∝ w_k N(x |
// r_k, Σ_k + εI), the covariances (Σ_k⁻¹ + I/ε)⁻¹ and the means the
// covariance times Σ_k⁻¹ r_k + x/ε.
func (b MixtureEOT) Conditional(x []float64) (logw, means, vars []float64) {
	n, D := len(b.Weights), b.Dim()
	logw, means, vars = make([]float64, n), make([]float64, n*D), make([]float64, n*D)
	for k := range n {
		lw := math.Log(b.Weights[k])
		for d := range D {
			r, s := b.Means[k*D+d], b.Vars[k*D+d]
			v := s + b.Eps
			lw += -0.5*math.Log(2*math.Pi*v) - 0.5*(x[d]-r)*(x[d]-r)/v
			c := 1 / (1/s + 1/b.Eps)
			vars[k*D+d] = c
			means[k*D+d] = c * (r/s + x[d]/b.Eps)
		}
		logw[k] = lw
	}
	mx := math.Inf(-1)
	for _, v := range logw {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for _, v := range logw {
		s += math.Exp(v - mx)
	}
	lse := mx + math.Log(s)
	for k := range logw {
		logw[k] -= lse
	}
	return logw, means, vars
}

// CondMoments returns the mean (D) and covariance (D × D, row-major) of
// π*(·|x).
func (b MixtureEOT) CondMoments(x []float64) (mean, cov []float64) {
	logw, means, vars := b.Conditional(x)
	D := b.Dim()
	mean, cov = make([]float64, D), make([]float64, D*D)
	for k, lw := range logw {
		w := math.Exp(lw)
		for d := range D {
			mean[d] += w * means[k*D+d]
		}
	}
	for k, lw := range logw {
		w := math.Exp(lw)
		for i := range D {
			di := means[k*D+i] - mean[i]
			cov[i*D+i] += w * vars[k*D+i]
			for j := range D {
				cov[i*D+j] += w * di * (means[k*D+j] - mean[j])
			}
		}
	}
	return mean, cov
}

// SampleCond draws one y ~ π*(·|x) into dst.
func (b MixtureEOT) SampleCond(rng *rand.Rand, x, dst []float64) {
	logw, means, vars := b.Conditional(x)
	D := b.Dim()
	u, k := rng.Float64(), 0
	for ; k < len(logw)-1; k++ {
		if u -= math.Exp(logw[k]); u <= 0 {
			break
		}
	}
	for d := range D {
		dst[d] = means[k*D+d] + math.Sqrt(vars[k*D+d])*rng.NormFloat64()
	}
}

// Streams draws a data set: paired rows (x ~ P₀, y ~ π*(·|x)), unpaired
// sources x ~ P₀ and unpaired targets y ~ P₁ (drawn as the y of fresh
// pairs). Columns are x1..xD, y1..yD.
func (b MixtureEOT) Streams(rng *rand.Rand, paired, sources, targets int) *Streams {
	D := b.Dim()
	s := &Streams{XNames: columnNames("x", D), YNames: columnNames("y", D),
		PairX: StandardNormal(rng, paired, D), PairY: NewMatrix(paired, D),
		SourceX: StandardNormal(rng, sources, D), TargetY: NewMatrix(targets, D)}
	for i := range paired {
		b.SampleCond(rng, s.PairX.Row(i), s.PairY.Row(i))
	}
	x := make([]float64, D)
	for i := range targets {
		for d := range x {
			x[d] = rng.NormFloat64()
		}
		b.SampleCond(rng, x, s.TargetY.Row(i))
	}
	return s
}
