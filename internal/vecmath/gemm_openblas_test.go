//go:build openblas

package vecmath

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"

	// OpenBLAS for blas64, pinned to one thread as in the programs.
	_ "github.com/ebieot/ebieot/energy/openblas"
)

// BenchmarkGemmOpenBLAS is BenchmarkGemmShapes' reference: the same
// products on single-threaded OpenBLAS, so that one run of
//
//	CGO_LDFLAGS=-lopenblas go test -tags openblas -bench 'Gemm(Shapes|OpenBLAS)'
//
// puts gonum, the kernels and OpenBLAS side by side.
func BenchmarkGemmOpenBLAS(b *testing.B) {
	impl := blas64.Implementation()
	for _, s := range modelShapes {
		tc := newGemmCase(rand.New(rand.NewPCG(9, 10)), s)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				impl.Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 1, tc.c, tc.ldc)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
