package vecmath

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/ebieot/ebieot/internal/kernels"
)

// Gemm routes the dense products of the models' networks (the GMM's cost
// heads, the neural model's layers and their gradients) and keeps the
// packing buffers of internal/kernels between calls. The zero value is
// ready; like kernels.Workspace it must not be used by two goroutines at
// once, so each network tape or graph owns one.
type Gemm struct {
	ws kernels.Workspace
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices
// (blas64's conventions). installed is the BLAS the process has chosen
// (blas64.Implementation() or gorgonia's WhichBLAS()):
//
//   - when it is still gonum's pure-Go default and the CPU runs the
//     assembly kernels, the product goes to kernels.Dgemm, which is several
//     times faster per core at every shape the models use (bench/notes/
//     kernels.md has the measurements);
//   - when a program has swapped in another BLAS (the openblas build of
//     energy/openblas), that choice is respected;
//   - without the assembly (other CPUs, the noasm tag) gonum's Dgemm stays,
//     since it is faster than the kernels' pure-Go twin.
//
// Unlike gonum's Dgemm, the kernels never start goroutines: the callers
// already parallelise over rows where the thread count allows it.
func (g *Gemm) Dgemm(installed blas.Float64, tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if UsesKernels(installed) {
		g.ws.Dgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	installed.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// UsesKernels reports whether Gemm.Dgemm sends products to internal/kernels
// rather than to installed: callers with special cases of their own for
// thin products (tuned against a BLAS's call overhead) use it to skip them
// when the kernels' skinny paths are faster.
func UsesKernels(installed blas.Float64) bool {
	_, pure := installed.(gonum.Implementation)
	return pure && kernels.Accelerated()
}
