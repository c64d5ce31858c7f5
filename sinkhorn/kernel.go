package sinkhorn

import (
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// kernelRun is the state of the scaling solver on K = exp(−C/ε): the
// kernel, the scalings u and v, and the row sums K v of the last pass. Its
// methods are the steps of kernelIterate.
type kernelRun struct {
	s      *solver
	k      []float64 // n × m kernel
	u, v   []float64
	rowSum []float64 // (K v)_i of the last pass
	bad    []bool    // per row block: a pass left the finite positive range
	inv    float64   // 1/ε
}

// kernelIterate runs the scaling solver on K = exp(−C/ε): u = a / (K v),
// then v ← v · b / (v ⊙ Kᵀu), both from one pass over the rows of K. It
// returns done = true when it finished (converged or out of iterations) and
// left f, g, w, planCost set. On under- or overflow it returns done = false,
// with gValid telling whether g holds the last finite potentials to continue
// from in the log domain.
func (s *solver) kernelIterate() (done, gValid bool, err error) {
	kr, err := newKernelRun(s)
	if err != nil {
		return false, false, err
	}
	ok, err := kr.start()
	if err != nil || !ok {
		return false, false, err
	}
	o, eps := s.opt, s.eps
	for {
		ok, err := kr.pass(nil)
		if err != nil {
			return false, false, err
		}
		if !ok {
			return false, kr.toG(), nil
		}
		s.iterations++
		e := s.marginalError()
		s.history = append(s.history, e)
		if o.Tol > 0 && e <= o.Tol {
			s.converged = true
			break
		}
		if s.iterations >= o.MaxIter {
			break
		}
		if !kr.updateV() {
			// Part of v overflowed, but the pass before ran with finite v,
			// so f is finite: continue from it with exact columns.
			for i, sum := range kr.rowSum {
				s.f[i] = -eps * math.Log(sum)
			}
			if err := s.exactColumns(nil); err != nil {
				return false, false, err
			}
			return false, true, nil
		}
	}
	// Potentials of the plan diag(u) K diag(v): f = ε log(u/a) = −ε log(Kv),
	// g = ε log(v/b).
	for i, sum := range kr.rowSum {
		s.f[i] = -eps * math.Log(sum)
	}
	if !kr.toG() {
		return false, false, nil
	}
	if err := kr.planCost(); err != nil {
		return false, false, err
	}
	return true, true, nil
}

// newKernelRun forms K = exp(−C/ε) row by row.
func newKernelRun(s *solver) (*kernelRun, error) {
	n, m := s.n, s.m
	kr := &kernelRun{s: s, k: make([]float64, n*m), u: make([]float64, n), rowSum: make([]float64, n), v: make([]float64, m),
		bad: make([]bool, blockCount(s.threads, n)), inv: 1 / s.eps}
	err := parallelBlocks(s.ctx, s.threads, n, func(blk, i0, i1 int) {
		for i := i0; i < i1; i++ {
			row := kr.k[i*m : (i+1)*m]
			for j, c := range s.cost.row(i, 0, m, s.rowbuf[blk]) {
				row[j] = -c * kr.inv
			}
			vecmath.ExpTo(row, row)
		}
	})
	if err != nil {
		return nil, err
	}
	return kr, nil
}

// start sets v from the warm start or from one pass with u = 1 (u from the
// warm f): the cold start of POT and the textbook loop. It reports false on
// under- or overflow.
func (kr *kernelRun) start() (bool, error) {
	s, v := kr.s, kr.v
	if s.opt.WarmG != nil {
		for j, g := range s.g {
			v[j] = s.b[j] * math.Exp(g*kr.inv)
		}
	} else {
		init := make([]float64, s.n)
		for i := range init {
			init[i] = 1
		}
		if s.opt.WarmF != nil {
			for i, f := range s.opt.WarmF {
				init[i] = s.a[i] * math.Exp(f*kr.inv)
			}
		}
		ok, err := kr.pass(init)
		if err != nil || !ok {
			return false, err
		}
		// v = b / (Kᵀ u0), zero for zero-weight targets.
		for j, w := range s.w {
			if s.b[j] == 0 {
				v[j] = 0
				continue
			}
			v[j] = s.b[j] / w
			if !(v[j] > 0 && v[j] <= math.MaxFloat64) {
				return false, nil
			}
		}
	}
	for j := range v {
		if s.b[j] > 0 && !(v[j] > 0 && v[j] <= math.MaxFloat64) {
			return false, nil
		}
	}
	return true, nil
}

// pass sets u = a / (K v) (or u = init when init is non-nil), then w = v ⊙
// Kᵀu, and reports whether everything stayed finite and positive.
func (kr *kernelRun) pass(init []float64) (bool, error) {
	s, m := kr.s, kr.s.m
	// Alternate the direction of the sweep: the rows read last are still
	// in cache at the start of the next pass, which spares part of the
	// memory traffic when K is a few times the cache size.
	reverse := s.iterations%2 == 1
	err := parallelBlocks(s.ctx, s.threads, s.n, func(blk, i0, i1 int) {
		acc := s.wpart[blk]
		clear(acc)
		kr.bad[blk] = false
		for r := i0; r < i1; r++ {
			i := r
			if reverse {
				i = i0 + i1 - 1 - r
			}
			row := kr.k[i*m : (i+1)*m]
			var ui float64
			if init != nil {
				ui = init[i]
			} else {
				sum := floats.Dot(row, kr.v)
				kr.rowSum[i] = sum
				if !(sum > 0 && sum <= math.MaxFloat64) {
					kr.bad[blk] = true
					return
				}
				ui = s.a[i] / sum
				kr.u[i] = ui
			}
			if ui == 0 {
				continue
			}
			if !(ui <= math.MaxFloat64) {
				kr.bad[blk] = true
				return
			}
			floats.AddScaled(acc, ui, row)
		}
	})
	if err != nil {
		return false, err
	}
	for _, b := range kr.bad {
		if b {
			return false, nil
		}
	}
	s.reduce()
	if init != nil {
		return true, nil
	}
	for j := range s.w {
		s.w[j] *= kr.v[j]
		if !(s.w[j] <= math.MaxFloat64) {
			return false, nil
		}
	}
	return true, nil
}

// updateV makes the column marginals exact; false on under/overflow.
func (kr *kernelRun) updateV() bool {
	s := kr.s
	for j, w := range s.w {
		if s.b[j] == 0 {
			continue
		}
		nv := kr.v[j] * s.b[j] / w
		if !(nv > 0 && nv <= math.MaxFloat64) {
			return false
		}
		kr.v[j] = nv
	}
	return true
}

// toG sets g = ε log(v/b); false if a value is not finite.
func (kr *kernelRun) toG() bool {
	s := kr.s
	for j, vj := range kr.v {
		if s.b[j] == 0 {
			continue
		}
		g := s.eps * math.Log(vj/s.b[j])
		if math.IsInf(g, 0) || math.IsNaN(g) {
			return false
		}
		s.g[j] = g
	}
	return true
}

// planCost sets ⟨P, C⟩ from K, the scalings and recomputed cost rows.
func (kr *kernelRun) planCost() error {
	s, m := kr.s, kr.s.m
	err := parallelBlocks(s.ctx, s.threads, s.n, func(blk, i0, i1 int) {
		var total float64
		for i := i0; i < i1; i++ {
			if kr.u[i] == 0 {
				continue
			}
			row := kr.k[i*m : (i+1)*m]
			var rc float64
			for j, c := range s.cost.row(i, 0, m, s.rowbuf[blk]) {
				rc += row[j] * kr.v[j] * c
			}
			total += kr.u[i] * rc
		}
		s.costPart[blk] = total
	})
	if err != nil {
		return err
	}
	s.planCost = 0
	for _, c := range s.costPart[:blockCount(s.threads, s.n)] {
		s.planCost += c
	}
	return nil
}
