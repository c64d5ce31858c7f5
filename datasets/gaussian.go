package datasets

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// GaussianEOT is the benchmark whose entropic OT plan is known in closed
// form: source marginal N(MuX, diag(A²)), target marginal N(MuY, diag(B²)),
// cost ½‖x−y‖² and temperature Eps. With diagonal marginals the plan
// factorises over dimensions, and in dimension d
//
//	y_d | x ~ N(MuY_d + k_d (x_d − MuX_d), Eps·k_d),
//	k_d = (−Eps + sqrt(Eps² + 4 A_d² B_d²)) / (2 A_d²).
//
// (The plan's log-density has cross term x·y/Eps, so the conditional slope
// over the conditional variance is 1/Eps; matching the target variance
// k²A² + Eps·k = B² gives the quadratic whose positive root is k.)
type GaussianEOT struct {
	MuX, A, MuY, B []float64 // means and per-dimension standard deviations
	Eps            float64
}

// DefaultGaussianEOT is the `generate gaussian` problem in dimension dim: MuX
// = 0; A_d = 1, 1.5, 2 repeating; MuY_d = −1, 1, 2 repeating; B_d = 0.5, 1,
// 1.5, 2 repeating — different scales and shifts in every dimension, so that
// a model that ignores a dimension's scale or mean shows it.
func DefaultGaussianEOT(dim int, eps float64) GaussianEOT {
	g := GaussianEOT{MuX: make([]float64, dim), A: make([]float64, dim), MuY: make([]float64, dim), B: make([]float64, dim), Eps: eps}
	for d := range dim {
		g.A[d] = 1 + 0.5*float64(d%3)
		g.MuY[d] = []float64{-1, 1, 2}[d%3]
		g.B[d] = 0.5 + 0.5*float64(d%4)
	}
	return g
}

// Dim is the dimension of both spaces.
func (g GaussianEOT) Dim() int { return len(g.MuX) }

// Validate checks the dimensions and that every parameter is finite, the
// deviations and Eps positive.
func (g GaussianEOT) Validate() error {
	d := len(g.MuX)
	if d == 0 {
		return errors.New("gaussian EOT problem needs at least one dimension")
	}
	if len(g.A) != d || len(g.MuY) != d || len(g.B) != d {
		return fmt.Errorf("gaussian EOT problem: MuX, A, MuY, B have lengths %d, %d, %d, %d; want equal", d, len(g.A), len(g.MuY), len(g.B))
	}
	if !(g.Eps > 0) || math.IsInf(g.Eps, 0) {
		return fmt.Errorf("gaussian EOT problem: eps %v must be finite and positive", g.Eps)
	}
	for j := range d {
		if !finite(g.MuX[j]) || !finite(g.MuY[j]) {
			return fmt.Errorf("gaussian EOT problem: mean in dimension %d is not finite", j+1)
		}
		if !(g.A[j] > 0) || !(g.B[j] > 0) || !finite(g.A[j]) || !finite(g.B[j]) {
			return fmt.Errorf("gaussian EOT problem: deviations in dimension %d (%v, %v) must be finite and positive", j+1, g.A[j], g.B[j])
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// K returns the slopes k_d of the conditional mean.
func (g GaussianEOT) K() []float64 {
	k := make([]float64, len(g.A))
	for d, a := range g.A {
		a2 := a * a
		// Written as 2B²/(ε + sqrt(ε² + 4A²B²)), the same root without the
		// cancellation of −ε + sqrt(…) when ε ≫ A·B.
		k[d] = 2 * g.B[d] * g.B[d] / (g.Eps + math.Sqrt(g.Eps*g.Eps+4*a2*g.B[d]*g.B[d]))
	}
	return k
}

// CondMean writes the mean of y | x into dst (length Dim).
func (g GaussianEOT) CondMean(x, dst []float64) {
	for d, k := range g.K() {
		dst[d] = g.MuY[d] + k*(x[d]-g.MuX[d])
	}
}

// CondVar returns the per-dimension variances Eps·k_d of y | x (the same for
// every x).
func (g GaussianEOT) CondVar() []float64 {
	k := g.K()
	for d := range k {
		k[d] *= g.Eps
	}
	return k
}

// CrossCov returns Cov(x_d, y_d) = k_d A_d² under the plan; the joint
// covariance has no other off-diagonal entries.
func (g GaussianEOT) CrossCov() []float64 {
	k := g.K()
	for d := range k {
		k[d] *= g.A[d] * g.A[d]
	}
	return k
}

// LogProb is the exact log-density of y given x under the plan.
func (g GaussianEOT) LogProb(x, y []float64) float64 {
	var lp float64
	for d, k := range g.K() {
		v := g.Eps * k
		r := y[d] - g.MuY[d] - k*(x[d]-g.MuX[d])
		lp -= 0.5 * (math.Log(2*math.Pi*v) + r*r/v)
	}
	return lp
}

// SampleX draws n sources from N(MuX, diag(A²)).
func (g GaussianEOT) SampleX(rng *rand.Rand, n int) Matrix {
	return sampleDiag(rng, n, g.MuX, g.A)
}

// SampleY draws n targets from the marginal N(MuY, diag(B²)).
func (g GaussianEOT) SampleY(rng *rand.Rand, n int) Matrix {
	return sampleDiag(rng, n, g.MuY, g.B)
}

// SampleCond draws n samples of y | x.
func (g GaussianEOT) SampleCond(rng *rand.Rand, x []float64, n int) Matrix {
	mean := make([]float64, g.Dim())
	g.CondMean(x, mean)
	sd := g.CondVar()
	for d := range sd {
		sd[d] = math.Sqrt(sd[d])
	}
	return sampleDiag(rng, n, mean, sd)
}

// Streams draws a data set from the plan: paired (x, y) with x from the
// source marginal and y from y | x, then independent unpaired sources and
// targets from the marginals. Columns are named x1..xD and y1..yD. g must
// satisfy Validate.
func (g GaussianEOT) Streams(rng *rand.Rand, paired, sources, targets int) *Streams {
	dim := g.Dim()
	pairX := g.SampleX(rng, paired)
	pairY := NewMatrix(paired, dim)
	k := g.K()
	sd := g.CondVar()
	for d := range sd {
		sd[d] = math.Sqrt(sd[d])
	}
	for i := range paired {
		x, y := pairX.Row(i), pairY.Row(i)
		for d := range dim {
			y[d] = g.MuY[d] + k[d]*(x[d]-g.MuX[d]) + sd[d]*rng.NormFloat64()
		}
	}
	return &Streams{
		XNames:  columnNames("x", dim),
		YNames:  columnNames("y", dim),
		PairX:   pairX,
		PairY:   pairY,
		SourceX: g.SampleX(rng, sources),
		TargetY: g.SampleY(rng, targets),
	}
}

// columnNames returns prefix1 … prefixN.
func columnNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = prefix + strconv.Itoa(i+1)
	}
	return names
}

func sampleDiag(rng *rand.Rand, n int, mean, sd []float64) Matrix {
	m := NewMatrix(n, len(mean))
	for i := range n {
		row := m.Row(i)
		for d := range row {
			row[d] = mean[d] + sd[d]*rng.NormFloat64()
		}
	}
	return m
}
