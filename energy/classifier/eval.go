package classifier

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/parallel"
)

// evalRows is the block size of the batch methods.
const evalRows = 64

// scores runs the cost network on rows inputs and returns s (rows × K),
// c(x,k) = −s_k(x).
func (m *Model) scores(x []float64, rows int) []float64 {
	K, H := m.Classes(), m.net.sizes[len(m.net.sizes)-2]
	wOut := make([]float64, K*H)
	m.net.centredOut(m.params, wOut)
	var tp tape
	return m.net.forward(m.params, wOut, x, rows, &tp)
}

// logProbsRow writes log π(k|x) for every class into dst given the scores
// of x.
func (m *Model) logProbsRow(s, dst []float64) {
	lse := logits(dst, m.params[m.offF:m.offF+m.Classes()], s, m.spec.Eps)
	for k := range dst {
		dst[k] -= lse
	}
}

// Cost returns c(x, k) = −s_k(x) for one x (len XDim); the costs of one x
// sum to zero over the classes (see Model).
func (m *Model) Cost(x []float64, k int) float64 {
	return -m.scores(x, 1)[k]
}

// Potential returns f_k.
func (m *Model) Potential(k int) float64 { return m.params[m.offF+k] }

// LogPartition returns log Z(x) = LSE_k (f_k − c(x,k))/ε for one x.
func (m *Model) LogPartition(x []float64) float64 {
	K := m.Classes()
	return logits(make([]float64, K), m.params[m.offF:m.offF+K], m.scores(x, 1), m.spec.Eps)
}

// Probs writes the class probabilities π(k|x), k = 0 … K−1, of one x
// (len XDim) into dst (len K). A non-finite x gives NaN.
func (m *Model) Probs(x, dst []float64) {
	K := m.Classes()
	m.logProbsRow(m.scores(x[:m.spec.XDim], 1), dst[:K])
	for k, v := range dst[:K] {
		dst[k] = math.Exp(v)
	}
}

// LogProb returns log π(y|x) for one x (len XDim) and one y (len 1) holding
// a class index. A y that is not one of 0 … K−1 has probability zero: −Inf.
func (m *Model) LogProb(x, y []float64) float64 {
	K := m.Classes()
	k, ok := classIndex(y[0], K)
	if !ok {
		if math.IsNaN(y[0]) {
			return math.NaN()
		}
		return math.Inf(-1)
	}
	lp := make([]float64, K)
	m.logProbsRow(m.scores(x[:m.spec.XDim], 1), lp)
	return lp[k]
}

// ProbsBatch writes the class probabilities of rows inputs x (rows × XDim)
// into dst (rows × K), in parallel on the model's thread count.
func (m *Model) ProbsBatch(ctx context.Context, x []float64, rows int, dst []float64) error {
	if err := m.LogProbsBatch(ctx, x, rows, dst); err != nil {
		return err
	}
	for i, v := range dst[:rows*m.Classes()] {
		dst[i] = math.Exp(v)
	}
	return nil
}

// LogProbsBatch writes log π(k|x) for every class of rows inputs x
// (rows × XDim) into dst (rows × K), in parallel on the model's thread
// count. Every row is computed on its own, so the result does not depend on
// the thread count.
func (m *Model) LogProbsBatch(ctx context.Context, x []float64, rows int, dst []float64) error {
	dx, K := m.spec.XDim, m.Classes()
	if rows < 0 || len(x) != rows*dx || len(dst) != rows*K {
		return fmt.Errorf("classifier probabilities: %w: %d rows need %d x values and %d outputs (have %d and %d)", energy.ErrShape, rows, rows*dx, rows*K, len(x), len(dst))
	}
	blocks := (rows + evalRows - 1) / evalRows
	return parallel.For(ctx, m.threads, blocks, func(_, blk int) error {
		lo, hi := blk*evalRows, min(rows, (blk+1)*evalRows)
		s := m.scores(x[lo*dx:hi*dx], hi-lo)
		for r := range hi - lo {
			m.logProbsRow(s[r*K:(r+1)*K], dst[(lo+r)*K:(lo+r+1)*K])
		}
		return nil
	})
}

// Predict returns the most probable class of one x.
func (m *Model) Predict(x []float64) int {
	p := make([]float64, m.Classes())
	m.Probs(x, p)
	best := 0
	for k, v := range p {
		if v > p[best] {
			best = k
		}
	}
	return best
}

// Sample draws n class indices from π(·|x) for one x (len XDim) into dst
// (len n), as float64 values (the model's y column). Each draw takes one
// uniform number from rng.
func (m *Model) Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dx, K := m.spec.XDim, m.Classes()
	if len(x) != dx || n < 0 || len(dst) < n {
		return fmt.Errorf("classifier sample: %w: x has %d values (want %d), dst %d for %d draws", energy.ErrShape, len(x), dx, len(dst), n)
	}
	p := make([]float64, K)
	m.Probs(x, p)
	for _, v := range p {
		if math.IsNaN(v) {
			return fmt.Errorf("classifier sample: %w: the class probabilities of x are not finite", energy.ErrNonFinite)
		}
	}
	for i := range n {
		u := rng.Float64()
		k := 0
		for acc := p[0]; k < K-1 && u >= acc; acc += p[k] {
			k++
		}
		dst[i] = float64(k)
	}
	return nil
}
