package eot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/sinkhorn"
)

// Parameters of the OT pairing of the Swiss-roll benchmark (docs/method.md §7.1):
// every pair comes from a fresh SwissRollBatch × SwissRollBatch entropic OT
// problem with the rotation cost at regularisation SwissRollReg.
const (
	SwissRollBatch = 64
	SwissRollReg   = 0.05
	// swissRollTol and swissRollMaxIter mirror POT's sinkhorn_log defaults
	// (stopThr 1e-9, 1000 iterations) that the authors' generator used.
	swissRollTol     = 1e-9
	swissRollMaxIter = 1000
)

// swissRollOptions are the Sinkhorn options of the benchmark's plans: the
// target ε from the start, as in the authors' code. The authors use the
// log-domain solver; here the automatic choice takes the kernel solver (the
// cost spread is only ~100 ε, and it falls back to the log domain if it ever
// under- or overflows), which gives the same plan to within the tolerance
// about seven times faster.
func swissRollOptions() sinkhorn.Options {
	return sinkhorn.Options{
		Eps: SwissRollReg, Tol: swissRollTol, MaxIter: swissRollMaxIter,
		Method: sinkhorn.Auto, Annealing: sinkhorn.AnnealOff,
	}
}

// SwissRollBenchmark generates the Gaussian → Swiss-roll benchmark
// (docs/method.md §7.1, §8): paired rows drawn one per fresh 64×64 entropic OT
// plan between x ~ N(0, I₂) and Swiss-roll targets under the rotation cost
// (Euclidean, not squared; reg 0.05), plus independent unpaired sources
// x ~ N(0, I₂) and targets. Columns are x1, x2, y1, y2.
//
// All points are drawn from rng first, in a fixed order (per pair: 64
// sources, 64 targets; then the unpaired sources, then the targets); the
// plans are solved concurrently; then the pairs are drawn from rng in pair
// order. The output is therefore a function of the rng state alone.
// A plan that misses the 1e-9 tolerance within 1000 iterations is still used,
// as the authors' generator does.
func SwissRollBenchmark(ctx context.Context, rng *rand.Rand, paired, sources, targets int) (*datasets.Streams, error) {
	if paired < 0 || sources < 0 || targets < 0 {
		return nil, fmt.Errorf("swiss roll: negative size (paired %d, sources %d, targets %d)", paired, sources, targets)
	}
	const k = SwissRollBatch
	problems := make([]*sinkhorn.Problem, paired)
	for p := range problems {
		x := datasets.StandardNormal(rng, k, 2)
		y := datasets.SwissRollY(rng, k)
		problems[p] = &sinkhorn.Problem{X: x.Data, Y: y.Data, N: k, M: k, D: 2, Cost: sinkhorn.Rotation}
	}
	s := &datasets.Streams{
		XNames:  []string{"x1", "x2"},
		YNames:  []string{"y1", "y2"},
		PairX:   datasets.NewMatrix(paired, 2),
		PairY:   datasets.NewMatrix(paired, 2),
		SourceX: datasets.StandardNormal(rng, sources, 2),
		TargetY: datasets.SwissRollY(rng, targets),
	}
	results, err := sinkhorn.SolveBatch(ctx, problems, swissRollOptions())
	if err != nil && !errors.Is(err, sinkhorn.ErrNotConverged) || ctx.Err() != nil {
		return nil, fmt.Errorf("swiss roll pairs: %w", errors.Join(err, ctx.Err()))
	}
	for p, r := range results {
		if r == nil {
			return nil, fmt.Errorf("swiss roll pair %d: no plan", p)
		}
		pair := r.SamplePairs(rng, 1)[0]
		copy(s.PairX.Row(p), problems[p].X[2*pair.I:2*pair.I+2])
		copy(s.PairY.Row(p), problems[p].Y[2*pair.J:2*pair.J+2])
	}
	return s, nil
}

// SwissRollConditional draws n ground-truth samples of the benchmark's
// conditional π*(y | x0) (docs/method.md §7.2): for each sample, the sources {x0}
// ∪ (k−1) fresh N(0, I₂) points are matched to k fresh Swiss-roll targets by
// the rotation-cost plan at reg 0.05, and the target to which x0 sends the
// most mass is kept. The n problems are solved as one batch. The paper uses
// k = 64; k = 1 returns plain target-marginal samples.
func SwissRollConditional(ctx context.Context, rng *rand.Rand, x0 []float64, n, k int) (datasets.Matrix, error) {
	if len(x0) != 2 {
		return datasets.Matrix{}, fmt.Errorf("swiss roll conditional: probe has %d coordinates, want 2", len(x0))
	}
	if n < 0 || k < 1 {
		return datasets.Matrix{}, fmt.Errorf("swiss roll conditional: n = %d samples, minibatch k = %d (want n ≥ 0, k ≥ 1)", n, k)
	}
	problems := make([]*sinkhorn.Problem, n)
	for s := range problems {
		x := datasets.NewMatrix(k, 2)
		copy(x.Row(0), x0)
		copy(x.Data[2:], datasets.StandardNormal(rng, k-1, 2).Data)
		y := datasets.SwissRollY(rng, k)
		problems[s] = &sinkhorn.Problem{X: x.Data, Y: y.Data, N: k, M: k, D: 2, Cost: sinkhorn.Rotation}
	}
	results, err := sinkhorn.SolveBatch(ctx, problems, swissRollOptions())
	if err != nil && !errors.Is(err, sinkhorn.ErrNotConverged) || ctx.Err() != nil {
		return datasets.Matrix{}, fmt.Errorf("swiss roll conditional: %w", errors.Join(err, ctx.Err()))
	}
	out := datasets.NewMatrix(n, 2)
	row := make([]float64, k)
	for s, r := range results {
		if r == nil {
			return datasets.Matrix{}, fmt.Errorf("swiss roll conditional sample %d: no plan", s)
		}
		r.PlanRow(0, row)
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		copy(out.Row(s), problems[s].Y[2*best:2*best+2])
	}
	return out, nil
}
