package classifier

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/parallel"
)

// rowTask is a fixed block of rows of one stream. Its partial loss and
// gradient are kept apart and summed in task order afterwards, so the
// result depends neither on which goroutine ran the block nor on how many
// goroutines there were.
type rowTask struct {
	source bool // source rows (else pairs)
	lo, hi int
	loss   float64
}

const (
	minTaskRows     = 16
	maxTasksPerKind = 16
)

// LossGrad evaluates the three terms of docs/method.md §9.6 on b,
//
//	Paired       = (1/ε)·mean_pairs c(x_i, k_i),
//	Target       = (1/ε)·Σ_k prior_k f_k,
//	LogPartition = mean_sources LSE_k (f_k − c(x,k))/ε,
//
// and overwrites grad with ∂Total/∂Params (Total = Paired − Target +
// LogPartition):
//
//	∂/∂f_k = (mean_sources π(k|x) − prior_k)/ε,
//	∂/∂s_k(x) = −1/(ε·P) at a pair's class, π(k|x)/(ε·Q) at a source,
//
// backpropagated through the cost network. The target term is the exact
// expectation of f under Spec.ClassPrior: b.TargetY is not used (the
// learner fills it with the labelled rows' classes, whose frequencies are
// a noisy estimate of the prior the spec states), and the term is present
// even when b has no target rows. A stream with no rows contributes 0 and no
// gradient. rng is unused: every term is exact.
//
// The rows are split into fixed blocks run on the model's thread count
// (SetThreads) and reduced in a fixed order, so the result is bit-identical
// for any thread count.
//
// Errors wrap energy.ErrShape (lengths, or a pair label that is not a
// class index), energy.ErrNonFinite (the loss is not finite; terms and grad
// are still written) or the context's error.
func (m *Model) LossGrad(ctx context.Context, b *energy.Batch, grad []float64, _ *rand.Rand) (energy.LossTerms, error) {
	if err := ctx.Err(); err != nil {
		return energy.LossTerms{}, err
	}
	if err := m.checkBatch(b, grad); err != nil {
		return energy.LossTerms{}, err
	}
	w := &m.work
	w.mu.Lock()
	defer w.mu.Unlock()

	K, H := m.Classes(), m.net.sizes[len(m.net.sizes)-2]
	w.wOut = grow(w.wOut, K*H)
	m.net.centredOut(m.params, w.wOut)
	m.planTasks(b)
	workers := parallel.Workers(m.threads, len(w.tasks))
	for len(w.workers) < workers {
		w.workers = append(w.workers, &rowScratch{})
	}
	st := lossStep{m: m, b: b}
	if b.NPair > 0 {
		st.pairScale = 1 / (m.spec.Eps * float64(b.NPair))
	}
	if b.NSource > 0 {
		st.sourceScale = 1 / (m.spec.Eps * float64(b.NSource))
	}
	// The context was checked on entry; the blocks are short.
	_ = parallel.For(context.Background(), workers, len(w.tasks), func(k, i int) error {
		st.run(&w.tasks[i], w.taskAcc[i], w.workers[k])
		return nil
	})

	var terms energy.LossTerms
	clear(grad)
	for i, t := range w.tasks {
		if t.source {
			terms.LogPartition += t.loss
		} else {
			terms.Paired += t.loss
		}
		for j, v := range w.taskAcc[i] {
			grad[j] += v
		}
	}
	eps := m.spec.Eps
	if b.NPair > 0 {
		terms.Paired /= float64(b.NPair)
	}
	if b.NSource > 0 {
		terms.LogPartition /= float64(b.NSource)
	}
	for k, p := range m.prior {
		terms.Target += p * m.params[m.offF+k]
		grad[m.offF+k] -= p / eps
	}
	terms.Target /= eps
	terms.Total = terms.Paired - terms.Target + terms.LogPartition
	if math.IsNaN(terms.Total) || math.IsInf(terms.Total, 0) {
		return terms, fmt.Errorf("classifier loss: %w: paired %v, target %v, log-partition %v", energy.ErrNonFinite, terms.Paired, terms.Target, terms.LogPartition)
	}
	return terms, nil
}

func (m *Model) checkBatch(b *energy.Batch, grad []float64) error {
	dx, K := m.spec.XDim, m.Classes()
	switch {
	case b == nil:
		return fmt.Errorf("classifier loss: %w: nil batch", energy.ErrShape)
	case len(grad) != len(m.params):
		return fmt.Errorf("classifier loss: %w: gradient has %d entries, the model %d parameters", energy.ErrShape, len(grad), len(m.params))
	case b.NPair < 0 || b.NSource < 0 || b.NTarget < 0:
		return fmt.Errorf("classifier loss: %w: negative row count", energy.ErrShape)
	case len(b.PairX) != b.NPair*dx || len(b.PairY) != b.NPair:
		return fmt.Errorf("classifier loss: %w: %d pairs need %d x values and %d labels (have %d and %d)", energy.ErrShape, b.NPair, b.NPair*dx, b.NPair, len(b.PairX), len(b.PairY))
	case len(b.SourceX) != b.NSource*dx:
		return fmt.Errorf("classifier loss: %w: %d sources need %d values (have %d)", energy.ErrShape, b.NSource, b.NSource*dx, len(b.SourceX))
	case len(b.TargetY) != b.NTarget:
		return fmt.Errorf("classifier loss: %w: %d targets need %d labels (have %d)", energy.ErrShape, b.NTarget, b.NTarget, len(b.TargetY))
	}
	for i, y := range b.PairY {
		if _, ok := classIndex(y, K); !ok {
			return fmt.Errorf("classifier loss: %w: pair %d has label %v, not a class index in 0…%d", energy.ErrShape, i, y, K-1)
		}
	}
	return nil
}

// classIndex returns y as a class index when it is one of 0 … K−1.
func classIndex(y float64, K int) (int, bool) {
	if !(y >= 0 && y < float64(K)) || y != math.Trunc(y) {
		return 0, false
	}
	return int(y), true
}

// planTasks splits the pairs and the sources into fixed row blocks (their
// boundaries depend only on the row counts) and clears one gradient
// accumulator per block.
func (m *Model) planTasks(b *energy.Batch) {
	w := &m.work
	w.tasks = w.tasks[:0]
	add := func(source bool, n int) {
		size := max(minTaskRows, (n+maxTasksPerKind-1)/maxTasksPerKind)
		for lo := 0; lo < n; lo += size {
			w.tasks = append(w.tasks, rowTask{source: source, lo: lo, hi: min(n, lo+size)})
		}
	}
	add(false, b.NPair)
	add(true, b.NSource)
	for len(w.taskAcc) < len(w.tasks) {
		w.taskAcc = append(w.taskAcc, nil)
	}
	for i := range w.tasks {
		w.taskAcc[i] = grow(w.taskAcc[i], len(m.params))
		clear(w.taskAcc[i])
	}
}

type lossStep struct {
	m                      *Model
	b                      *energy.Batch
	pairScale, sourceScale float64 // 1/(ε·rows) of each stream
}

// run computes one block: its partial loss sum (before the stream's 1/rows)
// and its gradient into acc.
func (st *lossStep) run(t *rowTask, acc []float64, sc *rowScratch) {
	m, b := st.m, st.b
	K, dx, eps := m.Classes(), m.spec.XDim, m.spec.Eps
	rows := t.hi - t.lo
	x := b.PairX
	if t.source {
		x = b.SourceX
	}
	s := m.net.forward(m.params, m.work.wOut, x[t.lo*dx:t.hi*dx], rows, &sc.tp)
	sc.dS = grow(sc.dS, rows*K)
	sc.logit = grow(sc.logit, K)
	f := m.params[m.offF : m.offF+K]
	sum := 0.0
	if !t.source {
		clear(sc.dS)
		for r := range rows {
			k := int(b.PairY[t.lo+r])
			sum -= s[r*K+k] / eps // c = −s
			sc.dS[r*K+k] = -st.pairScale
		}
	} else {
		gf := acc[m.offF : m.offF+K]
		for r := range rows {
			sr, dr := s[r*K:(r+1)*K], sc.dS[r*K:(r+1)*K]
			lse := logits(sc.logit, f, sr, eps)
			sum += lse
			for k, z := range sc.logit {
				p := math.Exp(z - lse)
				dr[k] = p * st.sourceScale
				gf[k] += p * st.sourceScale
			}
		}
	}
	t.loss = sum
	m.net.backward(m.work.wOut, m.params, &sc.tp, sc.dS, acc)
}

// logits writes (f_k + s_k)/ε into dst and returns their log-sum-exp.
func logits(dst, f, s []float64, eps float64) float64 {
	mx := math.Inf(-1)
	for k := range dst {
		z := (f[k] + s[k]) / eps
		dst[k] = z
		mx = max(mx, z)
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		return mx
	}
	sum := 0.0
	for _, z := range dst {
		sum += math.Exp(z - mx)
	}
	return mx + math.Log(sum)
}
