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

// evalBlockRows is the fixed block of rows of the batch evaluators; the
// sampler derives one random stream per block, so its output depends on the
// seed only, not on the thread count.
const evalBlockRows = 64

// heads runs both x-networks on rows x's and returns log v (rows × M, after
// the log-softmax) and b (rows × M·Dy, row-major b_md at m·Dy + d).
func (g *Model) heads(x []float64, rows int) (logv, b []float64) {
	M := g.spec.CostComponents
	if g.spec.FixedCost() {
		// One tilt b(x) = x with weight 1: exp(−c/ε) = exp(⟨x, y⟩/ε).
		return make([]float64, rows), append([]float64(nil), x[:rows*g.spec.XDim]...)
	}
	var bTape, vTape mlpTape
	b = g.bNet.forward(g.params, x, rows, &bTape)
	z := g.vNet.forward(g.params, x, rows, &vTape)
	for i := 0; i < rows; i++ {
		logSoftmax(z[i*M:(i+1)*M], z[i*M:(i+1)*M])
	}
	return z, b
}

func (g *Model) newPotential() *potential {
	p := &potential{}
	p.update(g)
	return p
}

// forBlocks calls fn on consecutive blocks of evalBlockRows rows, on up to
// the model's thread count of goroutines, each with its own scratch; it
// stops early (and returns the error) when ctx is cancelled.
func (g *Model) forBlocks(ctx context.Context, p *potential, rows int, fn func(block, lo, hi int, sc *rowScratch)) error {
	blocks := (rows + evalBlockRows - 1) / evalBlockRows
	scratch := make([]*rowScratch, parallel.Workers(g.threads, blocks))
	return parallel.For(ctx, g.threads, blocks, func(w, k int) error {
		if scratch[w] == nil {
			scratch[w] = newRowScratch(p)
		}
		lo := k * evalBlockRows
		fn(k, lo, min(rows, lo+evalBlockRows), scratch[w])
		return nil
	})
}

// Cost returns c(x, y), or NaN if the lengths do not match the spec.
func (g *Model) Cost(x, y []float64) float64 {
	if len(x) != g.spec.XDim || len(y) != g.spec.YDim {
		return math.NaN()
	}
	if g.spec.Cost == energy.CostQuadratic {
		s := 0.0
		for d, v := range x {
			s += (v - y[d]) * (v - y[d])
		}
		return 0.5 * s
	}
	p := g.newPotential()
	logv, b := g.heads(x, 1)
	return -g.spec.Eps * p.logCost(logv, b, y, newRowScratch(p))
}

// halfSq is ½‖v‖², the part of the quadratic cost that the model keeps in
// its potential (y) or drops because it cancels in π (x).
func halfSq(v []float64) float64 {
	s := 0.0
	for _, u := range v {
		s += u * u
	}
	return 0.5 * s
}

// Potential returns f(y), or NaN if len(y) is not YDim.
func (g *Model) Potential(y []float64) float64 {
	if len(y) != g.spec.YDim {
		return math.NaN()
	}
	p := g.newPotential()
	f := g.spec.Eps * p.logPotential(y, &newRowScratch(p).pot)
	if g.spec.Cost == energy.CostQuadratic {
		// The model holds f − ½‖y‖² (so that the cost is −⟨x, y⟩).
		f += halfSq(y)
	}
	return f
}

// LogPartition returns log Z(x), or NaN if len(x) is not XDim.
func (g *Model) LogPartition(x []float64) float64 {
	if len(x) != g.spec.XDim {
		return math.NaN()
	}
	p := g.newPotential()
	logv, b := g.heads(x, 1)
	lz := p.logPartition(logv, b, false, newRowScratch(p))
	if g.spec.Cost == energy.CostQuadratic {
		lz -= halfSq(x) / g.spec.Eps
	}
	return lz
}

// LogProb returns log π(y|x) = (f(y) − c(x,y))/ε − log Z(x), or NaN if the
// lengths do not match the spec. LogProbBatch is the fast path for many
// evaluations.
func (g *Model) LogProb(x, y []float64) float64 {
	dst := []float64{0}
	if err := g.LogProbBatch(context.Background(), x, y, 1, dst); err != nil {
		return math.NaN()
	}
	return dst[0]
}

// LogProbBatch sets dst[i] = log π(y_i | x_i) for rows pairs (row-major x:
// rows × XDim, y: rows × YDim).
func (g *Model) LogProbBatch(ctx context.Context, x, y []float64, rows int, dst []float64) error {
	dx, dy := g.spec.XDim, g.spec.YDim
	if rows < 0 || len(x) != rows*dx || len(y) != rows*dy || len(dst) < rows {
		return fmt.Errorf("GMM log-density: %w: %d rows need %d x values, %d y values and %d outputs, have %d, %d and %d",
			energy.ErrShape, rows, rows*dx, rows*dy, rows, len(x), len(y), len(dst))
	}
	if rows == 0 {
		return ctx.Err()
	}
	p := g.newPotential()
	logv, b := g.heads(x, rows)
	M := g.spec.CostComponents
	return g.forBlocks(ctx, p, rows, func(_, lo, hi int, sc *rowScratch) {
		for i := lo; i < hi; i++ {
			lv, bi, yi := logv[i*M:(i+1)*M], b[i*M*dy:(i+1)*M*dy], y[i*dy:(i+1)*dy]
			f := p.logPotential(yi, &sc.pot)
			c := p.logCost(lv, bi, yi, sc)
			dst[i] = f + c - p.logPartition(lv, bi, false, sc)
		}
	})
}

// ConditionalMean writes E[y | x] = Σ_nm r_nm (a_n + A_n b_m(x)) into dst
// (len YDim). It fills dst with NaNs if len(x) is not XDim or len(dst) is
// not YDim.
func (g *Model) ConditionalMean(x, dst []float64) {
	if len(x) != g.spec.XDim || len(dst) != g.spec.YDim {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	mx := g.Conditional(x)
	mx.Mean(dst)
}

// Conditional returns π(·|x) as an explicit Gaussian mixture with N·M
// components k = n·M + m: log weights log r_nm(x), means a_n + A_n b_m(x)
// and covariances ε·A_n (variances or Cholesky factors √ε·L_n). It returns
// nil if len(x) is not XDim.
func (g *Model) Conditional(x []float64) *energy.Mixture {
	if len(x) != g.spec.XDim {
		return nil
	}
	s := g.spec
	N, M, D := s.Potentials, s.CostComponents, s.YDim
	p := g.newPotential()
	logv, b := g.heads(x, 1)
	sc := newRowScratch(p)
	p.logPartition(logv, b, false, sc)
	mx := &energy.Mixture{
		Dim:        D,
		LogWeights: append([]float64(nil), sc.S[:N*M]...),
		Means:      make([]float64, N*M*D),
		CovIndex:   make([]int, N*M),
	}
	for n := range N {
		for m := range M {
			k := n*M + m
			mx.CovIndex[k] = n
			p.componentMean(n, m, b, sc, mx.Means[k*D:(k+1)*D])
		}
	}
	if !s.FullCov {
		mx.Var = make([]float64, N*D)
		for i, A := range p.A {
			mx.Var[i] = g.workEps() * A
		}
		return mx
	}
	mx.Chol = make([]float64, N*D*D)
	se := math.Sqrt(g.workEps())
	for i, l := range p.L {
		mx.Chol[i] = se * l
	}
	return mx
}

// componentMean writes a_n + A_n b_m into dst; for full A_n it uses the
// u_nm = L_nᵀ b_m that logPartition left in sc.
func (p *potential) componentMean(n, m int, b []float64, sc *rowScratch, dst []float64) {
	D, M := p.D, p.M
	a, bm := p.a[n*D:(n+1)*D], b[m*D:(m+1)*D]
	if !p.full {
		A := p.A[n*D : (n+1)*D]
		for d := range D {
			dst[d] = a[d] + A[d]*bm[d]
		}
		return
	}
	L := p.L[n*D*D : (n+1)*D*D]
	u := sc.u[(n*M+m)*D : (n*M+m+1)*D]
	for i := range D {
		dst[i] = a[i] + vecmath.Dot(L[i*D:i*D+i+1], u[:i+1])
	}
}

// Sample draws n exact samples of y ~ π(·|x) into dst (n rows of YDim).
func (g *Model) Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error {
	dy := g.spec.YDim
	if len(x) != g.spec.XDim || n < 0 || len(dst) < n*dy {
		return fmt.Errorf("GMM sample: %w: x has %d values (want %d), %d samples need %d outputs, have %d",
			energy.ErrShape, len(x), g.spec.XDim, n, n*dy, len(dst))
	}
	mx := g.Conditional(x)
	const chunk = 4096
	for lo := 0; lo < n; lo += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(n, lo+chunk)
		mx.Sample(rng, hi-lo, dst[lo*dy:hi*dy])
	}
	return nil
}

// SampleBatch draws one exact sample of y ~ π(·|x_i) for each of rows x's
// (row-major rows × XDim) into dst (rows × YDim). Each block of 64 rows
// draws from its own generator seeded from rng in block order, so the
// output depends on rng's state only, not on the thread count.
func (g *Model) SampleBatch(ctx context.Context, x []float64, rows int, rng *rand.Rand, dst []float64) error {
	s := g.spec
	N, M, D := s.Potentials, s.CostComponents, s.YDim
	if rows < 0 || len(x) != rows*s.XDim || len(dst) < rows*D {
		return fmt.Errorf("GMM sample: %w: %d rows need %d x values and %d outputs, have %d and %d",
			energy.ErrShape, rows, rows*s.XDim, rows*D, len(x), len(dst))
	}
	if rows == 0 {
		return ctx.Err()
	}
	p := g.newPotential()
	logv, b := g.heads(x, rows)
	blocks := (rows + evalBlockRows - 1) / evalBlockRows
	seeds := make([]uint64, 2*blocks)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	se := math.Sqrt(g.workEps())
	return g.forBlocks(ctx, p, rows, func(block, lo, hi int, sc *rowScratch) {
		r := rand.New(rand.NewPCG(seeds[2*block], seeds[2*block+1]))
		xi := make([]float64, D)
		for i := lo; i < hi; i++ {
			lv, bi := logv[i*M:(i+1)*M], b[i*M*D:(i+1)*M*D]
			p.logPartition(lv, bi, true, sc)
			// Walk the responsibilities to the component u falls in; the
			// last one with positive weight catches rounding at the top.
			u := r.Float64()
			k, last := 0, 0
			for j, w := range sc.S[:N*M] {
				if w > 0 {
					last = j
				}
				if u < w {
					k = j
					break
				}
				u -= w
				k = -1
			}
			if k < 0 {
				k = last
			}
			n, m := k/M, k%M
			y := dst[i*D : (i+1)*D]
			p.componentMean(n, m, bi, sc, y)
			if !p.full {
				A := p.A[n*D : (n+1)*D]
				for d := range D {
					y[d] += se * math.Sqrt(A[d]) * r.NormFloat64()
				}
				continue
			}
			L := p.L[n*D*D : (n+1)*D*D]
			for d := range D {
				xi[d] = r.NormFloat64()
			}
			for d := range D {
				y[d] += se * vecmath.Dot(L[d*D:d*D+d+1], xi[:d+1])
			}
		}
	})
}
