package sinkhorn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// Result is the solution of an entropic OT problem. The plan is not stored:
// it is P_ij = A_i B_j exp((F_i + G_j − C_ij)/Eps), recomputed on demand
// from the cost, so a Result keeps the problem's points and, when the solver
// stored it, the n×m cost matrix alive.
type Result struct {
	F, G []float64 // dual potentials in the cost's units (lengths n, m)
	A, B []float64 // the normalised weights

	Cost      float64 // transport cost ⟨P, C⟩
	Objective float64 // ⟨P, C⟩ + ε KL(P ‖ a⊗b), the entropic OT value OT_ε
	Eps       float64 // the ε used (after EpsRelativeToMedianCost)

	Iterations     int       // Sinkhorn iterations, all ε-scaling stages included
	MarginalErrors []float64 // L1 marginal error after each iteration
	Converged      bool      // the returned plan met the tolerance
	Method         Method    // solver that produced the final potentials
	FellBack       bool      // the kernel solver under/overflowed and the log domain finished
	// Polished is set when Sinkhorn stalled and L-BFGS on the semi-dual
	// finished the potentials (Divergence does this; see polishSemiDual),
	// after PolishIterations L-BFGS iterations.
	Polished         bool
	PolishIterations int

	cost    *costSource
	n, m, d int
	y       []float64
	threads int
}

// MarginalError is the L1 marginal error of the returned plan (NaN if no
// iteration ran).
func (r *Result) MarginalError() float64 {
	if len(r.MarginalErrors) == 0 {
		return math.NaN()
	}
	return r.MarginalErrors[len(r.MarginalErrors)-1]
}

func (s *solver) result(p *Problem, src *costSource) *Result {
	var obj, mass float64
	for i, f := range s.f {
		if s.a[i] > 0 {
			obj += s.a[i] * f
		}
	}
	for j, g := range s.g {
		if s.w[j] > 0 {
			obj += g * s.w[j]
		}
		mass += s.w[j]
	}
	obj -= s.eps * (mass - 1)
	if s.cost.dense != nil {
		src = s.cost // keep the materialised matrix for Plan()
	}
	return &Result{
		F: s.f, G: s.g, A: s.a, B: s.b,
		Cost: s.planCost, Objective: obj, Eps: s.eps,
		Iterations: s.iterations, MarginalErrors: s.history, Converged: s.converged,
		Method: s.method, FellBack: s.fellBack,
		cost: src, n: p.N, m: p.M, d: p.D, y: p.Y, threads: s.threads,
	}
}

// PlanRow writes row i of the plan into dst (length ≥ m) and returns it.
func (r *Result) PlanRow(i int, dst []float64) []float64 {
	dst = dst[:r.m]
	r.logRow(i, r.cost.row(i, 0, r.m, dst), dst, true)
	vecmath.ExpTo(dst, dst)
	return dst
}

// logRow sets dst_j = log P_ij from the cost row c (dst may alias c). With
// withA false, the factor A_i is left out, which gives the conditional plan
// row up to normalisation even for zero-weight sources.
func (r *Result) logRow(i int, c, dst []float64, withA bool) {
	inv := 1 / r.Eps
	base := r.F[i] * inv
	if withA {
		base += math.Log(r.A[i])
	}
	for j, cj := range c {
		dst[j] = base + (r.G[j]-cj)*inv + math.Log(r.B[j])
	}
}

// PlanRows calls fn with every row of the plan in order, reusing one buffer
// (fn must not retain it). It stops at fn's first error or when ctx is done.
func (r *Result) PlanRows(ctx context.Context, fn func(i int, row []float64) error) error {
	buf := make([]float64, r.m)
	for i := 0; i < r.n; i++ {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(i, r.PlanRow(i, buf)); err != nil {
			return err
		}
	}
	return nil
}

// Plan returns the dense n×m plan, row-major.
func (r *Result) Plan() []float64 {
	out := make([]float64, r.n*r.m)
	_ = parallelBlocks(context.Background(), r.threads, r.n, func(_, i0, i1 int) {
		for i := i0; i < i1; i++ {
			r.PlanRow(i, out[i*r.m:(i+1)*r.m])
		}
	})
	return out
}

// BarycentricMap returns the n×D matrix of conditional means
// T(x_i) = Σ_j P_ij y_j / Σ_j P_ij. Zero-weight sources get the mean of the
// conditional their potential defines. It needs target points.
func (r *Result) BarycentricMap() ([]float64, error) {
	if r.y == nil || r.d == 0 {
		return nil, fmt.Errorf("%w: the barycentric map needs target points", ErrInvalidProblem)
	}
	d := r.d
	out := make([]float64, r.n*d)
	_ = parallelBlocks(context.Background(), r.threads, r.n, func(_, i0, i1 int) {
		buf := make([]float64, r.m)
		for i := i0; i < i1; i++ {
			r.logRow(i, r.cost.row(i, 0, r.m, buf), buf, false)
			mx := slices.Max(buf)
			sum := vecmath.ExpShiftSum(buf, mx)
			t := out[i*d : (i+1)*d]
			for j, p := range buf {
				if p == 0 {
					continue
				}
				for k, yk := range r.y[j*d : (j+1)*d] {
					t[k] += p * yk
				}
			}
			for k := range t {
				t[k] /= sum
			}
		}
	})
	return out, nil
}

// Pair is a (source, target) index pair.
type Pair struct{ I, J int }

// SamplePairs draws k independent index pairs from the plan (normalised to
// mass 1): a source i by its weight, then a target from row i. Each distinct
// row is computed once. The result is sorted by I and, within a row, in the
// order drawn; it depends only on rng's state.
func (r *Result) SamplePairs(rng *rand.Rand, k int) []Pair {
	if k <= 0 {
		return nil
	}
	cumA := cumulative(r.A)
	rows := make([]int, k)
	for t := range rows {
		rows[t] = searchCum(cumA, rng.Float64())
	}
	sort.Ints(rows)
	pairs := make([]Pair, 0, k)
	buf := make([]float64, r.m)
	for t := 0; t < k; {
		i := rows[t]
		r.logRow(i, r.cost.row(i, 0, r.m, buf), buf, false)
		vecmath.ExpShiftSum(buf, slices.Max(buf))
		cum := cumulative(buf)
		for ; t < k && rows[t] == i; t++ {
			pairs = append(pairs, Pair{I: i, J: searchCum(cum, rng.Float64())})
		}
	}
	return pairs
}

// cumulative returns the running sums of w scaled so that the last is 1.
func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	var s float64
	for i, v := range w {
		s += v
		c[i] = s
	}
	for i := range c {
		c[i] /= s
	}
	return c
}

// searchCum returns the first index whose cumulative weight exceeds u,
// skipping zero-weight entries.
func searchCum(cum []float64, u float64) int {
	i := sort.SearchFloat64s(cum, u)
	for i < len(cum)-1 && cum[i] <= u {
		i++
	}
	return min(i, len(cum)-1)
}
