package energy

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// Mixture is a Gaussian mixture in R^Dim whose components may share
// covariance matrices: component k has weight exp(LogWeights[k]), mean
// Means[k·Dim:(k+1)·Dim] and covariance number CovIndex[k]. Exactly one of
// Var and Chol is set: Var holds diagonal covariances (one row of Dim
// variances per covariance), Chol lower-triangular Cholesky factors (Dim ×
// Dim row-major each, zero above the diagonal).
//
// The GMM's conditional π(y|x) is such a mixture with N·M components,
// k = n·M + m, sharing the N covariances ε·A_n.
type Mixture struct {
	Dim        int
	LogWeights []float64
	Means      []float64
	CovIndex   []int
	Var        []float64
	Chol       []float64
}

// Len is the number of components.
func (mx *Mixture) Len() int { return len(mx.LogWeights) }

// LogNormal returns the log-density of component k alone at y; scratch
// holds Dim values (used by Cholesky factors). For a diagonal
// covariance it is −½ Σ_d (log 2πσ_d² + r_d²/σ_d²); for a factor C it is
// −(D/2) log 2π − Σ log C_ii − ½‖C⁻¹r‖².
func (mx *Mixture) LogNormal(k int, y, scratch []float64) float64 {
	D := mx.Dim
	mean := mx.Means[k*D : (k+1)*D]
	c := mx.CovIndex[k]
	s := 0.0
	if mx.Chol == nil {
		v := mx.Var[c*D : (c+1)*D]
		for d := range D {
			r := y[d] - mean[d]
			s += math.Log(2*math.Pi*v[d]) + r*r/v[d]
		}
		return -0.5 * s
	}
	C := mx.Chol[c*D*D : (c+1)*D*D]
	u := scratch[:D]
	logDet := 0.0
	for i := range D {
		t := y[i] - mean[i]
		for j := 0; j < i; j++ {
			t -= C[i*D+j] * u[j]
		}
		u[i] = t / C[i*D+i]
		s += u[i] * u[i]
		logDet += math.Log(C[i*D+i])
	}
	return -0.5*float64(D)*math.Log(2*math.Pi) - logDet - 0.5*s
}

// LogProb returns the log-density of the mixture at y (len Dim).
func (mx *Mixture) LogProb(y []float64) float64 {
	if len(y) != mx.Dim {
		return math.NaN()
	}
	terms := make([]float64, mx.Len())
	scratch := make([]float64, mx.Dim)
	for k, lw := range mx.LogWeights {
		terms[k] = lw + mx.LogNormal(k, y, scratch)
	}
	return vecmath.LogSumExp(terms)
}

// weights returns the normalised component weights.
func (mx *Mixture) weights() []float64 {
	w := make([]float64, mx.Len())
	lse := vecmath.LogSumExp(mx.LogWeights)
	for k, lw := range mx.LogWeights {
		w[k] = math.Exp(lw - lse)
	}
	return w
}

// Mean writes the mixture's mean into dst (len Dim; shorter does nothing).
func (mx *Mixture) Mean(dst []float64) {
	D := mx.Dim
	if len(dst) < D {
		return
	}
	clear(dst[:D])
	for k, w := range mx.weights() {
		vecmath.Axpy(w, mx.Means[k*D:(k+1)*D], dst)
	}
}

// Covariance writes the mixture's covariance matrix into dst (Dim × Dim,
// row-major; shorter does nothing): Σ_k w_k (Σ_k + (μ_k − μ)(μ_k − μ)ᵀ).
func (mx *Mixture) Covariance(dst []float64) {
	D := mx.Dim
	if len(dst) < D*D {
		return
	}
	dst = dst[:D*D]
	clear(dst)
	mean := make([]float64, D)
	mx.Mean(mean)
	for k, w := range mx.weights() {
		mu := mx.Means[k*D : (k+1)*D]
		c := mx.CovIndex[k]
		for i := range D {
			for j := range D {
				cov := 0.0
				if mx.Chol == nil {
					if i == j {
						cov = mx.Var[c*D+i]
					}
				} else {
					C := mx.Chol[c*D*D : (c+1)*D*D]
					for l := 0; l <= min(i, j); l++ {
						cov += C[i*D+l] * C[j*D+l]
					}
				}
				dst[i*D+j] += w * (cov + (mu[i]-mean[i])*(mu[j]-mean[j]))
			}
		}
	}
}

// Sample draws n independent samples into dst (n rows of Dim; if dst is
// shorter it draws nothing): a component with probability equal to its
// weight, then a Gaussian draw from it.
func (mx *Mixture) Sample(rng *rand.Rand, n int, dst []float64) {
	D := mx.Dim
	if n <= 0 || len(dst) < n*D || mx.Len() == 0 {
		return
	}
	cum := mx.weights()
	for k := 1; k < len(cum); k++ {
		cum[k] += cum[k-1]
	}
	total := cum[len(cum)-1]
	xi := make([]float64, D)
	for s := range n {
		k := pickCumulative(cum, rng.Float64()*total)
		y := dst[s*D : (s+1)*D]
		mx.draw(k, rng, xi, y)
	}
}

// pickCumulative returns the first k with cum[k] > u, so that components of
// zero weight are never chosen.
func pickCumulative(cum []float64, u float64) int {
	k := sort.Search(len(cum), func(i int) bool { return cum[i] > u })
	if k == len(cum) { // u rounded onto the total
		k--
		for k > 0 && cum[k] == cum[k-1] {
			k--
		}
	}
	return k
}

func (mx *Mixture) draw(k int, rng *rand.Rand, xi, y []float64) {
	D := mx.Dim
	mean := mx.Means[k*D : (k+1)*D]
	c := mx.CovIndex[k]
	if mx.Chol == nil {
		v := mx.Var[c*D : (c+1)*D]
		for d := range D {
			y[d] = mean[d] + math.Sqrt(v[d])*rng.NormFloat64()
		}
		return
	}
	C := mx.Chol[c*D*D : (c+1)*D*D]
	for d := range D {
		xi[d] = rng.NormFloat64()
	}
	for i := range D {
		y[i] = mean[i] + vecmath.Dot(C[i*D:i*D+i+1], xi[:i+1])
	}
}
