package neural

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// thinSide bounds the products that, when a BLAS other than the kernels
// runs them (the openblas build, or a CPU without AVX2 and FMA), go to Go
// loops over gonum's assembly dot and axpy kernels instead: those with an
// inner dimension of at most thinSide in mulAdd or an outer one in mulT,
// and those with a single column. They are the networks' input layers (Dx
// or Dy columns) and scalar output layers, run at every Langevin step,
// where a BLAS call costs more in set-up than the product itself
// (BENCHMARKS.md, EBiEOT-NN, has the measurements). The loops call gonum's
// pure-Go implementation directly: the openblas build redirects gorgonia's
// and blas64's BLAS, not this one.
//
// internal/kernels has skinny paths of its own for one to four columns or
// rows, faster than these loops; only the products with a thin inner
// dimension stay on the loops with it (bench/notes/kernels.md).
const thinSide = 4

// mulAdd computes C += A·B for row-major A (m×k), B (k×n), C (m×n). gm
// runs the products that reach a BLAS and keeps its buffers.
func mulAdd(gm *vecmath.Gemm, m, n, k int, a, b, c []float64) {
	installed := G.WhichBLAS()
	kern := vecmath.UsesKernels(installed)
	switch {
	case m == 0 || n == 0 || k == 0:
	case n == 1 && !kern:
		for i := range m {
			c[i] += gonum.Implementation{}.Ddot(k, a[i*k:(i+1)*k], 1, b[:k], 1)
		}
	case k <= thinSide && n > 1:
		for i := range m {
			ci := c[i*n : (i+1)*n]
			for p, v := range a[i*k : (i+1)*k] {
				gonum.Implementation{}.Daxpy(n, v, b[p*n:(p+1)*n], 1, ci, 1)
			}
		}
	default:
		gm.Dgemm(installed, blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 1, c, n)
	}
}

// mulT computes C = A·Bᵀ for row-major A (m×k), B (n×k), C (m×n): the
// gradient with respect to a layer's input.
func mulT(gm *vecmath.Gemm, m, n, k int, a, b, c []float64) {
	installed := G.WhichBLAS()
	kern := vecmath.UsesKernels(installed)
	switch {
	case m == 0 || n == 0:
	case k == 0:
		clear(c[:m*n])
	case k == 1:
		for i := range m {
			ai, ci := a[i], c[i*n:(i+1)*n]
			for j, v := range b[:n] {
				ci[j] = ai * v
			}
		}
	case n <= thinSide && !kern:
		for i := range m {
			ai := a[i*k : (i+1)*k]
			for j := range n {
				c[i*n+j] = gonum.Implementation{}.Ddot(k, ai, 1, b[j*k:(j+1)*k], 1)
			}
		}
	default:
		gm.Dgemm(installed, blas.NoTrans, blas.Trans, m, n, k, 1, a, k, b, k, 0, c, n)
	}
}
