package neural

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/parallel"
)

// minBlockRows is the smallest row block worth a goroutine of its own: below
// it gorgonia's per-op overhead outweighs the second core.
const minBlockRows = 32

// maxBlockRows caps the rows of one graph: its buffers hold rows × width
// floats for every layer, so a graph for a whole large sample would be huge.
const maxBlockRows = 512

// maxCachedGraphs bounds the graphs kept per worker; batch shapes rarely
// vary, so a full cache means shapes are churning and is simply dropped.
const maxCachedGraphs = 8

// Model is the EBiEOT-NN model (docs/method.md §5): a cost MLP c(x, y) on the
// concatenation [x, y] and a potential MLP f(y), both with LeakyReLU hidden
// layers and a scalar linear output, defining the energy
//
//	E(y|x) = (c(x,y) − f(y))/ε,  π(y|x) ∝ exp(−E(y|x)).
//
// The networks run as gorgonia graphs (one fused op per layer, see
// op.go; evaluated by program, see exec.go): parameter
// gradients for training and ∇_y E for the Langevin sampler. Each worker
// goroutine owns its graphs, built for the row counts it meets and cached.
// log Z(x) is not computed; LossGrad estimates its gradient with Langevin
// samples started from a replay buffer that persists across calls (it is
// training state, not part of Params, and is not saved with the model).
// LogProbEstimate gives an importance-sampling estimate of log π(y|x);
// Neural deliberately does not implement Density.
//
// Parameters are one flat vector: the cost layers, then the potential
// layers, each layer a weight matrix in×out stored row-major (so a layer
// computes rows·W + b; the transpose of PyTorch's Linear.weight) followed by
// its bias. A Neural is not safe for concurrent use.
type Model struct {
	spec            energy.Spec
	lv              energy.Langevin
	cost, potential net
	params          []float64
	buffer          *ReplayBuffer
	workers         []workerState
	blockGrads      [][]float64 // trainRows' gradients of blocks 1, 2, …
	threads         int         // goroutines per call; 0 = one per CPU
}

// SetThreads sets the number of goroutines the model's row blocks run on
// (0 = one per CPU). The block boundaries depend on it, so results depend
// on the seed and the thread count.
func (n *Model) SetThreads(threads int) { n.threads = threads }

// workerState holds one goroutine's graphs: a graph's ops keep their outputs
// in buffers of their own, so a graph must not run in two goroutines at
// once, and its shapes are fixed when built.
type workerState struct {
	samplers map[int]*samplerGraph
	trains   map[[2]int]*trainGraph
	eval     *evalGraph // evalRows rows
}

// Loss is what LossGradStats reports besides the loss terms.
type Loss struct {
	energy.LossTerms
	// Contrastive is Paired − Target + mean_sources (f(ŷ) − c(x,ŷ))/ε with
	// ŷ the Langevin samples: the surrogate whose gradient (ŷ held fixed) is
	// the returned gradient. It is not the loss (that needs log Z) but its
	// trend is useful for logging.
	Contrastive float64
	// Restarted counts the chains started from the replay buffer.
	Restarted int
}

// NewNeural returns a neural model with freshly initialised parameters.
// Zero fields of spec get the defaults: Kind nn, CostHidden [256],
// PotentialHidden [256, 256], LeakySlope 0.2, Langevin DefaultLangevin()
// (a non-nil Langevin is used as given and validated; errors wrap ErrSpec).
// The GMM-only fields are ignored and cleared.
// Every weight and bias of a layer with fan-in k is drawn from
// U(−1/√k, 1/√k), the distribution of PyTorch's default Linear init
// (Kaiming-uniform with a = √5 for the weights), so both networks start
// near the authors' initial state.
func New(spec energy.Spec, rng *rand.Rand) (*Model, error) {
	n, err := newLayout(spec)
	if err != nil {
		return nil, err
	}
	for _, net := range []net{n.cost, n.potential} {
		for l := 0; l+1 < len(net.sizes); l++ {
			w, b := net.layer(l)
			bound := 1 / math.Sqrt(float64(net.sizes[l]))
			end := b + net.sizes[l+1]
			for i := w; i < end; i++ {
				n.params[i] = bound * (2*rng.Float64() - 1)
			}
		}
	}
	return n, nil
}

// NeuralFromParams rebuilds a model from its Spec and Params (copied).
func FromParams(spec energy.Spec, params []float64) (*Model, error) {
	n, err := newLayout(spec)
	if err != nil {
		return nil, err
	}
	if len(params) != len(n.params) {
		return nil, fmt.Errorf("%w: neural model needs %d parameters, have %d", energy.ErrSpec, len(n.params), len(params))
	}
	for i, v := range params {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: parameter %d is %v", energy.ErrSpec, i, v)
		}
	}
	copy(n.params, params)
	return n, nil
}

func newLayout(spec energy.Spec) (*Model, error) {
	if spec.Kind == "" {
		spec.Kind = energy.KindNeural
	}
	if spec.Kind != energy.KindNeural {
		return nil, fmt.Errorf("%w: kind %q is not %q", energy.ErrSpec, spec.Kind, energy.KindNeural)
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec.CostHidden = defaultHidden(spec.CostHidden, []int{256})
	spec.PotentialHidden = defaultHidden(spec.PotentialHidden, []int{256, 256})
	// GMM-only fields do not apply; clearing them keeps saved specs clean.
	spec.Potentials, spec.CostComponents, spec.WeightHidden, spec.FullCov, spec.AInit = 0, 0, nil, false, 0
	if spec.LeakySlope == 0 {
		spec.LeakySlope = 0.2
	}
	if !(spec.LeakySlope > 0 && spec.LeakySlope <= 1) {
		return nil, fmt.Errorf("%w: leaky slope %v must be in (0, 1]", energy.ErrSpec, spec.LeakySlope)
	}
	lv := energy.DefaultLangevin()
	if spec.Langevin != nil {
		lv = *spec.Langevin
	}
	if err := lv.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", energy.ErrSpec, err)
	}
	spec.Langevin = nil // Spec() hands out a fresh copy of lv
	buffer, err := NewReplayBuffer(spec.YDim, lv.BufferSize, lv.RestartProb, lv.InitStd)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", energy.ErrSpec, err)
	}
	n := &Model{spec: spec, lv: lv, buffer: buffer}
	n.cost = newNet(spec.XDim+spec.YDim, spec.CostHidden, 0)
	n.potential = newNet(spec.YDim, spec.PotentialHidden, n.cost.numParams())
	n.params = make([]float64, n.cost.numParams()+n.potential.numParams())
	return n, nil
}

func defaultHidden(h, def []int) []int {
	if len(h) == 0 {
		h = def
	}
	return append([]int(nil), h...)
}

// Spec returns the architecture with every default filled in.
func (n *Model) Spec() energy.Spec {
	s := n.spec
	s.CostHidden = append([]int(nil), s.CostHidden...)
	s.PotentialHidden = append([]int(nil), s.PotentialHidden...)
	lv := n.lv
	s.Langevin = &lv
	return s
}

// Params returns the live parameter vector; the graphs read it on every
// run, so in-place updates take effect on the next call.
func (n *Model) Params() []float64 { return n.params }

// Blocks lists each layer's weight (Rows×Cols = in×out) and bias, cost
// network first.
func (n *Model) Blocks() []energy.ParamBlock {
	var blocks []energy.ParamBlock
	for _, part := range []struct {
		name string
		role energy.Role
		net  net
	}{{"cost", energy.RoleCost, n.cost}, {"potential", energy.RolePotential, n.potential}} {
		for l := 0; l+1 < len(part.net.sizes); l++ {
			w, b := part.net.layer(l)
			in, out := part.net.sizes[l], part.net.sizes[l+1]
			blocks = append(blocks,
				energy.ParamBlock{Name: fmt.Sprintf("%s.%d.weight", part.name, l), Role: part.role, Offset: w, Len: in * out, Rows: in, Cols: out},
				energy.ParamBlock{Name: fmt.Sprintf("%s.%d.bias", part.name, l), Role: part.role, Offset: b, Len: out})
		}
	}
	return blocks
}

// Cost returns c(x, y), or NaN when the lengths do not match the spec.
func (n *Model) Cost(x, y []float64) float64 {
	if len(x) != n.spec.XDim || len(y) != n.spec.YDim {
		return math.NaN()
	}
	in := append(append(make([]float64, 0, len(x)+len(y)), x...), y...)
	return n.cost.forward(n.params, in, n.spec.LeakySlope)
}

// Potential returns f(y), or NaN when the length does not match the spec.
func (n *Model) Potential(y []float64) float64 {
	if len(y) != n.spec.YDim {
		return math.NaN()
	}
	return n.potential.forward(n.params, y, n.spec.LeakySlope)
}

// Energy returns E(y|x) = (c(x,y) − f(y))/ε, the negative unnormalised
// conditional log-density; NaN when the lengths do not match the spec.
func (n *Model) Energy(x, y []float64) float64 {
	return (n.Cost(x, y) - n.Potential(y)) / n.spec.Eps
}

// ReplayLen is the number of samples in the replay buffer.
func (n *Model) ReplayLen() int { return n.buffer.Len() }

// LossGrad implements Model; see LossGradStats.
func (n *Model) LossGrad(ctx context.Context, b *energy.Batch, grad []float64, rng *rand.Rand) (energy.LossTerms, error) {
	st, err := n.LossGradStats(ctx, b, grad, rng)
	return st.LossTerms, err
}

// LossGradStats writes into grad the stochastic gradient of docs/method.md §5,
//
//	(1/ε)·mean_pairs ∇c(x,y) − (1/ε)·mean_targets ∇f(y) + (1/ε)·mean_sources [∇f(ŷ) − ∇c(x,ŷ)],
//
// where ŷ ~ π(·|x) is drawn for each source x by Langevin dynamics started
// from the replay buffer, then pushed into it. Paired and Target are exact;
// LogPartition and Total are NaN. rng drives the chain starts and noise;
// the result is deterministic for a given rng state and thread count.
func (n *Model) LossGradStats(ctx context.Context, b *energy.Batch, grad []float64, rng *rand.Rand) (Loss, error) {
	nan := math.NaN()
	out := Loss{LossTerms: energy.LossTerms{Paired: nan, Target: nan, LogPartition: nan, Total: nan}, Contrastive: nan}
	if err := n.checkBatch(b); err != nil {
		return out, err
	}
	if len(grad) != len(n.params) {
		return out, fmt.Errorf("neural loss: gradient has %d entries, want %d", len(grad), len(n.params))
	}
	clear(grad)
	dx, dy := n.spec.XDim, n.spec.YDim
	var yHat []float64
	if b.NSource > 0 {
		yHat = make([]float64, b.NSource*dy)
		restarted, err := n.buffer.Starts(yHat, rng)
		if err != nil {
			return out, err
		}
		out.Restarted = restarted
		if err := n.sampleRows(ctx, b.SourceX[:b.NSource*dx], yHat, rng); err != nil {
			return out, fmt.Errorf("neural loss: sample sources: %w", err)
		}
		if err := n.buffer.Push(yHat); err != nil {
			return out, err
		}
	}

	// Cost rows: pairs (weight +1/(ε·P)), then sources with their samples
	// (−1/(ε·S)); potential rows: targets (−1/(ε·R)), then the samples
	// (+1/(ε·S)).
	nc, nf := b.NPair+b.NSource, b.NTarget+b.NSource
	xc := append(append(make([]float64, 0, nc*dx), b.PairX[:b.NPair*dx]...), b.SourceX[:b.NSource*dx]...)
	yc := append(append(make([]float64, 0, nc*dy), b.PairY[:b.NPair*dy]...), yHat...)
	yf := append(append(make([]float64, 0, nf*dy), b.TargetY[:b.NTarget*dy]...), yHat...)
	wc, wf := make([]float64, nc), make([]float64, nf)
	eps := n.spec.Eps
	for i := range wc {
		if i < b.NPair {
			wc[i] = 1 / (eps * float64(b.NPair))
		} else {
			wc[i] = -1 / (eps * float64(b.NSource))
		}
	}
	for i := range wf {
		if i < b.NTarget {
			wf[i] = -1 / (eps * float64(b.NTarget))
		} else {
			wf[i] = 1 / (eps * float64(b.NSource))
		}
	}
	c, f := make([]float64, nc), make([]float64, nf)
	if err := n.trainRows(ctx, xc, yc, wc, yf, wf, grad, c, f); err != nil {
		return out, fmt.Errorf("neural loss: %w", err)
	}

	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	contrast := 0.0
	if b.NPair > 0 {
		out.Paired = mean(c[:b.NPair]) / eps
		contrast += out.Paired
	}
	if b.NTarget > 0 {
		out.Target = mean(f[:b.NTarget]) / eps
		contrast -= out.Target
	}
	if b.NSource > 0 {
		contrast += (mean(f[b.NTarget:]) - mean(c[b.NPair:])) / eps
	}
	out.Contrastive = contrast
	return out, nil
}

func (n *Model) checkBatch(b *energy.Batch) error {
	if b == nil {
		return fmt.Errorf("neural loss: nil batch")
	}
	dx, dy := n.spec.XDim, n.spec.YDim
	switch {
	case b.NPair < 0 || b.NTarget < 0 || b.NSource < 0:
		return fmt.Errorf("neural loss: negative batch size")
	case len(b.PairX) < b.NPair*dx || len(b.PairY) < b.NPair*dy:
		return fmt.Errorf("neural loss: %d pairs need %d x and %d y values, have %d and %d", b.NPair, b.NPair*dx, b.NPair*dy, len(b.PairX), len(b.PairY))
	case len(b.TargetY) < b.NTarget*dy:
		return fmt.Errorf("neural loss: %d targets need %d values, have %d", b.NTarget, b.NTarget*dy, len(b.TargetY))
	case len(b.SourceX) < b.NSource*dx:
		return fmt.Errorf("neural loss: %d sources need %d values, have %d", b.NSource, b.NSource*dx, len(b.SourceX))
	case b.NPair+b.NTarget+b.NSource == 0:
		return fmt.Errorf("neural loss: empty batch")
	}
	return nil
}

// Sample draws n samples of y ~ π(·|x) by Langevin dynamics from fresh
// N(0, InitStd²·I) starts (the replay buffer is neither read nor changed).
func (n *Model) Sample(ctx context.Context, x []float64, count int, rng *rand.Rand, dst []float64) error {
	dx, dy := n.spec.XDim, n.spec.YDim
	switch {
	case len(x) != dx:
		return fmt.Errorf("neural sample: x has %d values, want %d", len(x), dx)
	case count < 0 || len(dst) != count*dy:
		return fmt.Errorf("neural sample: %d samples need %d values in dst, have %d", count, count*dy, len(dst))
	case count == 0:
		return nil
	}
	for i := range dst {
		dst[i] = n.lv.InitStd * rng.NormFloat64()
	}
	xs := make([]float64, count*dx)
	for i := 0; i < count; i++ {
		copy(xs[i*dx:], x)
	}
	if err := n.sampleRows(ctx, xs, dst, rng); err != nil {
		return fmt.Errorf("neural sample: %w", err)
	}
	return nil
}

// rowBlocks splits rows into contiguous blocks (bounds[k] to bounds[k+1]):
// one per thread when there are at least minBlockRows rows each, more when a
// block would exceed maxBlockRows (a graph's memory grows with its rows).
// The split depends only on rows and the thread count, which keeps results
// reproducible. Blocks are not made smaller to balance load: the matrix
// products lose efficiency with fewer rows (BENCHMARKS.md, EBiEOT-NN).
func (n *Model) rowBlocks(rows int) []int {
	k := max(1, min(parallel.Threads(n.threads), rows/minBlockRows), (rows+maxBlockRows-1)/maxBlockRows)
	bounds := make([]int, k+1)
	for i := range bounds {
		bounds[i] = i * rows / k
	}
	return bounds
}

// workerCount is the number of goroutines forBlocks uses for blocks.
func (n *Model) workerCount(blocks int) int { return parallel.Workers(n.threads, blocks) }

// forBlocks runs do(worker, block) for every block on workerCount(blocks)
// goroutines, which take the next block as they become free, and returns
// the error of the lowest failing block. do must not depend on which worker
// runs a block except through per-worker scratch state (graphs): results
// are then independent of the scheduling.
func (n *Model) forBlocks(blocks int, do func(worker, block int) error) error {
	// Cancellation is checked by the callers between Langevin steps.
	return parallel.For(context.Background(), n.threads, blocks, do)
}

func (n *Model) worker(k int) *workerState {
	for len(n.workers) <= k {
		n.workers = append(n.workers, workerState{samplers: map[int]*samplerGraph{}, trains: map[[2]int]*trainGraph{}})
	}
	return &n.workers[k]
}

func (w *workerState) sampler(n *Model, rows int) (*samplerGraph, error) {
	if g, ok := w.samplers[rows]; ok {
		return g, nil
	}
	g, err := buildSampler(n, rows)
	if err != nil {
		return nil, fmt.Errorf("build sampler graph for %d rows: %w", rows, err)
	}
	if len(w.samplers) >= maxCachedGraphs {
		clear(w.samplers)
	}
	w.samplers[rows] = g
	return g, nil
}

func (w *workerState) train(n *Model, costRows, potRows int) (*trainGraph, error) {
	key := [2]int{costRows, potRows}
	if g, ok := w.trains[key]; ok {
		return g, nil
	}
	g, err := buildTrain(n, costRows, potRows)
	if err != nil {
		return nil, fmt.Errorf("build training graph for %d cost and %d potential rows: %w", costRows, potRows, err)
	}
	if len(w.trains) >= maxCachedGraphs {
		clear(w.trains)
	}
	w.trains[key] = g
	return g, nil
}

// energyRows writes E(y_i|x_i) for every row into dst, in chunks of
// evalRows spread over the workers.
func (n *Model) energyRows(ctx context.Context, xs, ys, dst []float64) error {
	dx, dy := n.spec.XDim, n.spec.YDim
	chunks := (len(dst) + evalRows - 1) / evalRows
	graphs := make([]*evalGraph, n.workerCount(chunks))
	for w := range graphs {
		wk := n.worker(w)
		if wk.eval == nil {
			g, err := buildEval(n)
			if err != nil {
				return fmt.Errorf("build evaluation graph: %w", err)
			}
			wk.eval = g
		}
		graphs[w] = wk.eval
	}
	invEps := 1 / n.spec.Eps
	return n.forBlocks(chunks, func(w, c int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		lo, hi := c*evalRows, min(len(dst), (c+1)*evalRows)
		return graphs[w].energies(xs[lo*dx:hi*dx], ys[lo*dy:hi*dy], dst[lo:hi], invEps)
	})
}

// sampleRows runs the Langevin chains y_i | x_i in place, block by block on
// the worker goroutines, each block with its own generator seeded from rng
// in block order, so the result depends on rng and the block split (rows
// and the thread count) but not on which worker runs which block.
func (n *Model) sampleRows(ctx context.Context, xs, ys []float64, rng *rand.Rand) error {
	dx, dy := n.spec.XDim, n.spec.YDim
	bounds := n.rowBlocks(len(ys) / dy)
	blocks := len(bounds) - 1
	rngs := make([]*rand.Rand, blocks)
	for k := range rngs {
		rngs[k] = rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	}
	// Every worker gets a graph for every block size (at most two differ)
	// before the goroutines start, since any worker may take any block and
	// the worker list may grow here.
	graphs := make([]map[int]*samplerGraph, n.workerCount(blocks))
	for w := range graphs {
		graphs[w] = map[int]*samplerGraph{}
		for b := range blocks {
			rows := bounds[b+1] - bounds[b]
			if graphs[w][rows] != nil {
				continue
			}
			g, err := n.worker(w).sampler(n, rows)
			if err != nil {
				return err
			}
			graphs[w][rows] = g
		}
	}
	invEps := 1 / n.spec.Eps
	return n.forBlocks(blocks, func(w, b int) error {
		lo, hi := bounds[b], bounds[b+1]
		g := graphs[w][hi-lo]
		if err := g.setX(xs[lo*dx : hi*dx]); err != nil {
			return err
		}
		return energy.RunLangevin(ctx, n.lv, dy, ys[lo*dy:hi*dy], func(y, grad []float64) error {
			return g.gradient(y, grad, invEps)
		}, rngs[b])
	})
}

// trainRows evaluates the weighted training graph over row blocks in
// parallel and sums the block gradients into grad in block order.
func (n *Model) trainRows(ctx context.Context, xc, yc, wc, yf, wf, grad, c, f []float64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dx, dy := n.spec.XDim, n.spec.YDim
	nc, nf := len(wc), len(wf)
	blocks := len(n.rowBlocks(max(nc, nf))) - 1
	cb, fb := make([]int, blocks+1), make([]int, blocks+1)
	for k := range cb {
		cb[k], fb[k] = k*nc/blocks, k*nf/blocks
	}
	graphs := make([]map[[2]int]*trainGraph, n.workerCount(blocks))
	for w := range graphs {
		graphs[w] = map[[2]int]*trainGraph{}
		for b := range blocks {
			key := [2]int{cb[b+1] - cb[b], fb[b+1] - fb[b]}
			if graphs[w][key] != nil {
				continue
			}
			g, err := n.worker(w).train(n, key[0], key[1])
			if err != nil {
				return err
			}
			graphs[w][key] = g
		}
	}
	// Block 0 adds into grad (cleared by the caller), the others into
	// buffers kept across calls (a gradient is 68 k floats at the preset),
	// summed into grad in block order afterwards.
	for len(n.blockGrads) < blocks-1 {
		n.blockGrads = append(n.blockGrads, nil)
	}
	for b := range blocks - 1 {
		if len(n.blockGrads[b]) != len(grad) {
			n.blockGrads[b] = make([]float64, len(grad))
		}
		clear(n.blockGrads[b])
	}
	err := n.forBlocks(blocks, func(w, b int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		c0, c1, f0, f1 := cb[b], cb[b+1], fb[b], fb[b+1]
		g := graphs[w][[2]int{c1 - c0, f1 - f0}]
		if g.hasCost {
			copy(g.xc.data, xc[c0*dx:c1*dx])
			copy(g.yc.data, yc[c0*dy:c1*dy])
			copy(g.wc.data, wc[c0:c1])
		}
		if g.hasPt {
			copy(g.yf.data, yf[f0*dy:f1*dy])
			copy(g.wf.data, wf[f0:f1])
		}
		dst := grad
		if b > 0 {
			dst = n.blockGrads[b-1]
		}
		return g.run(dst, c[c0:c1], f[f0:f1])
	})
	if err != nil {
		return err
	}
	for _, gb := range n.blockGrads[:blocks-1] {
		for i, v := range gb {
			grad[i] += v
		}
	}
	return nil
}
