package eot

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
)

// Conditionaler is implemented by models whose conditional π(·|x) is a
// Gaussian mixture in closed form (EBiEOT-GMM).
type Conditionaler interface {
	Conditional(x []float64) *energy.Mixture
}

// PredictOptions control Trained.Predict.
type PredictOptions struct {
	// Quantiles are the levels of the per-coordinate marginal quantiles,
	// each in (0, 1) (default 0.05, 0.5, 0.95).
	Quantiles []float64
	// Samples is the number of draws per row for models without a
	// closed-form conditional (default 1000); row i uses the stream
	// (Seed, i).
	Samples int
	Seed    uint64
}

// Prediction holds point predictions of y for rows of x, in the user's
// units: the conditional mean of every y column and, for every quantile
// level, the quantile of the column's marginal under π(·|x).
type Prediction struct {
	Mean      datasets.Matrix   // rows × Dy
	Levels    []float64         // the quantile levels
	Quantiles []datasets.Matrix // one rows × Dy matrix per level
	// Exact is true when the values come from the closed-form mixture;
	// otherwise they are estimated from Samples draws per row.
	Exact   bool
	Samples int
}

// DefaultQuantiles are the levels Predict uses by default: a 90 % interval
// and the median.
func DefaultQuantiles() []float64 { return []float64{0.05, 0.5, 0.95} }

// Predict returns the conditional mean and marginal quantiles of every y
// column for every row of x. For a closed-form GMM they are exact (the
// quantile of a one-dimensional mixture, solved by bisection to 1e-12 of
// the column's spread); otherwise they are estimated from samples, whose
// number the result states.
func (t *Trained) Predict(ctx context.Context, x datasets.Matrix, opt PredictOptions) (*Prediction, error) {
	if err := t.checkX(x); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	levels, err := checkLevels(opt.Quantiles)
	if err != nil {
		return nil, err
	}
	dy := len(t.YNames)
	all := &Prediction{Mean: datasets.NewMatrix(0, dy), Levels: slices.Clone(levels), Exact: true}
	all.Quantiles = make([]datasets.Matrix, len(levels))
	for l := range levels {
		all.Quantiles[l] = datasets.NewMatrix(0, dy)
	}
	appendRows := func(dst *datasets.Matrix, m datasets.Matrix) {
		dst.Data = append(dst.Data, m.Data...)
		dst.Rows += m.Rows
	}
	err = t.StreamPredict(ctx, MatrixChunks(x, datasets.Matrix{}, 0), opt, StreamOptions{Threads: t.threads}, func(_ Chunk, p *Prediction) error {
		appendRows(&all.Mean, p.Mean)
		for l := range levels {
			appendRows(&all.Quantiles[l], p.Quantiles[l])
		}
		all.Exact, all.Samples = p.Exact, p.Samples
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := t.Model.(Conditionaler); !ok {
		all.Exact = false
	}
	return all, nil
}

// Mixtures returns π(·|x) for every row of x as a Gaussian mixture in the
// user's units, for models with a closed-form conditional.
func (t *Trained) Mixtures(x datasets.Matrix) ([]*energy.Mixture, error) {
	c, ok := t.Model.(Conditionaler)
	if !ok {
		return nil, fmt.Errorf("mixtures: the %s model's conditional has no closed form", t.Spec().Kind)
	}
	if err := t.checkX(x); err != nil {
		return nil, fmt.Errorf("mixtures: %w", err)
	}
	xs := t.Scaler.X.Transform(x)
	out := make([]*energy.Mixture, x.Rows)
	for i := range x.Rows {
		mx := c.Conditional(xs.Row(i))
		if mx == nil {
			return nil, fmt.Errorf("mixtures: row %d: %w", i+1, energy.ErrShape)
		}
		out[i] = t.toUserUnits(mx)
	}
	return out, nil
}

// toUserUnits maps a mixture in the model's y coordinates to the user's:
// y = ỹ·std + mean per column.
func (t *Trained) toUserUnits(mx *energy.Mixture) *energy.Mixture {
	D := mx.Dim
	st := t.Scaler.Y
	out := &energy.Mixture{Dim: D, LogWeights: slices.Clone(mx.LogWeights), Means: slices.Clone(mx.Means), CovIndex: slices.Clone(mx.CovIndex)}
	for k := range out.LogWeights {
		m := out.Means[k*D : (k+1)*D]
		for d := range m {
			m[d] = m[d]*st.Std[d] + st.Mean[d]
		}
	}
	if mx.Chol == nil {
		out.Var = slices.Clone(mx.Var)
		for i := range out.Var {
			d := i % D
			out.Var[i] *= st.Std[d] * st.Std[d]
		}
		return out
	}
	out.Chol = slices.Clone(mx.Chol)
	for i := range out.Chol {
		out.Chol[i] *= st.Std[(i/D)%D]
	}
	return out
}

// marginalOf returns the weights, means and standard deviations of
// coordinate d's one-dimensional marginal of mx.
func marginalOf(mx *energy.Mixture, d int) (w, mu, sd []float64) {
	D, K := mx.Dim, mx.Len()
	w, mu, sd = make([]float64, K), make([]float64, K), make([]float64, K)
	lse := math.Inf(-1)
	for _, lw := range mx.LogWeights {
		lse = logAdd(lse, lw)
	}
	for k, lw := range mx.LogWeights {
		w[k] = math.Exp(lw - lse)
		mu[k] = mx.Means[k*D+d]
		c := mx.CovIndex[k]
		if mx.Chol == nil {
			sd[k] = math.Sqrt(mx.Var[c*D+d])
			continue
		}
		row := mx.Chol[c*D*D+d*D : c*D*D+d*D+d+1]
		s := 0.0
		for _, v := range row {
			s += v * v
		}
		sd[k] = math.Sqrt(s)
	}
	return w, mu, sd
}

func logAdd(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// mixtureQuantile solves Σ_k w_k Φ((q − μ_k)/σ_k) = p for q: Newton's
// method on the CDF, whose derivative is the mixture density, kept inside
// a bracket that every step shrinks and that bisection takes over where
// Newton would leave it (in the flat tails and gaps between components,
// where the density is tiny). Bisection alone needed ~40 CDF evaluations
// per quantile and dominated predict's time; this needs ~6.
func mixtureQuantile(w, mu, sd []float64, p float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	mean, second := 0.0, 0.0
	for k := range w {
		lo = math.Min(lo, mu[k]-40*sd[k])
		hi = math.Max(hi, mu[k]+40*sd[k])
		mean += w[k] * mu[k]
		second += w[k] * (mu[k]*mu[k] + sd[k]*sd[k])
	}
	tol := 1e-13 * (hi - lo)
	// Start at the quantile of the Gaussian with the mixture's mean and
	// variance: exact for one component, close for most conditionals.
	spread := math.Sqrt(math.Max(second-mean*mean, 0))
	q := math.Min(math.Max(mean-spread*math.Sqrt2*math.Erfcinv(2*p), lo), hi)
	for range 200 {
		cdf, pdf := 0.0, 0.0
		for k := range w {
			z := (q - mu[k]) / sd[k]
			cdf += w[k] * 0.5 * math.Erfc(-z/math.Sqrt2)
			pdf += w[k] * math.Exp(-0.5*z*z) / (sd[k] * math.Sqrt(2*math.Pi))
		}
		if cdf < p {
			lo = q
		} else {
			hi = q
		}
		step := (cdf - p) / pdf
		if math.Abs(step) <= tol {
			return q - step // converged: the step is below the resolution asked for
		}
		next := q - step
		if !(next > lo && next < hi) {
			next = 0.5 * (lo + hi)
		}
		if math.Abs(next-q) <= tol || hi-lo <= tol {
			return next
		}
		q = next
	}
	return q
}

// empiricalQuantile is the linear-interpolation quantile (type 7) of sorted
// values.
func empiricalQuantile(sorted []float64, q float64) float64 {
	h := q * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}

// SampleBridge draws, for every row x of x and each of n samples, the point
// at time tt ∈ [0, 1] of the Brownian bridge from x to y ~ π(·|x):
//
//	x_t = (1 − t)·x + t·y + √(ε·t·(1 − t))·z,  z ~ N(0, I),
//
// the time-t marginal of the Schrödinger bridge for the quadratic cost
// (docs/method.md §9.4), in the user's units (a quadratic-cost model keeps
// them). Rows [i·n, (i+1)·n) belong to row i; tt = 1 gives Sample's output.
// Models with another cost are refused: for them x_t is not the bridge.
func (t *Trained) SampleBridge(ctx context.Context, x datasets.Matrix, n int, tt float64, seed uint64) (datasets.Matrix, error) {
	if err := t.checkBridge(tt); err != nil {
		return datasets.Matrix{}, err
	}
	if err := t.checkX(x); err != nil {
		return datasets.Matrix{}, fmt.Errorf("bridge: %w", err)
	}
	if n < 1 {
		return datasets.Matrix{}, fmt.Errorf("bridge: %d samples per row; need at least 1", n)
	}
	// Fixed-cost models work in the user's units; for any other scaler
	// the bridge is refused by checkBridge.
	return t.sampleAll(ctx, x, SampleOptions{N: n, Seed: seed, Bridge: true, Time: tt})
}
