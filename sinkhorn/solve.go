package sinkhorn

import (
	"context"
	"fmt"
	"math"

	"github.com/ebieot/ebieot/internal/vecmath"
	"gonum.org/v1/gonum/floats"
)

// underflowFloor: a column marginal below this was accumulated from terms
// that may have underflowed, so that column's potential is recomputed with an
// exact max-shifted log-sum-exp instead.
const underflowFloor = 1e-280

// solver holds the state of one Solve call.
type solver struct {
	ctx     context.Context
	opt     Options
	cost    *costSource
	n, m    int
	a, b    []float64
	la, lb  []float64 // log weights (−Inf for zero weights)
	threads int

	eps  float64
	f, g []float64
	w    []float64 // column marginals of the plan (f, g)
	// planCost is ⟨P, C⟩ of the plan (f, g).
	planCost float64

	// Over-relaxation: fRelaxed = (1−ω)f + ω·T(g) and wRelaxed, the column
	// marginals of the plan (fRelaxed, g), computed in the same pass as the
	// plain ones from the same exponentials.
	fRelaxed, wRelaxed []float64
	wRelPart           [][]float64
	// autoRelax: Relaxation is automatic and ε is small enough for it.
	autoRelax bool

	// Per-block scratch, and one vector outside the blocks.
	buf, rowbuf, wpart [][]float64
	costPart           []float64
	hgBuf              []float64

	history    []float64
	iterations int
	converged  bool
	method     Method
	fellBack   bool
	// annealAfterFallback: if the kernel solver fails, switch to ε-scaling.
	annealAfterFallback bool
	symmetric           bool
}

// Solve solves the entropic OT problem p. On success the result's plan has
// exact row marginals and a column marginal error (L1) at most the
// tolerance. If the tolerance is not reached within MaxIter iterations, Solve
// returns the result together with an error matching ErrNotConverged.
func Solve(ctx context.Context, p *Problem, opt Options) (*Result, error) {
	return solve(ctx, p, opt, false)
}

// solve is Solve; symmetric promises that the problem is OT(α, α) (same
// points and weights on both sides) and selects the averaged update
// g ← ½(g + T(g)), which converges much faster there.
func solve(ctx context.Context, p *Problem, opt Options, symmetric bool) (*Result, error) {
	o, err := opt.normalised()
	if err != nil {
		return nil, err
	}
	a, b, err := p.validate()
	if err != nil {
		return nil, err
	}
	if o.WarmF != nil && len(o.WarmF) != p.N || o.WarmG != nil && len(o.WarmG) != p.M {
		return nil, fmt.Errorf("%w: warm start has %d and %d potentials for n=%d, m=%d", ErrInvalidOptions, len(o.WarmF), len(o.WarmG), p.N, p.M)
	}
	if o.Online && p.Cost == CostMatrix {
		return nil, fmt.Errorf("%w: online mode needs points, not a cost matrix", ErrInvalidOptions)
	}
	src := newCostSource(p)
	lo, hi, err := src.spread(ctx, o.Threads)
	if err != nil {
		return nil, fmt.Errorf("sinkhorn: %w", err)
	}
	eps := o.Eps
	if o.EpsRelativeToMedianCost {
		med := src.median()
		if !(med > 0) {
			return nil, fmt.Errorf("%w: relative ε needs a positive median cost, have %v", ErrInvalidProblem, med)
		}
		eps *= med
	}
	spreadC := hi - lo
	if math.IsNaN(spreadC) || math.IsInf(spreadC, 0) {
		return nil, fmt.Errorf("%w: the cost takes non-finite values (range %v to %v)", ErrInvalidProblem, lo, hi)
	}
	method := o.Method
	if method == Auto {
		method = LogDomain
		if spreadC <= KernelMaxSpread*eps {
			method = Kernel
		}
	}
	warm := o.WarmF != nil || o.WarmG != nil
	anneal := o.Annealing == AnnealOn ||
		o.Annealing == AnnealAuto && o.Method != Kernel && !warm && o.Tol > 0 && eps < AnnealBelowSpread*spreadC
	if o.Online || anneal || symmetric {
		method = LogDomain
	}
	// The kernel solver keeps K instead of C and recomputes cost rows when
	// it needs them; the log-domain solver reads C on every pass.
	if method == LogDomain && !o.Online {
		if src, err = src.materialise(ctx, o.Threads); err != nil {
			return nil, fmt.Errorf("sinkhorn: cost matrix: %w", err)
		}
	}
	s := newSolver(ctx, o, src, a, b, eps)
	s.symmetric = symmetric
	s.autoRelax = o.Relaxation == 0 && o.Tol > 0 && eps < AnnealBelowSpread*spreadC
	s.annealAfterFallback = o.Annealing != AnnealOff && !warm && o.Tol > 0 && eps < AnnealBelowSpread*spreadC
	if err := s.run(method, anneal, spreadC); err != nil {
		return nil, fmt.Errorf("sinkhorn: %w", err)
	}
	if err := s.finishZeroColumns(); err != nil {
		return nil, fmt.Errorf("sinkhorn: %w", err)
	}
	res := s.result(p, src)
	if o.Tol > 0 && !res.Converged {
		return res, &NotConvergedError{Iterations: res.Iterations, MarginalError: res.MarginalError(), Tol: o.Tol}
	}
	return res, nil
}

func newSolver(ctx context.Context, o Options, src *costSource, a, b []float64, eps float64) *solver {
	n, m := src.n, src.m
	s := &solver{ctx: ctx, opt: o, cost: src, n: n, m: m, a: a, b: b, threads: o.Threads, eps: eps}
	s.la, s.lb = logs(a), logs(b)
	s.f, s.g, s.w = make([]float64, n), make([]float64, m), make([]float64, m)
	nb := blockCount(s.threads, n)
	s.buf, s.rowbuf, s.wpart = make([][]float64, nb), make([][]float64, nb), make([][]float64, nb)
	for k := range nb {
		s.buf[k] = make([]float64, m)
		s.rowbuf[k] = make([]float64, m)
		s.wpart[k] = make([]float64, m)
	}
	s.costPart = make([]float64, nb)
	return s
}

func logs(w []float64) []float64 {
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = math.Log(v)
	}
	return out
}

// run iterates to the tolerance (or MaxIter) and leaves f, g, w and
// planCost describing the returned plan.
func (s *solver) run(method Method, anneal bool, spreadC float64) error {
	o := s.opt
	if o.WarmF != nil {
		copy(s.f, o.WarmF)
	}
	if o.WarmG != nil {
		copy(s.g, o.WarmG)
	}
	if anneal {
		return s.annealed(spreadC)
	}
	if method == Kernel {
		s.method = Kernel
		done, gValid, err := s.kernelIterate()
		if err != nil || done {
			return err
		}
		s.fellBack = true
		if s.cost.dense == nil && !o.Online {
			if s.cost, err = s.cost.materialise(s.ctx, s.threads); err != nil {
				return err
			}
		}
		if s.annealAfterFallback {
			// The kernel failed because ε is small: anneal from scratch.
			clear(s.f)
			if o.WarmF != nil {
				copy(s.f, o.WarmF)
			}
			return s.annealed(spreadC)
		}
		if !gValid {
			clear(s.f)
			if o.WarmF != nil {
				copy(s.f, o.WarmF)
			}
			if err := s.initialColumns(); err != nil {
				return err
			}
		}
	} else if o.WarmG == nil {
		if err := s.initialColumns(); err != nil {
			return err
		}
	}
	s.method = LogDomain
	var err error
	s.converged, err = s.logIterate(o.Tol, o.MaxIter, true)
	return err
}

// finishZeroColumns gives zero-weight targets the c-transform potential
// g_j = −ε LSE_i((f_i − C_ij)/ε + log a_i), which the iterations skip.
func (s *solver) finishZeroColumns() error {
	var zero []int
	for j, b := range s.b {
		if b == 0 {
			zero = append(zero, j)
		}
	}
	if len(zero) == 0 {
		return nil
	}
	return s.exactColumns(zero)
}

// annealed runs ε-scaling: stages at ε_k = max(target, spread·factor^k),
// each run to a loose tolerance, then the target ε to the user's tolerance;
// the potentials (in cost units) carry over between stages.
func (s *solver) annealed(spreadC float64) error {
	o := s.opt
	target := s.eps
	eps := math.Max(target, spreadC)
	first := o.WarmG == nil
	if o.WarmG != nil {
		copy(s.g, o.WarmG)
	}
	// Stages stop one iteration short of MaxIter so that the target ε
	// always gets at least one pass and the result describes it.
	for eps > target && s.iterations < o.MaxIter-1 {
		s.eps = eps
		if first {
			if err := s.initialColumns(); err != nil {
				return err
			}
			first = false
		}
		if _, err := s.logIterate(math.Max(o.Tol, annealStageTol), min(o.MaxIter-1, s.iterations+annealStageIter), false); err != nil {
			return err
		}
		eps = math.Max(target, eps*o.AnnealFactor)
	}
	s.eps = target
	if first {
		if err := s.initialColumns(); err != nil {
			return err
		}
	}
	s.method = LogDomain
	var err error
	s.converged, err = s.logIterate(o.Tol, o.MaxIter, true)
	return err
}

// ε-scaling stages stop at this marginal error or after this many
// iterations; only the last stage runs to the user's tolerance.
const (
	annealStageTol  = 1e-2
	annealStageIter = 20
)

// logIterate runs log-domain passes until the marginal error is ≤ tol (tol
// ≤ 0: never) or the iteration count reaches maxIter. It reports whether the
// tolerance was met. final says whether this is the run at the target ε
// (rather than an ε-scaling stage): a fixed Options.Relaxation applies only
// there, the automatic one uses a milder ω in the stages.
func (s *solver) logIterate(tol float64, maxIter int, final bool) (bool, error) {
	if s.iterations >= maxIter {
		// Still describe the current potentials honestly.
		return false, s.logPassAll(1)
	}
	omega := 1.0
	if !s.symmetric {
		switch {
		case s.opt.Relaxation > 1 && final:
			omega = s.opt.Relaxation
		case s.autoRelax && final:
			omega = DefaultRelaxation
		case s.autoRelax:
			omega = annealStageRelaxation
		}
	}
	target, changed, recoveries := omega, s.iterations, 0
	best, bestAt := math.Inf(1), s.iterations
	for {
		// The relaxed quantities of this pass belong to its ω; the
		// safeguard's change of ω applies from the next pass.
		passOmega := omega
		if err := s.logPassAll(passOmega); err != nil {
			return false, err
		}
		s.iterations++
		e := s.marginalError()
		s.history = append(s.history, e)
		if tol > 0 && e <= tol {
			return true, nil
		}
		if s.iterations >= maxIter {
			return false, nil
		}
		if s.symmetric {
			// f = T(g) was just computed; the fixed point is g = T(g).
			for j, f := range s.f {
				s.g[j] = 0.5 * (s.g[j] + f)
			}
			continue
		}
		// Safeguard: the plain iteration converges from any potentials, so
		// shrinking ω whenever the error of the plain plan stops improving
		// keeps the relaxed iteration convergent.
		if e < best {
			best, bestAt = e, s.iterations
			if omega < target && s.iterations-changed >= relaxRecover && recoveries < relaxMaxRecoveries {
				// A lowered ω that has made progress for a while is
				// raised again: stalls far from the solution need not
				// persist near it. Bounding the raises keeps the
				// guarantee: after them, stalls only lower ω, to 1.
				omega = math.Min(target, 1+2*math.Max(omega-1, minRelaxExcess))
				changed = s.iterations
				recoveries++
			}
		} else if omega > 1 && s.iterations-bestAt >= relaxWindow {
			omega = 1 + (omega-1)/2
			if omega < 1+minRelaxExcess {
				omega = 1
			}
			bestAt, changed = s.iterations, s.iterations
		}
		if passOmega > 1 && s.relaxedColumnsValid() {
			copy(s.f, s.fRelaxed)
			for j, w := range s.wRelaxed {
				if s.b[j] != 0 {
					s.g[j] += passOmega * s.eps * (s.lb[j] - math.Log(w))
				}
			}
			continue
		}
		if err := s.updateG(); err != nil {
			return false, err
		}
	}
}

// Over-relaxation safeguard: ω−1 is halved after relaxWindow iterations
// without a new smallest marginal error, and dropped below minRelaxExcess;
// after relaxRecover iterations without a halving, a new smallest error
// doubles it again (up to the starting ω), at most relaxMaxRecoveries
// times per run.
//
// annealStageRelaxation is the automatic ω of ε-scaling stages: they are
// short and start far from their fixed point, where a large ω overshoots
// (measured on the Swiss-roll divergence: 1.5 beats 1.3 and 1.8).
const (
	relaxWindow           = 20
	relaxRecover          = 50
	relaxMaxRecoveries    = 8
	minRelaxExcess        = 0.01
	annealStageRelaxation = 1.5
)

// relaxedColumnsValid reports whether the relaxed plan's column marginals
// are all usable for a log update (no underflow, overflow or NaN, which far
// from convergence the relaxed row factors can cause); if not, the iteration
// takes a plain step instead.
func (s *solver) relaxedColumnsValid() bool {
	for j, w := range s.wRelaxed {
		if s.b[j] != 0 && !(w > underflowFloor && w <= math.MaxFloat64) {
			return false
		}
	}
	return true
}

func (s *solver) marginalError() float64 {
	var e float64
	for j, w := range s.w {
		e += math.Abs(w - s.b[j])
	}
	return e
}

// updateG sets g so that the column marginals become exact, from the column
// marginals w of the plan (f, g): g_j += ε (log b_j − log w_j). Columns whose
// marginal may have lost its mass to underflow are recomputed exactly;
// zero-weight columns are left for the end.
func (s *solver) updateG() error {
	var redo []int
	for j, w := range s.w {
		if s.b[j] == 0 {
			continue
		}
		if w > underflowFloor && w <= math.MaxFloat64 {
			s.g[j] += s.eps * (s.lb[j] - math.Log(w))
		} else {
			redo = append(redo, j)
		}
	}
	if len(redo) == 0 {
		return nil
	}
	if len(redo) > s.m/8 {
		return s.exactColumns(nil)
	}
	return s.exactColumns(redo)
}

// logPassAll makes one pass over all rows: f_i = −ε LSE_j((g_j − C_ij)/ε +
// log b_j), and accumulates the column marginals w and ⟨P, C⟩ of the plan
// (f, g), reusing the exponentials of the row update.
//
// With omega ≠ 1 it also sets fRelaxed = (1−ω)f + ω·T(g) (f being the
// potentials before the pass) and the column marginals wRelaxed of the plan
// (fRelaxed, g): its rows are those of (T(g), g) scaled by
// exp((fRelaxed_i − T(g)_i)/ε), so the same exponentials serve.
func (s *solver) logPassAll(omega float64) error {
	if omega != 1 && s.fRelaxed == nil {
		s.fRelaxed, s.wRelaxed = make([]float64, s.n), make([]float64, s.m)
		s.wRelPart = make([][]float64, len(s.wpart))
		for k := range s.wRelPart {
			s.wRelPart[k] = make([]float64, s.m)
		}
	}
	hg := s.buf0()
	inv := 1 / s.eps
	for j, g := range s.g {
		hg[j] = g*inv + s.lb[j]
	}
	err := parallelBlocks(s.ctx, s.threads, s.n, func(blk, i0, i1 int) {
		s.logPass(blk, i0, i1, hg, omega)
	})
	if err != nil {
		return err
	}
	s.reduce()
	if omega != 1 {
		copy(s.wRelaxed, s.wRelPart[0])
		for _, part := range s.wRelPart[1:blockCount(s.threads, s.n)] {
			for j, v := range part {
				s.wRelaxed[j] += v
			}
		}
	}
	return nil
}

// buf0 returns a length-m scratch vector not used by the row blocks.
func (s *solver) buf0() []float64 {
	if s.hgBuf == nil {
		s.hgBuf = make([]float64, s.m)
	}
	return s.hgBuf
}

func (s *solver) logPass(blk, i0, i1 int, hg []float64, omega float64) {
	t, rowbuf, w := s.buf[blk], s.rowbuf[blk], s.wpart[blk]
	clear(w)
	var wRel []float64
	if omega != 1 {
		wRel = s.wRelPart[blk]
		clear(wRel)
	}
	var total float64
	inv := 1 / s.eps
	for i := i0; i < i1; i++ {
		c := s.cost.row(i, 0, s.m, rowbuf)
		mx := shiftedRow(t, hg, c, inv)
		sum := vecmath.ExpShiftSum(t, mx)
		tg := -s.eps * (mx + math.Log(sum))
		coef := s.a[i] / sum
		if coef != 0 {
			total += coef * axpyDot(w, coef, t, c)
		}
		if wRel != nil {
			fr := (1-omega)*s.f[i] + omega*tg
			s.fRelaxed[i] = fr
			if rc := coef * math.Exp((fr-tg)*inv); rc != 0 {
				floats.AddScaled(wRel, rc, t)
			}
		}
		s.f[i] = tg
	}
	s.costPart[blk] = total
}

// reduce sums the per-block partials in block order.
func (s *solver) reduce() {
	nb := blockCount(s.threads, s.n)
	copy(s.w, s.wpart[0])
	s.planCost = s.costPart[0]
	for k := 1; k < nb; k++ {
		for j, v := range s.wpart[k] {
			s.w[j] += v
		}
		s.planCost += s.costPart[k]
	}
}

// initialColumns computes g from WarmF if given, else as the first half
// step of the scaling iteration from u = 1 (g_j = −ε LSE_i(−C_ij/ε)), which
// is where POT and the textbook loop start, so that iterates coincide.
func (s *solver) initialColumns() error {
	if s.opt.WarmF != nil {
		return s.exactColumns(nil)
	}
	return s.columnsFrom(nil, make([]float64, s.n))
}

// exactColumns sets g_j = −ε LSE_i((f_i − C_ij)/ε + log a_i) for the listed
// columns (nil: all), with a per-column maximum shift.
func (s *solver) exactColumns(cols []int) error {
	inv := 1 / s.eps
	fh := make([]float64, s.n)
	for i, f := range s.f {
		fh[i] = f*inv + s.la[i]
	}
	return s.columnsFrom(cols, fh)
}

// columnsFrom sets g_j = −ε LSE_i(fh_i − C_ij/ε) for the listed columns.
func (s *solver) columnsFrom(cols []int, fh []float64) error {
	inv := 1 / s.eps
	if cols != nil {
		return parallelBlocks(s.ctx, s.threads, len(cols), func(_, k0, k1 int) {
			t := make([]float64, s.n)
			for _, j := range cols[k0:k1] {
				mx := math.Inf(-1)
				for i := range t {
					v := fh[i] - s.cost.at(i, j)*inv
					t[i] = v
					mx = math.Max(mx, v)
				}
				s.g[j] = -s.eps * (mx + math.Log(vecmath.ExpShiftSum(t, mx)))
			}
		})
	}
	// All columns: blocks of columns, each reading its slice of every row
	// twice (maximum, then sum), so that rows are read contiguously.
	return parallelBlocks(s.ctx, s.threads, s.m, func(_, j0, j1 int) {
		w := j1 - j0
		mx, sum := make([]float64, w), make([]float64, w)
		seg, t := make([]float64, w), make([]float64, w)
		for k := range mx {
			mx[k] = math.Inf(-1)
		}
		for i := 0; i < s.n; i++ {
			c := s.cost.row(i, j0, j1, seg)
			for k, v := range c {
				mx[k] = math.Max(mx[k], fh[i]-v*inv)
			}
		}
		for i := 0; i < s.n; i++ {
			c := s.cost.row(i, j0, j1, seg)
			for k, v := range c {
				t[k] = fh[i] - v*inv - mx[k]
			}
			vecmath.ExpTo(t, t)
			for k, v := range t {
				sum[k] += v
			}
		}
		for k := range sum {
			s.g[j0+k] = -s.eps * (mx[k] + math.Log(sum[k]))
		}
	})
}
