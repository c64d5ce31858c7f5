package gmm

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/cputime"
)

func benchLossGrad(b *testing.B, spec energy.Spec, batch int) {
	g := testGMM(b, spec, 81)
	bt := testBatch(testRNG(82), spec, batch, batch, batch)
	grad := make([]float64, len(g.Params()))
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cputime.Process()
	for b.Loop() {
		if _, err := g.LossGrad(ctx, bt, grad, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cputime.Process()-cpu)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkGMMLossGradSwissRoll is one step of the Swiss-roll preset:
// N = 50, M = 25, Dx = Dy = 2, ε = 1, linear heads, 128 rows per stream.
func BenchmarkGMMLossGradSwissRoll(b *testing.B) {
	benchLossGrad(b, energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 50, CostComponents: 25}, 128)
}

// BenchmarkGMMLossGradSwissRollFullCov is the Swiss-roll step with
// Cholesky factors instead of diagonal A_n (the generic per-row path).
func BenchmarkGMMLossGradSwissRollFullCov(b *testing.B) {
	benchLossGrad(b, energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 50, CostComponents: 25, FullCov: true}, 128)
}

// BenchmarkGMMLossGradWeather is the weather shape: 188 → 94, N = M = 10,
// ε = 0.01, batch 32, b head hidden [940], log v head hidden [10].
func BenchmarkGMMLossGradWeather(b *testing.B) {
	benchLossGrad(b, energy.Spec{Kind: energy.KindGMM, XDim: 188, YDim: 94, Eps: 0.01, Potentials: 10, CostComponents: 10,
		CostHidden: []int{940}, WeightHidden: []int{10}}, 32)
}

// BenchmarkGMMLossGradWeatherFullCov is the weather shape with Cholesky
// factors instead of diagonal A_n.
func BenchmarkGMMLossGradWeatherFullCov(b *testing.B) {
	benchLossGrad(b, energy.Spec{Kind: energy.KindGMM, XDim: 188, YDim: 94, Eps: 0.01, Potentials: 10, CostComponents: 10,
		CostHidden: []int{940}, WeightHidden: []int{10}, FullCov: true}, 32)
}

// reportRate reports items per wall second and per CPU second (all threads
// together) for perOp items per iteration.
func reportRate(b *testing.B, perOp int, cpuStart time.Duration, unit string) {
	items := float64(perOp * b.N)
	b.ReportMetric(items/b.Elapsed().Seconds(), unit+"/s")
	if cpu := cputime.Process() - cpuStart; cpu > 0 {
		b.ReportMetric(items/cpu.Seconds(), unit+"/cpu-s")
	}
}

var evalShapes = []struct{ N, M, D int }{{10, 5, 2}, {50, 25, 2}, {10, 5, 94}, {50, 25, 94}}

// BenchmarkGMMSampleBatch draws one sample for each of 1024 different x's
// (the unconditional metric's pattern); reports samples/s.
func BenchmarkGMMSampleBatch(b *testing.B) {
	for _, s := range evalShapes {
		b.Run(fmt.Sprintf("NM%d-Dy%d", s.N*s.M, s.D), func(b *testing.B) {
			spec := energy.Spec{Kind: energy.KindGMM, XDim: s.D, YDim: s.D, Eps: 0.5, Potentials: s.N, CostComponents: s.M}
			g := testGMM(b, spec, 83)
			const rows = 1024
			xs := randn(testRNG(84), rows*s.D, 1)
			ys := make([]float64, rows*s.D)
			rng := testRNG(85)
			cpu := cputime.Process()
			for b.Loop() {
				if err := g.SampleBatch(context.Background(), xs, rows, rng, ys); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, rows, cpu, "samples")
		})
	}
}

// BenchmarkGMMSampleOneX draws 1024 samples at one x (the conditional
// metric's pattern); reports samples/s.
func BenchmarkGMMSampleOneX(b *testing.B) {
	for _, s := range evalShapes {
		b.Run(fmt.Sprintf("NM%d-Dy%d", s.N*s.M, s.D), func(b *testing.B) {
			spec := energy.Spec{Kind: energy.KindGMM, XDim: s.D, YDim: s.D, Eps: 0.5, Potentials: s.N, CostComponents: s.M}
			g := testGMM(b, spec, 83)
			const n = 1024
			x := randn(testRNG(84), s.D, 1)
			ys := make([]float64, n*s.D)
			rng := testRNG(85)
			cpu := cputime.Process()
			for b.Loop() {
				if err := g.Sample(context.Background(), x, n, rng, ys); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, n, cpu, "samples")
		})
	}
}

// BenchmarkGMMLogProbBatch scores 1024 (x, y) rows; reports evaluations/s.
func BenchmarkGMMLogProbBatch(b *testing.B) {
	for _, s := range evalShapes {
		b.Run(fmt.Sprintf("NM%d-Dy%d", s.N*s.M, s.D), func(b *testing.B) {
			spec := energy.Spec{Kind: energy.KindGMM, XDim: s.D, YDim: s.D, Eps: 0.5, Potentials: s.N, CostComponents: s.M}
			g := testGMM(b, spec, 83)
			const rows = 1024
			xs, ys := randn(testRNG(84), rows*s.D, 1), randn(testRNG(86), rows*s.D, 1)
			out := make([]float64, rows)
			cpu := cputime.Process()
			for b.Loop() {
				if err := g.LogProbBatch(context.Background(), xs, ys, rows, out); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, rows, cpu, "evals")
		})
	}
}

// BenchmarkGMMSourceKernel times the source-row part of one Swiss-roll step
// alone (128 rows, N = 50, M = 25, Dy = 2): the Dy = 2 kernel against the
// generic block path it replaces for that shape; reports ns per (n, m, x)
// cell of CPU time. "row2" is the kernel LossGrad uses (internal/kernels'
// AVX2 block on a CPU that has AVX2 and FMA), "row2scalar" the pure-Go one.
func BenchmarkGMMSourceKernel(b *testing.B) {
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 50, CostComponents: 25}
	g := testGMM(b, spec, 81)
	var p potential
	p.update(g)
	const rows, blockRows = 128, 8
	N, M := spec.Potentials, spec.CostComponents
	rng := testRNG(87)
	logv, heads := randn(rng, rows*M, 1), randn(rng, rows*M*2, 1)
	for i := 0; i < rows; i++ {
		logSoftmax(logv[i*M:(i+1)*M], logv[i*M:(i+1)*M])
	}
	acc := make([]float64, g.potGradLen())
	dlogv, db := make([]float64, rows*M), make([]float64, rows*M*2)
	sc := newRowScratch(&p)
	run := func(b *testing.B, kernel func(lo, hi int)) {
		cpu := cputime.Process()
		for b.Loop() {
			for lo := 0; lo < rows; lo += blockRows {
				kernel(lo, lo+blockRows)
			}
		}
		b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N*rows*N*M), "cpu-ns/cell")
	}
	b.Run("row2", func(b *testing.B) {
		run(b, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				p.partitionRow2(logv[i*M:(i+1)*M], heads[i*M*2:(i+1)*M*2], 1.0/rows, &sc.ker, acc, dlogv[i*M:(i+1)*M], db[i*M*2:(i+1)*M*2])
			}
		})
	})
	b.Run("row2scalar", func(b *testing.B) {
		run(b, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				p.partitionRow2Scalar(logv[i*M:(i+1)*M], heads[i*M*2:(i+1)*M*2], 1.0/rows, &sc.ker, acc, dlogv[i*M:(i+1)*M], db[i*M*2:(i+1)*M*2])
			}
		})
	})
	b.Run("block", func(b *testing.B) {
		run(b, func(lo, hi int) {
			p.partitionBlockDiag(logv[lo*M:hi*M], heads[lo*M*2:hi*M*2], hi-lo, 1.0/rows, &sc.blk, acc, dlogv[lo*M:hi*M], db[lo*M*2:hi*M*2])
		})
	})
}
