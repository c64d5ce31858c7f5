package gmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/parallel"
	"github.com/ebieot/ebieot/internal/vecmath"
)

type streamKind uint8

const (
	streamPair streamKind = iota
	streamSource
	streamTarget
)

// rowTask is a fixed block of rows of one stream. Its partial loss and
// potential gradient are kept apart and summed in task order afterwards, so
// the result does not depend on which goroutine ran which block, nor on how
// many there were.
type rowTask struct {
	stream streamKind
	lo, hi int
	acc    int // index into lossWork.taskAcc; −1 for pairs
	loss   float64
}

const (
	minTaskRows     = 8
	maxTasksPerKind = 16
)

func (g *Model) potGradLen() int {
	N, D := g.spec.Potentials, g.spec.YDim
	return N + N*D + N*g.covLen()
}

// LossGrad evaluates the three terms of docs/method.md §3 on b and
// overwrites grad with ∂Total/∂Params, using the closed forms of §4 chained
// through the log-softmaxes, the softplus and (by backpropagation) the
// x-networks. A stream with no rows contributes 0 and no gradient. rng is
// unused: the GMM gradient is exact. The work is split into fixed blocks of
// rows run on the model's thread count of goroutines (see SetThreads) and
// reduced in a fixed order, so the result is bit-identical for any thread
// count. Scratch buffers live in the model and are reused; a call allocates
// only a few small objects for its goroutines.
//
// Errors wrap energy.ErrShape (batch or grad lengths), energy.ErrNonFinite
// (the loss overflowed or the parameters hold NaN; terms and grad are still
// written) or the context's error.
func (g *Model) LossGrad(ctx context.Context, b *energy.Batch, grad []float64, _ *rand.Rand) (energy.LossTerms, error) {
	if err := ctx.Err(); err != nil {
		return energy.LossTerms{}, err
	}
	if err := g.checkBatch(b, grad); err != nil {
		return energy.LossTerms{}, err
	}
	w := &g.work
	w.mu.Lock()
	defer w.mu.Unlock()

	w.pot.update(g)
	g.forwardHeads(b)
	g.planTasks(b)
	st := lossStep{g: g, b: b, scale: batchScales(b)}
	workers := parallel.Workers(g.threads, len(w.tasks))
	for len(w.workers) < workers {
		w.workers = append(w.workers, &rowScratch{})
	}
	for _, sc := range w.workers[:workers] {
		sc.size(&w.pot)
	}
	// The context was checked on entry; a step is short, so the blocks
	// are not interrupted halfway.
	_ = parallel.For(context.Background(), workers, len(w.tasks), func(k, i int) error {
		st.run(&w.tasks[i], w.workers[k])
		return nil
	})
	terms := g.reduceTasks(st.scale)

	clear(grad)
	g.chainPotential(&w.pot, w.potGrad, grad)
	if rows := b.NPair + b.NSource; rows > 0 && !g.spec.FixedCost() {
		M, dy := g.spec.CostComponents, g.spec.YDim
		g.bNet.backward(g.params, &w.bTape, w.dB[:rows*M*dy], grad)
		g.vNet.backward(g.params, &w.vTape, w.dV[:rows*M], grad)
	}
	if math.IsNaN(terms.Total) || math.IsInf(terms.Total, 0) {
		return terms, fmt.Errorf("GMM loss: %w: paired %v, target %v, log-partition %v", energy.ErrNonFinite, terms.Paired, terms.Target, terms.LogPartition)
	}
	return terms, nil
}

// streamScales are the factors of each stream's mean in the loss: 1/rows,
// with the target term's minus sign folded in (0 for an empty stream).
type streamScales struct{ pair, source, target float64 }

func batchScales(b *energy.Batch) streamScales {
	var s streamScales
	if b.NPair > 0 {
		s.pair = 1 / float64(b.NPair)
	}
	if b.NSource > 0 {
		s.source = 1 / float64(b.NSource)
	}
	if b.NTarget > 0 {
		s.target = -1 / float64(b.NTarget) // the target term enters with a minus
	}
	return s
}

// forwardHeads runs both heads once on the stacked x's (pairs first, then
// sources) and sizes the per-row buffers of their gradients.
func (g *Model) forwardHeads(b *energy.Batch) {
	w := &g.work
	M, dx, dy := g.spec.CostComponents, g.spec.XDim, g.spec.YDim
	rows := b.NPair + b.NSource
	w.xs = grow(w.xs, rows*dx)
	copy(w.xs, b.PairX)
	copy(w.xs[b.NPair*dx:], b.SourceX)
	w.bOut, w.zOut = nil, nil
	if g.spec.FixedCost() {
		w.bOut = w.xs[:rows*dx]
		w.zOut = grow(w.zOut, rows)
		clear(w.zOut)
	} else if rows > 0 {
		w.bOut = g.bNet.forward(g.params, w.xs, rows, &w.bTape)
		w.zOut = g.vNet.forward(g.params, w.xs, rows, &w.vTape)
	}
	w.logv = grow(w.logv, rows*M)
	w.dB = grow(w.dB, rows*M*dy)
	w.dV = grow(w.dV, rows*M)
}

// planTasks splits every stream of b into fixed row blocks and clears the
// potential-gradient accumulator of each source and target block.
func (g *Model) planTasks(b *energy.Batch) {
	w := &g.work
	w.tasks = w.tasks[:0]
	nAcc := 0
	addTasks := func(kind streamKind, n int) {
		size := max(minTaskRows, (n+maxTasksPerKind-1)/maxTasksPerKind)
		for lo := 0; lo < n; lo += size {
			t := rowTask{stream: kind, lo: lo, hi: min(n, lo+size), acc: -1}
			if kind != streamPair {
				t.acc = nAcc
				nAcc++
			}
			w.tasks = append(w.tasks, t)
		}
	}
	addTasks(streamPair, b.NPair)
	addTasks(streamSource, b.NSource)
	addTasks(streamTarget, b.NTarget)
	accLen := g.potGradLen()
	for len(w.taskAcc) < nAcc {
		w.taskAcc = append(w.taskAcc, nil)
	}
	for i := range nAcc {
		w.taskAcc[i] = grow(w.taskAcc[i], accLen)
		clear(w.taskAcc[i])
	}
}

// lossStep is what one LossGrad call's row tasks share.
type lossStep struct {
	g     *Model
	b     *energy.Batch
	scale streamScales
}

// run computes one row task: its partial loss, and its gradient into the
// per-row head gradients (pairs, sources) or its own accumulator (sources,
// targets).
func (st *lossStep) run(t *rowTask, sc *rowScratch) {
	w, b := &st.g.work, st.b
	M, dy := st.g.spec.CostComponents, st.g.spec.YDim
	p := &w.pot
	sum := 0.0
	switch t.stream {
	case streamPair:
		for i := t.lo; i < t.hi; i++ {
			logv := w.logv[i*M : (i+1)*M]
			logSoftmax(logv, w.zOut[i*M:(i+1)*M])
			bi := w.bOut[i*M*dy : (i+1)*M*dy]
			y := b.PairY[i*dy : (i+1)*dy]
			lse := p.logCost(logv, bi, y, sc)
			sum -= lse // c/ε = −lse
			p.costGrad(y, lse, st.scale.pair, sc, w.dV[i*M:(i+1)*M], w.dB[i*M*dy:(i+1)*M*dy])
			logSoftmaxBackward(w.dV[i*M:(i+1)*M], logv, sc.t)
		}
	case streamSource:
		acc := w.taskAcc[t.acc]
		lo, hi := b.NPair+t.lo, b.NPair+t.hi
		for i := lo; i < hi; i++ {
			logSoftmax(w.logv[i*M:(i+1)*M], w.zOut[i*M:(i+1)*M])
		}
		logv, bi := w.logv[lo*M:hi*M], w.bOut[lo*M*dy:hi*M*dy]
		dV, dB := w.dV[lo*M:hi*M], w.dB[lo*M*dy:hi*M*dy]
		sum = p.partitionRows(logv, bi, hi-lo, st.scale.source, sc, acc, dV, dB)
		for i := 0; i < hi-lo; i++ {
			logSoftmaxBackward(dV[i*M:(i+1)*M], logv[i*M:(i+1)*M], sc.t)
		}
	case streamTarget:
		acc := w.taskAcc[t.acc]
		for i := t.lo; i < t.hi; i++ {
			y := b.TargetY[i*dy : (i+1)*dy]
			if !p.full {
				sum += p.potentialRowDiag(y, st.scale.target, &sc.pot, acc)
				continue
			}
			lse := p.logPotential(y, &sc.pot)
			sum += lse
			p.potentialGrad(y, lse, st.scale.target, &sc.pot, acc)
		}
	}
	t.loss = sum
}

// reduceTasks adds the tasks' losses and potential gradients in task order
// (the fixed reduction that makes the result independent of the threads).
func (g *Model) reduceTasks(scale streamScales) energy.LossTerms {
	w := &g.work
	var terms energy.LossTerms
	w.potGrad = grow(w.potGrad, g.potGradLen())
	clear(w.potGrad)
	for i := range w.tasks {
		t := &w.tasks[i]
		switch t.stream {
		case streamPair:
			terms.Paired += t.loss
		case streamSource:
			terms.LogPartition += t.loss
		case streamTarget:
			terms.Target += t.loss
		}
		if t.acc >= 0 {
			for k, v := range w.taskAcc[t.acc] {
				w.potGrad[k] += v
			}
		}
	}
	terms.Paired *= scale.pair
	terms.LogPartition *= scale.source
	terms.Target *= -scale.target
	terms.Total = terms.Paired - terms.Target + terms.LogPartition
	return terms
}

// partitionRows returns Σ log Z(x) over R source rows given their heads
// (log v and b, row after row), adds scale·∂/∂(log w, a, A or L) to acc and
// writes scale·∂log Z/∂(log v, b) into dV and dB, with the kernel that suits
// the model's shape.
func (p *potential) partitionRows(logv, b []float64, R int, scale float64, sc *rowScratch, acc, dV, dB []float64) float64 {
	M, dy := p.M, p.D
	sum := 0.0
	switch {
	case !p.full && dy == 2:
		for i := 0; i < R; i++ {
			sum += p.partitionRow2(logv[i*M:(i+1)*M], b[i*M*dy:(i+1)*M*dy], scale, &sc.ker, acc, dV[i*M:(i+1)*M], dB[i*M*dy:(i+1)*M*dy])
		}
	case !p.full:
		sum = p.partitionBlockDiag(logv, b, R, scale, &sc.blk, acc, dV, dB)
	default:
		for i := 0; i < R; i++ {
			sum += p.logPartition(logv[i*M:(i+1)*M], b[i*M*dy:(i+1)*M*dy], true, sc)
			p.partitionGradFull(b[i*M*dy:(i+1)*M*dy], scale, sc, acc, dV[i*M:(i+1)*M], dB[i*M*dy:(i+1)*M*dy])
		}
	}
	return sum
}

// logSoftmaxBackward turns gv = ∂/∂log v into ∂/∂z for log v =
// z − logsumexp(z): ∂/∂z_k = g_k − v_k Σ_j g_j. tmp holds len(gv) values.
func logSoftmaxBackward(gv, logv, tmp []float64) {
	v := tmp[:len(gv)]
	vecmath.ExpTo(v, logv[:len(gv)])
	sum := 0.0
	for _, g := range gv {
		sum += g
	}
	for k, vk := range v {
		gv[k] -= vk * sum
	}
}

// chainPotential writes into grad the gradient with respect to raw_w, a and
// raw_A (or the packed factors) given acc = ∂/∂(log w, a, A or L).
func (g *Model) chainPotential(p *potential, acc, grad []float64) {
	N, D := p.N, p.D
	gw := acc[:N]
	// log w = raw − logsumexp(raw): ∂/∂raw_k = g_k − w_k Σ_n g_n.
	sum := 0.0
	for _, v := range gw {
		sum += v
	}
	for k, v := range gw {
		grad[g.offRawW+k] = v - math.Exp(p.logw[k])*sum
	}
	copy(grad[g.offA:g.offA+N*D], acc[N:N+N*D])
	gc, out := acc[N+N*D:], grad[g.offCov:g.offCov+N*g.covLen()]
	if !p.full {
		for i, v := range gc {
			out[i] = v * p.dDiag[i]
		}
		return
	}
	copy(out, gc)
	k := packedLen(D)
	for n := 0; n < N; n++ {
		for i := 0; i < D; i++ {
			out[n*k+packedLen(i)+i] *= p.dDiag[n*D+i]
		}
	}
}

// checkBatch validates the shapes of a batch and of grad.
func (g *Model) checkBatch(b *energy.Batch, grad []float64) error {
	dx, dy := g.spec.XDim, g.spec.YDim
	switch {
	case b == nil:
		return fmt.Errorf("GMM loss: %w: nil batch", energy.ErrShape)
	case len(grad) != len(g.params):
		return fmt.Errorf("GMM loss: %w: gradient has %d entries, the model %d parameters", energy.ErrShape, len(grad), len(g.params))
	case b.NPair < 0 || b.NSource < 0 || b.NTarget < 0:
		return fmt.Errorf("GMM loss: %w: negative row count (%d pairs, %d sources, %d targets)", energy.ErrShape, b.NPair, b.NSource, b.NTarget)
	case len(b.PairX) != b.NPair*dx || len(b.PairY) != b.NPair*dy:
		return fmt.Errorf("GMM loss: %w: %d pairs need %d x and %d y values, have %d and %d", energy.ErrShape, b.NPair, b.NPair*dx, b.NPair*dy, len(b.PairX), len(b.PairY))
	case len(b.SourceX) != b.NSource*dx:
		return fmt.Errorf("GMM loss: %w: %d sources need %d values, have %d", energy.ErrShape, b.NSource, b.NSource*dx, len(b.SourceX))
	case len(b.TargetY) != b.NTarget*dy:
		return fmt.Errorf("GMM loss: %w: %d targets need %d values, have %d", energy.ErrShape, b.NTarget, b.NTarget*dy, len(b.TargetY))
	}
	return nil
}
