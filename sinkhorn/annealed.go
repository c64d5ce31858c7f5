package sinkhorn

import (
	"context"
	"fmt"
	"math"

	"github.com/ebieot/ebieot/internal/parallel"
	"github.com/ebieot/ebieot/internal/vecmath"
)

// DefaultAnnealedScaling is AnnealedDivergence's ratio between successive
// blur radii (ε ratio scaling²) when it is passed 0: geomloss's default,
// which the authors' evaluation used.
const DefaultAnnealedScaling = 0.5

// maxAnnealedStages bounds the schedule length, so that a scaling very
// close to 1 fails clearly instead of running for hours.
const maxAnnealedStages = 100000

// AnnealedDivergence reproduces the fixed-effort Sinkhorn divergence
// estimator of geomloss's SamplesLoss("sinkhorn", p = 2, blur = √ε,
// scaling, debias = true) with its tensorized backend, which the EBiEOT
// authors' evaluation code uses. It exists to compare with their published
// numbers; the converged divergence is Divergence, which is what this
// package's users should measure with.
//
// Between the uniform point clouds x (n×d) and y (m×d), cost ½‖x − y‖²:
// the four potentials of OT(α, β), OT(α, α) and OT(β, β) are initialised by
// one c-transform at ε₀ = diameter², then updated once per ε of
// AnnealedSchedule by the averaged symmetric step h ← ½(h + T(other)), all
// four from the previous values; a last plain step at ε follows, and the
// value is ⟨a, f_ab − f_aa⟩ + ⟨b, g_ab − g_bb⟩. The number of steps is fixed
// by the schedule (about log(diameter/√ε)/log(1/scaling) + 4), not by a
// tolerance, so the value is an approximation whose bias depends on ε, the
// data's diameter and scaling; unlike the converged divergence it can be
// negative. As scaling → 1 it tends to Divergence's value.
//
// scaling must be in (0, 1); 0 means DefaultAnnealedScaling. Validation is
// Divergence's. The rows of every c-transform are independent and run on
// threads goroutines (0 = one per CPU); the value does not depend on the
// thread count. It costs (n + m)² exponentials per step and O(n + m)
// memory.
// Differences from geomloss: float64 throughout (the authors ran float32)
// and the final ε is eps itself rather than blur² rounded.
func AnnealedDivergence(ctx context.Context, x, y []float64, n, m, d int, eps, scaling float64, threads int) (float64, error) {
	return annealedDivergence(ctx, x, y, n, m, d, eps, scaling, parallel.Threads(threads))
}

func annealedDivergence(ctx context.Context, x, y []float64, n, m, d int, eps, scaling float64, threads int) (float64, error) {
	if !(eps > 0) || math.IsInf(eps, 0) {
		return 0, fmt.Errorf("annealed sinkhorn divergence: %w: ε must be positive and finite, got %v", ErrInvalidOptions, eps)
	}
	if scaling == 0 {
		scaling = DefaultAnnealedScaling
	}
	if !(scaling > 0 && scaling < 1) {
		return 0, fmt.Errorf("annealed sinkhorn divergence: %w: scaling %v not in (0, 1)", ErrInvalidOptions, scaling)
	}
	p := &Problem{X: x, Y: y, N: n, M: m, D: d, Cost: HalfSqEuclidean}
	if _, _, err := p.validate(); err != nil {
		return 0, fmt.Errorf("annealed sinkhorn divergence: %w", err)
	}
	diam := jointDiameter(x, y, d)
	if diam == 0 {
		// Every point is at one location: the divergence is exactly 0
		// (geomloss fails here, on the logarithm of a zero diameter).
		return 0, nil
	}
	sched, err := AnnealedSchedule(diam, math.Sqrt(eps), scaling)
	if err != nil {
		return 0, fmt.Errorf("annealed sinkhorn divergence: %w", err)
	}
	sched[len(sched)-1] = eps
	a := newAnnealer(ctx, x, y, n, m, d, threads)
	v, err := a.run(sched)
	if err != nil {
		return 0, fmt.Errorf("annealed sinkhorn divergence: %w", err)
	}
	return v, nil
}

// AnnealedSchedule returns geomloss's ε-scaling list for p = 2: diameter²,
// then exp(2 log diameter + k·2 log scaling) for k = 0, 1, … while that
// exponent stays above 2 log blur (numpy's arange, whose k = 0 term repeats
// diameter²), then blur². If diameter ≤ blur the list is [diameter², blur²].
// The values are formed as numpy forms them (the step taken as the
// difference of the first two terms), so that the stage count and the ε
// agree with geomloss's to rounding.
func AnnealedSchedule(diameter, blur, scaling float64) ([]float64, error) {
	if !(diameter > 0) || math.IsInf(diameter, 0) {
		return nil, fmt.Errorf("%w: diameter %v must be positive and finite", ErrInvalidOptions, diameter)
	}
	if !(blur > 0) || math.IsInf(blur, 0) {
		return nil, fmt.Errorf("%w: blur %v must be positive and finite", ErrInvalidOptions, blur)
	}
	if !(scaling > 0 && scaling < 1) {
		return nil, fmt.Errorf("%w: scaling %v not in (0, 1)", ErrInvalidOptions, scaling)
	}
	const p = 2
	start, stop, step := p*math.Log(diameter), p*math.Log(blur), p*math.Log(scaling)
	count := math.Ceil((stop - start) / step)
	if count > maxAnnealedStages {
		return nil, fmt.Errorf("%w: %v ε-scaling stages from diameter %v to blur %v at scaling %v (at most %d)",
			ErrInvalidOptions, count, diameter, blur, scaling, maxAnnealedStages)
	}
	k := max(0, int(count))
	out := make([]float64, 0, k+2)
	out = append(out, diameter*diameter)
	// numpy sets the first two terms, then fills term i as start + i·δ
	// with δ the difference of those two.
	delta := (start + step) - start
	for i := range k {
		e := start + float64(i)*delta
		if i == 1 {
			e = start + step
		}
		out = append(out, math.Exp(e))
	}
	return append(out, blur*blur), nil
}

// jointDiameter is the length of the diagonal of the bounding box of both
// clouds, geomloss's upper bound on any distance between them.
func jointDiameter(x, y []float64, d int) float64 {
	var s float64
	for k := range d {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, pts := range [][]float64{x, y} {
			for i := k; i < len(pts); i += d {
				lo = math.Min(lo, pts[i])
				hi = math.Max(hi, pts[i])
			}
		}
		s += (hi - lo) * (hi - lo)
	}
	return math.Sqrt(s)
}

// annealer holds the four cost sources and the scratch of one
// AnnealedDivergence call. Cost rows are recomputed on every pass (squared
// distances, the ½ folded into the 1/ε factor): at 1024² in 2-D that costs
// ~6 % more CPU than four stored matrices, which would take 32 MB.
type annealer struct {
	ctx            context.Context
	threads        int
	xy, yx, xx, yy *costSource
	logA, logB     float64     // log of the uniform weights
	rows, tmp      [][]float64 // per-block scratch rows
}

func newAnnealer(ctx context.Context, x, y []float64, n, m, d, threads int) *annealer {
	src := func(u, v []float64, nu, nv int) *costSource {
		return newCostSource(&Problem{X: u, Y: v, N: nu, M: nv, D: d, Cost: SqEuclidean})
	}
	a := &annealer{ctx: ctx, threads: threads,
		xy: src(x, y, n, m), yx: src(y, x, m, n), xx: src(x, x, n, n), yy: src(y, y, m, m),
		logA: -math.Log(float64(n)), logB: -math.Log(float64(m))}
	width := max(n, m)
	nb := blockCount(threads, width)
	a.rows, a.tmp = make([][]float64, nb), make([][]float64, nb)
	for b := range nb {
		a.rows[b] = make([]float64, width)
		a.tmp[b] = make([]float64, width)
	}
	return a
}

// softmin sets dst_i = −ε log Σ_j exp(logw + g_j/ε − ½‖u_i − v_j‖²/ε), the
// c-transform of g (on the columns of c, uniform weights e^logw) at ε.
func (a *annealer) softmin(dst []float64, c *costSource, g []float64, logw, eps float64, h []float64) error {
	inv := 1 / eps
	h = h[:len(g)]
	for j, v := range g {
		h[j] = logw + v*inv
	}
	return parallelBlocks(a.ctx, a.threads, c.n, func(blk, i0, i1 int) {
		row, t := a.rows[blk], a.tmp[blk]
		for i := i0; i < i1; i++ {
			sq := c.row(i, 0, c.m, row)
			mx := shiftedRow(t, h, sq, 0.5*inv)
			dst[i] = -eps * (mx + math.Log(vecmath.ExpShiftSum(t[:c.m], mx)))
		}
	})
}

// run carries out geomloss's loop over the schedule and returns the
// debiased value.
func (a *annealer) run(sched []float64) (float64, error) {
	n, m := a.xy.n, a.xy.m
	fab, gab, faa, gbb := make([]float64, n), make([]float64, m), make([]float64, n), make([]float64, m)
	tfab, tgab, tfaa, tgbb := make([]float64, n), make([]float64, m), make([]float64, n), make([]float64, m)
	h := make([]float64, max(n, m))
	zeroN, zeroM := make([]float64, n), make([]float64, m)

	// step sets the four t* to the c-transforms of the current potentials
	// (each from the previous values, never from a fresh one).
	step := func(eps float64, fab, gab, faa, gbb []float64) error {
		for _, s := range []struct {
			dst  []float64
			c    *costSource
			g    []float64
			logw float64
		}{
			{tfab, a.xy, gab, a.logB},
			{tgab, a.yx, fab, a.logA},
			{tfaa, a.xx, faa, a.logA},
			{tgbb, a.yy, gbb, a.logB},
		} {
			if err := a.softmin(s.dst, s.c, s.g, s.logw, eps, h); err != nil {
				return err
			}
		}
		return nil
	}

	// Initialisation: one c-transform of zero potentials at the first ε.
	if err := step(sched[0], zeroN, zeroM, zeroN, zeroM); err != nil {
		return 0, err
	}
	copy(fab, tfab)
	copy(gab, tgab)
	copy(faa, tfaa)
	copy(gbb, tgbb)
	for _, eps := range sched {
		if err := step(eps, fab, gab, faa, gbb); err != nil {
			return 0, err
		}
		for _, pair := range [][2][]float64{{fab, tfab}, {gab, tgab}, {faa, tfaa}, {gbb, tgbb}} {
			for i, v := range pair[1] {
				pair[0][i] = 0.5 * (pair[0][i] + v)
			}
		}
	}
	// The last, plain step at the final ε.
	if err := step(sched[len(sched)-1], fab, gab, faa, gbb); err != nil {
		return 0, err
	}
	var sa, sb float64
	for i := range n {
		sa += tfab[i] - tfaa[i]
	}
	for j := range m {
		sb += tgab[j] - tgbb[j]
	}
	return sa/float64(n) + sb/float64(m), nil
}
