package sinkhorn

import (
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// kernelIterate runs the scaling solver on K = exp(−C/ε): u = a / (K v),
// then v ← v · b / (v ⊙ Kᵀu), both from one pass over the rows of K. It
// returns done = true when it finished (converged or out of iterations) and
// left f, g, w, planCost set. On under- or overflow it returns done = false,
// with gValid telling whether g holds the last finite potentials to continue
// from in the log domain.
func (s *solver) kernelIterate() (done, gValid bool, err error) {
	n, m, eps, o := s.n, s.m, s.eps, s.opt
	k := make([]float64, n*m)
	inv := 1 / eps
	err = parallelBlocks(s.ctx, s.threads, n, func(blk, i0, i1 int) {
		for i := i0; i < i1; i++ {
			row := k[i*m : (i+1)*m]
			for j, c := range s.cost.row(i, 0, m, s.rowbuf[blk]) {
				row[j] = -c * inv
			}
			vecmath.ExpTo(row, row)
		}
	})
	if err != nil {
		return false, false, err
	}
	u := make([]float64, n)
	rowSum := make([]float64, n)
	v := make([]float64, m)
	bad := make([]bool, blockCount(s.threads, n))

	// pass sets u = a / (K v) (or u = given when init is non-nil), then
	// w = v ⊙ Kᵀu, and reports whether everything stayed finite and positive.
	pass := func(init []float64) (bool, error) {
		// Alternate the direction of the sweep: the rows read last are
		// still in cache at the start of the next pass, which spares part
		// of the memory traffic when K is a few times the cache size.
		reverse := s.iterations%2 == 1
		err := parallelBlocks(s.ctx, s.threads, n, func(blk, i0, i1 int) {
			acc := s.wpart[blk]
			clear(acc)
			bad[blk] = false
			for r := i0; r < i1; r++ {
				i := r
				if reverse {
					i = i0 + i1 - 1 - r
				}
				row := k[i*m : (i+1)*m]
				var ui float64
				if init != nil {
					ui = init[i]
				} else {
					sum := floats.Dot(row, v)
					rowSum[i] = sum
					if !(sum > 0 && sum <= math.MaxFloat64) {
						bad[blk] = true
						return
					}
					ui = s.a[i] / sum
					u[i] = ui
				}
				if ui == 0 {
					continue
				}
				if !(ui <= math.MaxFloat64) {
					bad[blk] = true
					return
				}
				floats.AddScaled(acc, ui, row)
			}
		})
		if err != nil {
			return false, err
		}
		for _, b := range bad {
			if b {
				return false, nil
			}
		}
		s.reduce()
		if init != nil {
			return true, nil
		}
		for j := range s.w {
			s.w[j] *= v[j]
			if !(s.w[j] <= math.MaxFloat64) {
				return false, nil
			}
		}
		return true, nil
	}
	// updateV makes the column marginals exact; false on under/overflow.
	updateV := func() bool {
		for j, w := range s.w {
			if s.b[j] == 0 {
				continue
			}
			nv := v[j] * s.b[j] / w
			if !(nv > 0 && nv <= math.MaxFloat64) {
				return false
			}
			v[j] = nv
		}
		return true
	}
	toG := func() bool {
		for j, vj := range v {
			if s.b[j] == 0 {
				continue
			}
			g := eps * math.Log(vj/s.b[j])
			if math.IsInf(g, 0) || math.IsNaN(g) {
				return false
			}
			s.g[j] = g
		}
		return true
	}

	switch {
	case o.WarmG != nil:
		for j, g := range s.g {
			v[j] = s.b[j] * math.Exp(g*inv)
		}
	default:
		// Cold start from u = 1, as POT and the textbook loop do.
		init := make([]float64, n)
		for i := range init {
			init[i] = 1
		}
		if o.WarmF != nil {
			init = make([]float64, n)
			for i, f := range o.WarmF {
				init[i] = s.a[i] * math.Exp(f*inv)
			}
		}
		ok, err := pass(init)
		if err != nil || !ok {
			return false, false, err
		}
		// v = b / (Kᵀ u0), zero for zero-weight targets.
		for j, w := range s.w {
			if s.b[j] == 0 {
				v[j] = 0
				continue
			}
			v[j] = s.b[j] / w
			if !(v[j] > 0 && v[j] <= math.MaxFloat64) {
				return false, false, nil
			}
		}
	}
	for j := range v {
		if s.b[j] > 0 && !(v[j] > 0 && v[j] <= math.MaxFloat64) {
			return false, false, nil
		}
	}
	for {
		ok, err := pass(nil)
		if err != nil {
			return false, false, err
		}
		if !ok {
			return false, toG(), nil
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
		if !updateV() {
			// Part of v overflowed, but the pass before ran with finite v,
			// so f is finite: continue from it with exact columns.
			for i, sum := range rowSum {
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
	for i, sum := range rowSum {
		s.f[i] = -eps * math.Log(sum)
	}
	if !toG() {
		return false, false, nil
	}
	// ⟨P, C⟩ from K, the scalings and recomputed cost rows.
	err = parallelBlocks(s.ctx, s.threads, n, func(blk, i0, i1 int) {
		var total float64
		for i := i0; i < i1; i++ {
			if u[i] == 0 {
				continue
			}
			row := k[i*m : (i+1)*m]
			var rc float64
			for j, c := range s.cost.row(i, 0, m, s.rowbuf[blk]) {
				rc += row[j] * v[j] * c
			}
			total += u[i] * rc
		}
		s.costPart[blk] = total
	})
	if err != nil {
		return false, false, err
	}
	s.planCost = 0
	for _, c := range s.costPart[:blockCount(s.threads, n)] {
		s.planCost += c
	}
	return true, true, nil
}
