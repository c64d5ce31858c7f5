package sinkhorn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/optimize"
)

func benchmarkSemiDualLBFGS(b *testing.B, eps float64) {
	c := newSemiDualCase(semiDualBenchN, semiDualBenchN, eps, 11)
	var iters, evals int
	var marg float64
	for b.Loop() {
		obj, err := NewSemiDualObjective(c.cost, c.n, c.m, c.a, c.b, eps)
		if err != nil {
			b.Fatal(err)
		}
		p := optimize.Problem{
			Func: func(x []float64) float64 { return obj.FuncGrad(x, make([]float64, len(x))) },
			Grad: func(grad, x []float64) { obj.FuncGrad(x, grad) },
		}
		// gonum stops on the infinity norm of the gradient; without a
		// threshold it reports failure at the optimum.
		res, err := optimize.Minimize(p, make([]float64, c.m), &optimize.Settings{
			GradientThreshold: semiDualBenchTol / math.Sqrt(float64(c.m)),
			MajorIterations:   1000000,
		}, &optimize.LBFGS{})
		if err != nil {
			b.Fatal(err)
		}
		iters, evals = res.Stats.MajorIterations, obj.Evaluations()
		marg = obj.Result(res.X).MarginalError
	}
	b.ReportMetric(float64(iters), "iters")
	b.ReportMetric(float64(evals), "evals")
	b.ReportMetric(marg*1e9, "marg-L1/1e-9")
}

func BenchmarkSemiDualLBFGSEps0_05(b *testing.B)  { benchmarkSemiDualLBFGS(b, 0.05) }
func BenchmarkSemiDualLBFGSEps0_01(b *testing.B)  { benchmarkSemiDualLBFGS(b, 0.01) }
func BenchmarkSemiDualLBFGSEps0_002(b *testing.B) { benchmarkSemiDualLBFGS(b, 0.002) }
