package gmm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/parallel"
	"github.com/ebieot/ebieot/internal/vecmath"
	"github.com/ebieot/ebieot/points"
)

// EMOptions control FitMarginal.
type EMOptions struct {
	// Iterations bounds the EM iterations (default 200).
	Iterations int
	// Tol stops EM when the mean log-likelihood gains less than this per
	// iteration (default 1e-6).
	Tol float64
	// Reg is added to every variance (the diagonal of every covariance),
	// in the data's units, so that a component cannot collapse onto a few
	// identical points (default 1e-3: data standardised to unit variance
	// keep components at least 0.03 standard deviations wide).
	Reg float64
	// Threads is the number of goroutines of the E-step (0 = one per CPU);
	// the result does not depend on it.
	Threads int
	// Restarts is the number of EM runs from different k-means++ seedings
	// (default 1); the one with the highest likelihood is kept. EM finds a
	// local optimum, and in many dimensions a poor one is not rare.
	Restarts int
}

func (o EMOptions) withDefaults() EMOptions {
	if o.Iterations <= 0 {
		o.Iterations = 200
	}
	if o.Tol <= 0 {
		o.Tol = 1e-6
	}
	if o.Reg <= 0 {
		o.Reg = 1e-3
	}
	if o.Restarts <= 0 {
		o.Restarts = 1
	}
	return o
}

// Marginal is a Gaussian mixture fitted to a sample of y: the x-blind model
// of the target marginal, and the potential EBiEOT-GMM starts from (with the
// cost heads at zero the conditional is this mixture for every x, see
// docs/method.md §9.2).
type Marginal struct {
	Dim     int
	Full    bool      // full covariances (else diagonal)
	Weights []float64 // N
	Means   []float64 // N × Dim
	// Cov holds N rows of Dim variances (diagonal) or N row-major Dim × Dim
	// covariance matrices (full).
	Cov []float64
	// LogLik is the mean log-density of the fitted sample.
	LogLik float64
	// Iterations is the number of EM iterations run.
	Iterations int
}

// Components is the number of mixture components.
func (m *Marginal) Components() int { return len(m.Weights) }

// Params is the number of free parameters of the mixture.
func (m *Marginal) Params() int { return marginalParams(m.Components(), m.Dim, m.Full) }

func marginalParams(n, d int, full bool) int {
	cov := d
	if full {
		cov = d * (d + 1) / 2
	}
	return n - 1 + n*d + n*cov
}

// ErrMarginal is wrapped when a mixture cannot be fitted to the data given.
var ErrMarginal = errors.New("gmm: cannot fit the marginal mixture")

// FitMarginal fits an n-component Gaussian mixture to the rows of y by
// k-means++ seeding and EM, with diagonal or full covariances regularised
// by opt.Reg. rng drives the seeding only.
func FitMarginal(ctx context.Context, y points.Set, n int, full bool, opt EMOptions, rng *rand.Rand) (*Marginal, error) {
	o := opt.withDefaults()
	D := y.Cols
	switch {
	case y.Validate() != nil || D < 1:
		return nil, fmt.Errorf("%w: %w: %d×%d sample", ErrMarginal, energy.ErrShape, y.Rows, y.Cols)
	case n < 1:
		return nil, fmt.Errorf("%w: %d components", ErrMarginal, n)
	case y.Rows < 2*n:
		return nil, fmt.Errorf("%w: %d rows for %d components; need at least two rows per component", ErrMarginal, y.Rows, n)
	}
	for i, v := range y.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %w: row %d has %v", ErrMarginal, energy.ErrNonFinite, i/D, v)
		}
	}
	var best *Marginal
	var lastErr error
	for range o.Restarts {
		m, err := runEM(ctx, y, n, full, o, rng)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			lastErr = err
			continue
		}
		if best == nil || m.LogLik > best.LogLik {
			best = m
		}
	}
	if best == nil {
		return nil, lastErr
	}
	return best, nil
}

// runEM is one EM run from a k-means++ seeding drawn with rng.
func runEM(ctx context.Context, y points.Set, n int, full bool, o EMOptions, rng *rand.Rand) (*Marginal, error) {
	e := newEM(y, n, full, o)
	e.seed(rng)
	prev := math.Inf(-1)
	for it := 1; it <= o.Iterations; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := e.mStep(); err != nil {
			return nil, err
		}
		ll, err := e.eStep(ctx)
		if err != nil {
			return nil, err
		}
		e.m.LogLik, e.m.Iterations = ll, it
		if ll-prev < o.Tol*max(1, math.Abs(ll)) {
			break
		}
		prev = ll
	}
	return e.m, nil
}

// LogProb returns the mixture's log-density at y (len Dim).
func (m *Marginal) LogProb(y []float64) float64 {
	return m.Mixture().LogProb(y)
}

// Mixture returns m as an energy.Mixture (Cholesky factors for full
// covariances).
func (m *Marginal) Mixture() *energy.Mixture {
	N, D := m.Components(), m.Dim
	mx := &energy.Mixture{Dim: D, LogWeights: make([]float64, N), Means: append([]float64(nil), m.Means...), CovIndex: make([]int, N)}
	for k, w := range m.Weights {
		mx.LogWeights[k] = math.Log(w)
		mx.CovIndex[k] = k
	}
	if !m.Full {
		mx.Var = append([]float64(nil), m.Cov...)
		return mx
	}
	mx.Chol = make([]float64, N*D*D)
	for k := range N {
		L, ok := cholesky(m.Cov[k*D*D:(k+1)*D*D], D)
		if !ok {
			return nil
		}
		copy(mx.Chol[k*D*D:], L)
	}
	return mx
}

// cholesky returns the lower factor of a symmetric positive definite D × D
// matrix.
func cholesky(a []float64, D int) ([]float64, bool) {
	var c mat.Cholesky
	if !c.Factorize(mat.NewSymDense(D, append([]float64(nil), a...))) {
		return nil, false
	}
	var L mat.TriDense
	c.LTo(&L)
	out := make([]float64, D*D)
	for i := range D {
		for j := 0; j <= i; j++ {
			out[i*D+j] = L.At(i, j)
		}
	}
	return out, true
}

// em is the state of one EM run.
type em struct {
	y    points.Set
	o    EMOptions
	m    *Marginal
	resp []float64 // rows × N responsibilities
	ll   []float64 // per-row log-density
}

func newEM(y points.Set, n int, full bool, o EMOptions) *em {
	D := y.Cols
	cov := D
	if full {
		cov = D * D
	}
	return &em{y: y, o: o, resp: make([]float64, y.Rows*n), ll: make([]float64, y.Rows),
		m: &Marginal{Dim: D, Full: full, Weights: make([]float64, n), Means: make([]float64, n*D), Cov: make([]float64, n*cov)}}
}

// seed chooses k-means++ centres, runs a few Lloyd iterations and sets hard
// responsibilities from them, so that the first M-step starts EM at the
// k-means partition.
func (e *em) seed(rng *rand.Rand) {
	y, N, D := e.y, e.m.Components(), e.y.Cols
	centres := make([]float64, N*D)
	d2 := make([]float64, y.Rows)
	copy(centres, y.Row(rng.IntN(y.Rows)))
	for i := range d2 {
		d2[i] = sqDist(y.Row(i), centres[:D])
	}
	for k := 1; k < N; k++ {
		total := 0.0
		for _, v := range d2 {
			total += v
		}
		pick := rng.IntN(y.Rows)
		if total > 0 {
			u := rng.Float64() * total
			for i, v := range d2 {
				if u -= v; u <= 0 {
					pick = i
					break
				}
			}
		}
		c := centres[k*D : (k+1)*D]
		copy(c, y.Row(pick))
		for i := range d2 {
			d2[i] = min(d2[i], sqDist(y.Row(i), c))
		}
	}
	assign := make([]int, y.Rows)
	for range 10 {
		for i := range y.Rows {
			best, bd := 0, math.Inf(1)
			for k := range N {
				if d := sqDist(y.Row(i), centres[k*D:(k+1)*D]); d < bd {
					best, bd = k, d
				}
			}
			assign[i] = best
		}
		count := make([]float64, N)
		clear(centres)
		for i, k := range assign {
			count[k]++
			vecmath.Axpy(1, y.Row(i), centres[k*D:(k+1)*D])
		}
		for k := range N {
			if count[k] == 0 {
				// An empty cluster takes the point farthest from its centre.
				far, fd := 0, -1.0
				for i, a := range assign {
					if d := sqDist(y.Row(i), centres[a*D:(a+1)*D]); d > fd {
						far, fd = i, d
					}
				}
				copy(centres[k*D:(k+1)*D], y.Row(far))
				continue
			}
			for d := range D {
				centres[k*D+d] /= count[k]
			}
		}
	}
	clear(e.resp)
	for i, k := range assign {
		e.resp[i*N+k] = 1
	}
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}

// mStep sets the weights, means and covariances from the responsibilities.
func (e *em) mStep() error {
	y, m := e.y, e.m
	N, D, R := m.Components(), m.Dim, y.Rows
	for k := range N {
		nk := 0.0
		for i := range R {
			nk += e.resp[i*N+k]
		}
		// A component that lost all its points restarts as a broad one at
		// the sample mean, rather than dividing by zero.
		empty := nk < 1e-10
		m.Weights[k] = max(nk, 1e-10) / float64(R)
		mean := m.Means[k*D : (k+1)*D]
		clear(mean)
		for i := range R {
			w := e.resp[i*N+k]
			if empty {
				w = 1
			}
			vecmath.Axpy(w, y.Row(i), mean)
		}
		if empty {
			nk = float64(R)
		}
		for d := range mean {
			mean[d] /= nk
		}
		if !m.Full {
			v := m.Cov[k*D : (k+1)*D]
			clear(v)
			for i := range R {
				w := e.resp[i*N+k]
				if empty {
					w = 1
				}
				row := y.Row(i)
				for d := range D {
					r := row[d] - mean[d]
					v[d] += w * r * r
				}
			}
			for d := range v {
				v[d] = v[d]/nk + e.o.Reg
			}
			continue
		}
		c := m.Cov[k*D*D : (k+1)*D*D]
		clear(c)
		r := make([]float64, D)
		for i := range R {
			w := e.resp[i*N+k]
			if empty {
				w = 1
			}
			if w == 0 {
				continue
			}
			row := y.Row(i)
			for d := range D {
				r[d] = row[d] - mean[d]
			}
			for a := range D {
				wa := w * r[a]
				ca := c[a*D : a*D+a+1]
				for b := range ca {
					ca[b] += wa * r[b]
				}
			}
		}
		for a := range D {
			for b := 0; b <= a; b++ {
				c[a*D+b] /= nk
				c[b*D+a] = c[a*D+b]
			}
			c[a*D+a] += e.o.Reg
		}
	}
	total := 0.0
	for _, w := range m.Weights {
		total += w
	}
	for k := range m.Weights {
		m.Weights[k] /= total
	}
	return nil
}

// scorer evaluates a mixture's component log-densities fast: the
// normalising constants are computed once, not per row and coordinate.
type scorer struct {
	mx   *energy.Mixture
	base []float64 // per component: log weight + log normalising constant
	inv  []float64 // 1/variance (diagonal covariances)
}

func newScorer(mx *energy.Mixture) *scorer {
	N, D := mx.Len(), mx.Dim
	sc := &scorer{mx: mx, base: make([]float64, N)}
	for k := range N {
		sc.base[k] = mx.LogWeights[k] - 0.5*float64(D)*math.Log(2*math.Pi)
		if mx.Chol == nil {
			for d := range D {
				sc.base[k] -= 0.5 * math.Log(mx.Var[k*D+d])
			}
			continue
		}
		for d := range D {
			sc.base[k] -= math.Log(mx.Chol[k*D*D+d*D+d])
		}
	}
	if mx.Chol == nil {
		sc.inv = make([]float64, N*D)
		for i, v := range mx.Var {
			sc.inv[i] = 1 / v
		}
	}
	return sc
}

// components writes log w_k + log N(y | μ_k, Σ_k) into r (N values) and
// returns their log-sum-exp, the mixture's log-density; u is D scratch.
func (sc *scorer) components(y, r, u []float64) float64 {
	mx, D := sc.mx, sc.mx.Dim
	for k := range r {
		mean := mx.Means[k*D : (k+1)*D]
		q := 0.0
		if sc.inv != nil {
			iv := sc.inv[k*D : (k+1)*D]
			for d, v := range y {
				t := v - mean[d]
				q += t * t * iv[d]
			}
		} else {
			// ‖L⁻¹(y − μ)‖² by forward substitution.
			C := mx.Chol[k*D*D : (k+1)*D*D]
			for a := range D {
				t := y[a] - mean[a]
				for j, c := range C[a*D : a*D+a] {
					t -= c * u[j]
				}
				u[a] = t / C[a*D+a]
				q += u[a] * u[a]
			}
		}
		r[k] = sc.base[k] - 0.5*q
	}
	return vecmath.LogSumExp(r)
}

// LogProbs returns the mixture's log-density at every row of y.
func (m *Marginal) LogProbs(y points.Set) []float64 {
	mx := m.Mixture()
	out := make([]float64, y.Rows)
	if mx == nil {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	sc := newScorer(mx)
	r, u := make([]float64, m.Components()), make([]float64, m.Dim)
	for i := range y.Rows {
		out[i] = sc.components(y.Row(i), r, u)
	}
	return out
}

// eStep sets the responsibilities and returns the mean log-likelihood.
func (e *em) eStep(ctx context.Context) (float64, error) {
	mx := e.m.Mixture()
	if mx == nil {
		return 0, fmt.Errorf("%w: a covariance is not positive definite", ErrMarginal)
	}
	sc := newScorer(mx)
	N, D := e.m.Components(), e.m.Dim
	const block = 64
	blocks := (e.y.Rows + block - 1) / block
	err := parallel.For(ctx, e.o.Threads, blocks, func(_, b int) error {
		u := make([]float64, D)
		for i := b * block; i < min(e.y.Rows, (b+1)*block); i++ {
			r := e.resp[i*N : (i+1)*N]
			lse := sc.components(e.y.Row(i), r, u)
			e.ll[i] = lse
			for k := range r {
				r[k] = math.Exp(r[k] - lse)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s := 0.0
	for _, v := range e.ll {
		s += v
	}
	ll := s / float64(e.y.Rows)
	if math.IsNaN(ll) || math.IsInf(ll, 0) {
		return ll, fmt.Errorf("%w: %w: log-likelihood %v", ErrMarginal, energy.ErrNonFinite, ll)
	}
	return ll, nil
}

// tiltMarginal returns the mixture proportional to mg(y)·exp(−‖y‖²/(2ε)):
// component n becomes N(C Σ⁻¹ r, C) with C = (Σ⁻¹ + I/ε)⁻¹ and weight
// ∝ w·N(r | 0, Σ + εI), the product of two Gaussians.
func tiltMarginal(mg *Marginal, eps float64) (*Marginal, error) {
	N, D := mg.Components(), mg.Dim
	out := &Marginal{Dim: D, Full: mg.Full, Weights: make([]float64, N), Means: make([]float64, N*D), Cov: make([]float64, len(mg.Cov))}
	logw := make([]float64, N)
	for n := range N {
		r := mg.Means[n*D : (n+1)*D]
		m := out.Means[n*D : (n+1)*D]
		logw[n] = math.Log(mg.Weights[n])
		if !mg.Full {
			for d := range D {
				v := mg.Cov[n*D+d]
				c := v * eps / (v + eps)
				out.Cov[n*D+d] = c
				m[d] = c * r[d] / v
				logw[n] += -0.5*math.Log(2*math.Pi*(v+eps)) - 0.5*r[d]*r[d]/(v+eps)
			}
			continue
		}
		sigma := mat.NewSymDense(D, append([]float64(nil), mg.Cov[n*D*D:(n+1)*D*D]...))
		var chol mat.Cholesky
		if !chol.Factorize(sigma) {
			return nil, fmt.Errorf("%w: covariance %d is not positive definite", ErrMarginal, n)
		}
		var prec mat.SymDense
		if err := chol.InverseTo(&prec); err != nil {
			return nil, fmt.Errorf("%w: covariance %d: %v", ErrMarginal, n, err)
		}
		for d := range D {
			prec.SetSym(d, d, prec.At(d, d)+1/eps)
		}
		var pc mat.Cholesky
		if !pc.Factorize(&prec) {
			return nil, fmt.Errorf("%w: tilted precision %d is not positive definite", ErrMarginal, n)
		}
		var C mat.SymDense
		if err := pc.InverseTo(&C); err != nil {
			return nil, fmt.Errorf("%w: tilted covariance %d: %v", ErrMarginal, n, err)
		}
		// m = C Σ⁻¹ r = C (P − I/ε) r = r − C r / ε.
		rv := mat.NewVecDense(D, append([]float64(nil), r...))
		var cr mat.VecDense
		cr.MulVec(&C, rv)
		for d := range D {
			m[d] = r[d] - cr.AtVec(d)/eps
			for e := range D {
				out.Cov[n*D*D+d*D+e] = C.At(d, e)
			}
		}
		// log N(r | 0, Σ + εI).
		se := mat.NewSymDense(D, nil)
		se.CopySym(sigma)
		for d := range D {
			se.SetSym(d, d, se.At(d, d)+eps)
		}
		var sc mat.Cholesky
		if !sc.Factorize(se) {
			return nil, fmt.Errorf("%w: covariance %d plus ε is not positive definite", ErrMarginal, n)
		}
		var z mat.VecDense
		if err := sc.SolveVecTo(&z, rv); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMarginal, err)
		}
		logw[n] += -0.5*float64(D)*math.Log(2*math.Pi) - 0.5*sc.LogDet() - 0.5*mat.Dot(rv, &z)
	}
	lse := vecmath.LogSumExp(logw)
	for n, v := range logw {
		out.Weights[n] = math.Exp(v - lse)
	}
	return out, nil
}

// NewFromMarginal returns a model whose potential is the mixture mg and
// whose cost heads start at (or, with headStd > 0, near) zero, so that
// π(y|x) = mg(y) for every x: training starts at the x-blind model and can
// only add what the pairs say about x (docs/method.md §9.2).
// spec.Potentials and spec.FullCov must match mg.
//
// The output layers of both heads are drawn from N(0, headStd²) and the
// hidden layers of MLP heads as in New. headStd = 0 gives exactly the
// marginal, but then the M tilts are identical, receive identical
// gradients and stay identical: the cost has effectively one tilt. A small
// headStd (New uses 0.01) breaks that symmetry at a negligible distance
// from the marginal.
func NewFromMarginal(spec energy.Spec, mg *Marginal, headStd float64, rng *rand.Rand) (*Model, error) {
	g, err := newLayout(spec)
	if err != nil {
		return nil, err
	}
	s := g.spec
	N, D := s.Potentials, s.YDim
	switch {
	case mg.Components() != N || mg.Dim != D || mg.Full != s.FullCov:
		return nil, fmt.Errorf("new GMM: %w: marginal has %d %d-dimensional components (full %v), the spec %d of dimension %d (full %v)",
			energy.ErrShape, mg.Components(), mg.Dim, mg.Full, N, D, s.FullCov)
	}
	if s.Cost == energy.CostQuadratic {
		// The model keeps v(y)·exp(−‖y‖²/(2ε)) as its mixture (the cost is
		// then −⟨x, y⟩), so the potential ε·log v starts at the marginal.
		if mg, err = tiltMarginal(mg, s.Eps); err != nil {
			return nil, fmt.Errorf("new GMM: %w", err)
		}
	}
	p := g.params
	if !s.FixedCost() {
		g.bNet.init(p, headStd, rng)
		g.vNet.init(p, headStd, rng)
	}
	eps := g.workEps()
	for n, w := range mg.Weights {
		p[g.offRawW+n] = math.Log(w)
	}
	copy(p[g.offA:g.offA+N*D], mg.Means)
	// The potential's covariances are ε·A_n.
	if !s.FullCov {
		for i, v := range mg.Cov {
			p[g.offCov+i] = softplusInv(v / eps)
		}
	} else {
		k := packedLen(D)
		for n := range N {
			A := make([]float64, D*D)
			for i, v := range mg.Cov[n*D*D : (n+1)*D*D] {
				A[i] = v / eps
			}
			L, ok := cholesky(A, D)
			if !ok {
				return nil, fmt.Errorf("new GMM: %w: covariance %d is not positive definite", ErrMarginal, n)
			}
			packed := p[g.offCov+n*k : g.offCov+(n+1)*k]
			for i := range D {
				copy(packed[packedLen(i):packedLen(i)+i], L[i*D:i*D+i])
				packed[packedLen(i)+i] = softplusInv(L[i*D+i])
			}
		}
	}
	for i, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("new GMM: %w: parameter %d (%s) is %v", energy.ErrNonFinite, i, g.blockName(i), v)
		}
	}
	return g, nil
}
