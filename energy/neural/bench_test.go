package neural

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/cputime"
)

// presetModel is the Swiss-roll preset: 2 → 2, default networks and
// Langevin settings (T = 100).
func presetModel(b *testing.B) *Model {
	b.Helper()
	n, err := New(energy.Spec{Kind: energy.KindNeural, XDim: 2, YDim: 2, Eps: 1}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// samplerFlops counts the floating-point work of the matrix products of
// one Langevin step for one row: the forward pass plus the input-gradient
// backward pass (weight gradients are not computed).
func samplerFlops(n *Model) float64 {
	macs := 0
	for _, net := range []net{n.cost, n.potential} {
		for l := 0; l+1 < len(net.sizes); l++ {
			macs += net.sizes[l] * net.sizes[l+1] // forward
			in := net.sizes[l]
			if l == 0 {
				in = n.spec.YDim // only ∇y flows back through the first layer
			}
			macs += in * net.sizes[l+1]
		}
	}
	return 2 * float64(macs)
}

// BenchmarkNeuralLossGrad is one training step's gradient at the preset:
// 128 pairs, 128 targets, 128 sources, 100 Langevin steps.
func BenchmarkNeuralLossGrad(b *testing.B) {
	n := presetModel(b)
	rng := rand.New(rand.NewPCG(2, 2))
	const batch = 128
	bt := &energy.Batch{NPair: batch, PairX: normals(rng, 2*batch), PairY: normals(rng, 2*batch),
		NTarget: batch, TargetY: normals(rng, 2*batch), NSource: batch, SourceX: normals(rng, 2*batch)}
	grad := make([]float64, len(n.Params()))
	ctx := context.Background()
	if _, err := n.LossGrad(ctx, bt, grad, rng); err != nil { // build the graphs
		b.Fatal(err)
	}
	cpu0 := cputime.Process()
	for b.Loop() {
		if _, err := n.LossGrad(ctx, bt, grad, rng); err != nil {
			b.Fatal(err)
		}
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N)*1e3, "cpu-ms/step")
	steps := float64(n.lv.Steps)
	// The training graph adds a forward and a full backward pass over the
	// 256 + 256 cost and potential rows: about 3× the forward work.
	trainFlops := 0.0
	for _, net := range []net{n.cost, n.potential} {
		for l := 0; l+1 < len(net.sizes); l++ {
			trainFlops += 3 * 2 * float64(net.sizes[l]*net.sizes[l+1]) * 2 * batch
		}
	}
	flops := steps*batch*samplerFlops(n) + trainFlops
	b.ReportMetric(perOp*1e3, "ms/step")
	b.ReportMetric(steps/perOp, "langevin-steps/s")
	b.ReportMetric(flops/perOp/1e9, "GFLOP/s")
}

// BenchmarkNeuralLangevinStep is one ∇y evaluation of the sampler graph on
// 128 rows in one goroutine.
func BenchmarkNeuralLangevinStep(b *testing.B) {
	n := presetModel(b)
	const rows = 128
	g, err := buildSampler(n, rows)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	if err := g.setX(normals(rng, 2*rows)); err != nil {
		b.Fatal(err)
	}
	y, grad := normals(rng, 2*rows), make([]float64, 2*rows)
	cpu0 := cputime.Process()
	for b.Loop() {
		if err := g.gradient(y, grad, 1); err != nil {
			b.Fatal(err)
		}
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric((cputime.Process()-cpu0).Seconds()/float64(b.N)*1e3, "cpu-ms/op")
	b.ReportMetric(rows*samplerFlops(n)/perOp/1e9, "GFLOP/s")
}

// BenchmarkNeuralLogProbEstimate is one importance-sampling estimate at the
// preset with 10 000 proposals (256 Langevin samples fit the proposal).
func BenchmarkNeuralLogProbEstimate(b *testing.B) {
	n := presetModel(b)
	rng := rand.New(rand.NewPCG(4, 4))
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := n.LogProbEstimate(ctx, []float64{0.5, -1}, []float64{0.1, 0.2}, 10000, rng); err != nil {
			b.Fatal(err)
		}
	}
}
