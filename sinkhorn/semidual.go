package sinkhorn

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/ebieot/ebieot/internal/vecmath"
	"github.com/ebieot/ebieot/optim"
)

// ErrSemiDualInput reports inconsistent sizes, weights, costs or ε given to
// the semi-dual solver.
var ErrSemiDualInput = errors.New("sinkhorn: invalid semi-dual input")

// SemiDualResult is the solution of the entropic OT semi-dual.
type SemiDualResult struct {
	// G is the target potential found by the optimizer and F its
	// c-transform, F_i = −ε·log Σ_j b_j exp((G_j − C_ij)/ε); the plan is
	// P_ij = a_i b_j exp((F_i + G_j − C_ij)/ε). Both are in cost units and
	// determined up to F + c, G − c; G starts from 0.
	F, G []float64
	// Value is the semi-dual objective Σ a_i F_i + Σ b_j G_j, which at the
	// optimum equals OT_ε = ⟨P, C⟩ + ε·KL(P ‖ a⊗b).
	Value float64
	// TransportCost is ⟨P, C⟩ of the returned plan (the value without the
	// entropic term, as POT's sinkhorn2 reports it).
	TransportCost float64
	// MarginalError is Σ_j |(Pᵀ1)_j − b_j|; the row marginals of P are
	// exact by construction of F.
	MarginalError float64
	// Iterations and Evaluations count optimizer iterations and
	// objective-and-gradient passes over the cost matrix.
	Iterations, Evaluations int
	Converged               bool
}

// SemiDualObjective is the negated semi-dual of a discrete entropic OT
// problem, a smooth convex function of the target potential g:
//
//	φ(g) = −Σ_i a_i f_i(g) − Σ_j b_j g_j,   f_i(g) = −ε·log Σ_j b_j e^{(g_j − C_ij)/ε},
//
// with gradient ∇φ(g) = Pᵀ1 − b, the column-marginal error of the plan that
// g implies. Weights are normalised to mass 1 on construction.
type SemiDualObjective struct {
	n, m    int
	cost    []float64
	a, logB []float64
	b       []float64
	eps     float64
	row     []float64 // one row: exponents, then π_{j|i}; reused
	evals   int

	// threads > 1 splits FuncGrad's rows into that many fixed blocks, each
	// with its own row and column buffers, summed in block order.
	threads int
	rows    [][]float64
	cols    [][]float64
	values  []float64
}

// NewSemiDualObjective validates the problem (cost is n×m row-major; a, b
// non-negative with positive mass; ε > 0) and returns its negated semi-dual.
// It keeps cost without copying it.
func NewSemiDualObjective(cost []float64, n, m int, a, b []float64, eps float64) (*SemiDualObjective, error) {
	if n < 1 || m < 1 || len(cost) != n*m || len(a) != n || len(b) != m {
		return nil, fmt.Errorf("%w: cost %d, n %d, m %d, a %d, b %d", ErrSemiDualInput, len(cost), n, m, len(a), len(b))
	}
	if !(eps > 0) || math.IsInf(eps, 1) {
		return nil, fmt.Errorf("%w: ε = %v must be positive and finite", ErrSemiDualInput, eps)
	}
	for i, c := range cost {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("%w: cost[%d, %d] = %v", ErrSemiDualInput, i/m, i%m, c)
		}
	}
	an, err := semiDualNormalise("a", a)
	if err != nil {
		return nil, err
	}
	bn, err := semiDualNormalise("b", b)
	if err != nil {
		return nil, err
	}
	logB := make([]float64, m)
	for j, v := range bn {
		logB[j] = math.Log(v) // −Inf for empty targets: they get no mass
	}
	return &SemiDualObjective{n: n, m: m, cost: cost, a: an, b: bn, logB: logB, eps: eps, row: make([]float64, m)}, nil
}

func semiDualNormalise(name string, w []float64) ([]float64, error) {
	var sum float64
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 1) {
			return nil, fmt.Errorf("%w: %s[%d] = %v", ErrSemiDualInput, name, i, v)
		}
		sum += v
	}
	if !(sum > 0) || math.IsInf(sum, 1) {
		return nil, fmt.Errorf("%w: %s has total mass %v", ErrSemiDualInput, name, sum)
	}
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = v / sum
	}
	return out, nil
}

// rowTransform computes row i of the c-transform, f_i = −ε·logsumexp_j t_j
// with t_j = log b_j + (g_j − C_ij)/ε, shifted by the row maximum so that
// nothing overflows at small ε. It leaves in o.row the conditional plan
// π_{j|i} = exp(t_j + f_i/ε), from the same exponentials.
func (o *SemiDualObjective) rowTransform(i int, g []float64) float64 {
	return o.rowTransformInto(o.row, i, g)
}

// rowTransformInto is rowTransform with the conditional plan left in row.
func (o *SemiDualObjective) rowTransformInto(row []float64, i int, g []float64) float64 {
	c := o.cost[i*o.m : (i+1)*o.m]
	inv := 1 / o.eps
	top := math.Inf(-1)
	row = row[:len(c)]
	for j := range c {
		t := o.logB[j] + (g[j]-c[j])*inv
		row[j] = t
		top = max(top, t)
	}
	// With top = +Inf or NaN the sum is NaN, which the value reports.
	s := vecmath.ExpShiftSum(row, top)
	inv = 1 / s
	for j := range row {
		row[j] *= inv
	}
	return -o.eps * (top + math.Log(s))
}

// SetThreads lets FuncGrad split its rows over that many goroutines (1, the
// default, runs in the caller). The value and gradient are sums over row
// blocks taken in a fixed order, so they depend on the thread count only
// through rounding, and are reproducible for a given count.
func (o *SemiDualObjective) SetThreads(threads int) {
	o.threads = max(1, min(threads, o.n))
	nb := o.threads
	o.rows, o.cols, o.values = make([][]float64, nb), make([][]float64, nb), make([]float64, nb)
	for k := range nb {
		o.rows[k], o.cols[k] = make([]float64, o.m), make([]float64, o.m)
	}
}

// FuncGrad returns φ(g) and writes ∇φ(g) = Pᵀ1 − b into grad. It makes one
// pass over the cost with one exponential per entry.
func (o *SemiDualObjective) FuncGrad(g, grad []float64) float64 {
	o.evals++
	for j := range grad {
		grad[j] = -o.b[j]
	}
	var value float64
	for j, v := range o.b {
		if v > 0 {
			value += v * g[j]
		}
	}
	if o.threads > 1 {
		// parallelBlocks with a background context cannot fail.
		_ = parallelBlocks(context.Background(), o.threads, o.n, func(k, lo, hi int) {
			col := o.cols[k]
			clear(col)
			o.values[k] = o.addRows(lo, hi, g, o.rows[k], col)
		})
		for k, col := range o.cols {
			value += o.values[k]
			for j, v := range col {
				grad[j] += v
			}
		}
		return -value
	}
	return -(value + o.addRows(0, o.n, g, o.row, grad))
}

// addRows adds a_i·π_{j|i} to col for rows lo to hi and returns Σ a_i f_i
// over them.
func (o *SemiDualObjective) addRows(lo, hi int, g, row, col []float64) float64 {
	var value float64
	for i := lo; i < hi; i++ {
		f := o.rowTransformInto(row, i, g)
		ai := o.a[i]
		value += ai * f
		if ai == 0 {
			continue
		}
		col = col[:len(row)]
		for j, pi := range row {
			col[j] += ai * pi
		}
	}
	return value
}

// Evaluations returns the number of FuncGrad calls so far.
func (o *SemiDualObjective) Evaluations() int { return o.evals }

// Problem returns the objective in the form optim.Minimize takes.
func (o *SemiDualObjective) Problem() optim.Problem {
	return optim.Problem{FuncGrad: o.FuncGrad}
}

// Result evaluates everything SemiDualResult reports at the potential g
// (which it copies).
func (o *SemiDualObjective) Result(g []float64) SemiDualResult {
	r := SemiDualResult{F: make([]float64, o.n), G: append([]float64(nil), g...)}
	col := make([]float64, o.m)
	for j, v := range o.b {
		if v > 0 {
			r.Value += v * g[j]
		}
	}
	for i := 0; i < o.n; i++ {
		f := o.rowTransform(i, g)
		r.F[i] = f
		r.Value += o.a[i] * f
		c := o.cost[i*o.m : (i+1)*o.m]
		for j, pi := range o.row {
			p := o.a[i] * pi
			col[j] += p
			if p > 0 {
				r.TransportCost += p * c[j]
			}
		}
	}
	for j := range col {
		r.MarginalError += math.Abs(col[j] - o.b[j])
	}
	return r
}

// SemiDual solves discrete entropic OT between weights a (n sources) and b
// (m targets) with cost matrix cost (n×m, row-major) and regularisation ε by
// maximising the semi-dual over the target potential with optim.Minimize
// (s.Method selects GRAAL or accelerated GRAAL; s.GradTol bounds the
// Euclidean norm of the column-marginal error). Weights are normalised to
// mass 1. Unlike Sinkhorn's alternating updates this is a single smooth
// concave maximisation, so any first-order convex method applies.
//
// If the optimizer stops early (iteration limit, cancelled context,
// non-finite values) the result at its last point is returned together
// with the error.
func SemiDual(ctx context.Context, cost []float64, n, m int, a, b []float64, eps float64, s optim.Settings) (SemiDualResult, error) {
	obj, err := NewSemiDualObjective(cost, n, m, a, b, eps)
	if err != nil {
		return SemiDualResult{}, err
	}
	opt, err := optim.Minimize(ctx, obj.Problem(), make([]float64, m), s)
	if opt.X == nil {
		if err == nil {
			err = fmt.Errorf("%w: optimizer returned no point", ErrSemiDualInput)
		}
		return SemiDualResult{}, fmt.Errorf("semi-dual: %w", err)
	}
	r := obj.Result(opt.X)
	r.Iterations = opt.Iterations
	r.Evaluations = obj.Evaluations()
	r.Converged = opt.Converged
	if err != nil {
		return r, fmt.Errorf("semi-dual (%v): %w", s.Method, err)
	}
	return r, nil
}
