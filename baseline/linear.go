package baseline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// DefaultRidge is the ridge penalty per pair used when the caller has no
// better value. On standardised x's it shrinks the slopes by about 0.1 % when
// there are many more pairs than x dimensions, and it keeps the normal
// equations solvable when x's are collinear.
const DefaultRidge = 1e-3

// Errors callers can branch on.
var (
	// ErrShape reports slices whose lengths disagree with the dimensions.
	ErrShape = errors.New("baseline: shape mismatch")
	// ErrInvalid reports a non-finite value or an invalid parameter.
	ErrInvalid = errors.New("baseline: invalid argument")
	// ErrUnderdetermined reports pairs too few (or too collinear) for the
	// regression: the normal equations are singular, or the fit has no
	// residual degrees of freedom left to estimate Σ. A larger ridge helps.
	ErrUnderdetermined = errors.New("baseline: too few pairs for the regression")
)

// LinearGaussian is the conditional model y | x ~ N(W x + c, Σ).
// It is immutable after construction and safe for concurrent use.
type LinearGaussian struct {
	dx, dy int
	w      []float64 // dy × dx, row-major
	c      []float64 // dy
	cov    []float64 // dy × dy, row-major
	chol   []float64 // lower Cholesky factor of cov, dy × dy row-major
	// logNorm = −½·log det(2πΣ), the log-density at the mean.
	logNorm float64
	dof     float64 // residual degrees of freedom of the fit (0 if given)
}

// FitLinearGaussian fits the model to rows pairs (pairX: rows × dx, pairY:
// rows × dy, row-major) by minimising
//
//	(1/rows)·Σ_i ‖y_i − W x_i − c‖² + ridge·‖W‖²_F
//
// (the intercept is not penalised; ridge = 0 is ordinary least squares).
// Σ is the residual covariance with the degrees-of-freedom correction of
// ridge regression, RᵀR/(rows − 1 − df) with df = Σ_k e_k/(e_k + rows·ridge)
// over the eigenvalues e_k of the centred XᵀX (df = dx for least squares,
// which makes Σ unbiased), plus a jitter of 1e-9·tr(Σ)/dy + 1e-12 on the
// diagonal so that it stays positive definite. If rows − 1 − df < 1 the fit
// interpolates the pairs and ErrUnderdetermined is returned.
func FitLinearGaussian(pairX, pairY []float64, rows, dx, dy int, ridge float64) (*LinearGaussian, error) {
	switch {
	case dx < 1 || dy < 1 || rows < 0:
		return nil, fmt.Errorf("fit linear gaussian: %w: %d rows of %d → %d dimensions", ErrShape, rows, dx, dy)
	case len(pairX) != rows*dx || len(pairY) != rows*dy:
		return nil, fmt.Errorf("fit linear gaussian: %w: %d x values and %d y values for %d rows of %d → %d", ErrShape, len(pairX), len(pairY), rows, dx, dy)
	case !(ridge >= 0) || math.IsInf(ridge, 0):
		return nil, fmt.Errorf("fit linear gaussian: %w: ridge %v must be finite and ≥ 0", ErrInvalid, ridge)
	case rows < 2:
		return nil, fmt.Errorf("fit linear gaussian: %w: %d pairs", ErrUnderdetermined, rows)
	}
	if err := finite("x", pairX); err != nil {
		return nil, fmt.Errorf("fit linear gaussian: %w", err)
	}
	if err := finite("y", pairY); err != nil {
		return nil, fmt.Errorf("fit linear gaussian: %w", err)
	}
	n := float64(rows)
	xc, xMean := centred(pairX, rows, dx)
	yc, yMean := centred(pairY, rows, dy)

	gram := mat.NewSymDense(dx, nil)
	gram.SymOuterK(1, xc.T())
	df := float64(dx)
	if ridge > 0 {
		var eig mat.EigenSym
		if !eig.Factorize(gram, false) {
			return nil, fmt.Errorf("fit linear gaussian: %w: eigendecomposition of XᵀX did not converge", ErrInvalid)
		}
		df = 0
		for _, e := range eig.Values(nil) {
			e = max(e, 0)
			df += e / (e + n*ridge)
		}
	}
	penalised := mat.NewSymDense(dx, nil)
	penalised.CopySym(gram)
	for k := range dx {
		penalised.SetSym(k, k, penalised.At(k, k)+n*ridge)
	}
	var chol mat.Cholesky
	if !chol.Factorize(penalised) {
		return nil, fmt.Errorf("fit linear gaussian: %w: XᵀX is singular (collinear or constant x's); use a ridge > 0", ErrUnderdetermined)
	}
	var xty, coef mat.Dense // coef = Wᵀ, dx × dy
	xty.Mul(xc.T(), yc)
	if err := chol.SolveTo(&coef, &xty); err != nil {
		return nil, fmt.Errorf("fit linear gaussian: %w: %v", ErrUnderdetermined, err)
	}
	denom := n - 1 - df
	if denom < 1 {
		return nil, fmt.Errorf("fit linear gaussian: %w: %d pairs leave %.3g residual degrees of freedom after %.3g effective parameters; raise the ridge", ErrUnderdetermined, rows, denom, df)
	}
	var resid mat.Dense
	resid.Mul(xc, &coef)
	resid.Sub(yc, &resid)
	rss := mat.NewSymDense(dy, nil)
	rss.SymOuterK(1/denom, resid.T())

	m := &LinearGaussian{dx: dx, dy: dy, w: make([]float64, dy*dx), c: make([]float64, dy), cov: make([]float64, dy*dy), dof: denom}
	for j := range dy {
		m.c[j] = yMean[j]
		for k := range dx {
			w := coef.At(k, j)
			m.w[j*dx+k] = w
			m.c[j] -= w * xMean[k]
		}
	}
	jitter := 1e-9*mat.Trace(rss)/float64(dy) + 1e-12
	for i := range dy {
		for j := range dy {
			m.cov[i*dy+j] = rss.At(i, j)
		}
		m.cov[i*dy+i] += jitter
	}
	if err := m.factorise(); err != nil {
		return nil, fmt.Errorf("fit linear gaussian: %w", err)
	}
	return m, nil
}

// NewLinearGaussian returns the model with the given W (dy × dx, row-major),
// c (dy) and Σ (dy × dy, row-major, symmetric positive definite). The slices
// are copied.
func NewLinearGaussian(w, c, cov []float64, dx, dy int) (*LinearGaussian, error) {
	if dx < 1 || dy < 1 || len(w) != dy*dx || len(c) != dy || len(cov) != dy*dy {
		return nil, fmt.Errorf("linear gaussian: %w: W %d, c %d, Σ %d values for %d → %d dimensions", ErrShape, len(w), len(c), len(cov), dx, dy)
	}
	for _, p := range []struct {
		name string
		v    []float64
	}{{"W", w}, {"c", c}, {"Σ", cov}} {
		if err := finite(p.name, p.v); err != nil {
			return nil, fmt.Errorf("linear gaussian: %w", err)
		}
	}
	for i := range dy {
		for j := range i {
			if cov[i*dy+j] != cov[j*dy+i] {
				return nil, fmt.Errorf("linear gaussian: %w: Σ is not symmetric at (%d,%d)", ErrInvalid, i, j)
			}
		}
	}
	m := &LinearGaussian{dx: dx, dy: dy, w: clone(w), c: clone(c), cov: clone(cov)}
	if err := m.factorise(); err != nil {
		return nil, fmt.Errorf("linear gaussian: %w", err)
	}
	return m, nil
}

// factorise fills chol and logNorm from cov.
func (m *LinearGaussian) factorise() error {
	var chol mat.Cholesky
	if !chol.Factorize(mat.NewSymDense(m.dy, clone(m.cov))) {
		return fmt.Errorf("%w: Σ is not positive definite", ErrInvalid)
	}
	var lower mat.TriDense
	chol.LTo(&lower)
	m.chol = make([]float64, m.dy*m.dy)
	var logDet float64
	for i := range m.dy {
		for j := 0; j <= i; j++ {
			m.chol[i*m.dy+j] = lower.At(i, j)
		}
		logDet += 2 * math.Log(m.chol[i*m.dy+i])
	}
	m.logNorm = -0.5 * (float64(m.dy)*math.Log(2*math.Pi) + logDet)
	return nil
}

// XDim is the dimension of x.
func (m *LinearGaussian) XDim() int { return m.dx }

// YDim is the dimension of y.
func (m *LinearGaussian) YDim() int { return m.dy }

// Weights returns a copy of W (YDim × XDim, row-major).
func (m *LinearGaussian) Weights() []float64 { return clone(m.w) }

// Intercept returns a copy of c.
func (m *LinearGaussian) Intercept() []float64 { return clone(m.c) }

// Cov returns a copy of Σ (YDim × YDim, row-major), jitter included.
func (m *LinearGaussian) Cov() []float64 { return clone(m.cov) }

// ResidualDOF is the denominator used for Σ by FitLinearGaussian (zero for a
// model built by NewLinearGaussian).
func (m *LinearGaussian) ResidualDOF() float64 { return m.dof }

// ConditionalMean writes W x + c into dst (len YDim).
func (m *LinearGaussian) ConditionalMean(x, dst []float64) error {
	if len(x) != m.dx || len(dst) != m.dy {
		return fmt.Errorf("conditional mean: %w: x of %d and dst of %d values, want %d and %d", ErrShape, len(x), len(dst), m.dx, m.dy)
	}
	m.mean(x, dst)
	return nil
}

func (m *LinearGaussian) mean(x, dst []float64) {
	for j := range m.dy {
		s := m.c[j]
		for k, w := range m.w[j*m.dx : (j+1)*m.dx] {
			s += w * x[k]
		}
		dst[j] = s
	}
}

// LogProb returns log N(y | W x + c, Σ). It returns NaN when x or y has the
// wrong length.
func (m *LinearGaussian) LogProb(x, y []float64) float64 {
	if len(x) != m.dx || len(y) != m.dy {
		return math.NaN()
	}
	u := make([]float64, m.dy)
	m.mean(x, u)
	for j := range u {
		u[j] = y[j] - u[j]
	}
	// Forward substitution L u' = y − μ, in place: ‖u'‖² is the Mahalanobis
	// distance.
	var q float64
	for i := range m.dy {
		s := u[i]
		row := m.chol[i*m.dy : i*m.dy+i]
		for k, l := range row {
			s -= l * u[k]
		}
		u[i] = s / m.chol[i*m.dy+i]
		q += u[i] * u[i]
	}
	return m.logNorm - 0.5*q
}

// Sample draws n samples of y | x into dst (n rows of YDim) as
// W x + c + L z with Σ = L Lᵀ and z ~ N(0, I) from rng, in row order, so the
// same rng state gives the same bits.
func (m *LinearGaussian) Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error {
	switch {
	case len(x) != m.dx:
		return fmt.Errorf("sample: %w: x has %d values, want %d", ErrShape, len(x), m.dx)
	case n < 0 || len(dst) != n*m.dy:
		return fmt.Errorf("sample: %w: dst has %d values for %d samples of %d", ErrShape, len(dst), n, m.dy)
	case rng == nil:
		return fmt.Errorf("sample: %w: nil random source", ErrInvalid)
	}
	mu := make([]float64, m.dy)
	m.mean(x, mu)
	z := make([]float64, m.dy)
	for i := range n {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sample: %w", err)
			}
		}
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		out := dst[i*m.dy : (i+1)*m.dy]
		for j := range m.dy {
			s := mu[j]
			for k, l := range m.chol[j*m.dy : j*m.dy+j+1] {
				s += l * z[k]
			}
			out[j] = s
		}
	}
	return nil
}

func centred(data []float64, rows, cols int) (*mat.Dense, []float64) {
	mean := make([]float64, cols)
	for i := range rows {
		for k, v := range data[i*cols : (i+1)*cols] {
			mean[k] += v
		}
	}
	for k := range mean {
		mean[k] /= float64(rows)
	}
	c := mat.NewDense(rows, cols, nil)
	for i := range rows {
		for k := range cols {
			c.Set(i, k, data[i*cols+k]-mean[k])
		}
	}
	return c, mean
}

func finite(name string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: %s value %d is %v", ErrInvalid, name, i, x)
		}
	}
	return nil
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }
