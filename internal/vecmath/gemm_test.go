package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmShape is one product of the models: op(A) m×k, op(B) k×n.
type gemmShape struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
}

// modelShapes are the products the models run: the neural Swiss-roll
// preset's 256-wide layers on a 64-row Langevin chain and a 128-row batch
// (forward A·B, input gradient A·Bᵀ, weight gradient Aᵀ·B), the weather
// shape's GMM heads (64 rows, x 188, hidden 940, M·Dy = 940 outputs, the
// log v head 188 → 10 → 10), and a few small and square ones.
var modelShapes = []gemmShape{
	{"nn-fwd-64x256x256", blas.NoTrans, blas.NoTrans, 64, 256, 256},
	{"nn-fwd-128x256x256", blas.NoTrans, blas.NoTrans, 128, 256, 256},
	{"nn-dx-64x256x256", blas.NoTrans, blas.Trans, 64, 256, 256},
	{"nn-dw-256x256x128", blas.Trans, blas.NoTrans, 256, 256, 128},
	{"wx-fwd-64x940x188", blas.NoTrans, blas.Trans, 64, 940, 188},
	{"wx-fwd-64x940x940", blas.NoTrans, blas.Trans, 64, 940, 940},
	{"wx-dw-940x940x64", blas.Trans, blas.NoTrans, 940, 940, 64},
	{"wx-dw-940x188x64", blas.Trans, blas.NoTrans, 940, 188, 64},
	{"wx-down-64x940x940", blas.NoTrans, blas.NoTrans, 64, 940, 940},
	{"wx-v-64x10x188", blas.NoTrans, blas.Trans, 64, 10, 188},
	{"wx-v-64x10x10", blas.NoTrans, blas.Trans, 64, 10, 10},
	{"wx-vdw-10x188x64", blas.Trans, blas.NoTrans, 10, 188, 64},
	{"small-8x8x8", blas.NoTrans, blas.NoTrans, 8, 8, 8},
	{"small-16x16x16", blas.NoTrans, blas.NoTrans, 16, 16, 16},
	{"sq-256", blas.NoTrans, blas.NoTrans, 256, 256, 256},
}

type gemmCase struct {
	s             gemmShape
	a, b, c       []float64
	lda, ldb, ldc int
}

func newGemmCase(rng *rand.Rand, s gemmShape) gemmCase {
	ar, ac := s.m, s.k
	if s.tA != blas.NoTrans {
		ar, ac = ac, ar
	}
	br, bc := s.k, s.n
	if s.tB != blas.NoTrans {
		br, bc = bc, br
	}
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	return gemmCase{s: s, a: fill(ar * ac), b: fill(br * bc), c: fill(s.m * s.n), lda: ac, ldb: bc, ldc: s.n}
}

// TestGemmMatchesGonum holds the routed product to gonum's on every model
// shape, with beta 0 and 1, to 1e-12 of the magnitude of the terms.
func TestGemmMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var g Gemm
	for _, s := range modelShapes {
		for _, beta := range []float64{0, 1} {
			tc := newGemmCase(rng, s)
			want := append([]float64(nil), tc.c...)
			got := append([]float64(nil), tc.c...)
			gonum.Implementation{}.Dgemm(s.tA, s.tB, s.m, s.n, s.k, 0.7, tc.a, tc.lda, tc.b, tc.ldb, beta, want, tc.ldc)
			g.Dgemm(gonum.Implementation{}, s.tA, s.tB, s.m, s.n, s.k, 0.7, tc.a, tc.lda, tc.b, tc.ldb, beta, got, tc.ldc)
			// The entries are sums of k products of unit normals: their
			// rounding scales with sqrt(k), their size with it too.
			tol := 1e-12 * math.Sqrt(float64(s.k))
			for i := range want {
				if math.Abs(got[i]-want[i]) > tol*max(1, math.Abs(want[i])) {
					t.Fatalf("%s beta=%v: C[%d] = %v, gonum %v", s.name, beta, i, got[i], want[i])
				}
			}
		}
	}
}

// recorder is a BLAS other than gonum's: Gemm must hand it the product.
type recorder struct {
	gonum.Implementation
	calls *int
}

func (r recorder) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	*r.calls++
	r.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// TestGemmRespectsInstalledBLAS checks that a swapped-in BLAS (the
// openblas build) gets the products.
func TestGemmRespectsInstalledBLAS(t *testing.T) {
	calls := 0
	var g Gemm
	tc := newGemmCase(rand.New(rand.NewPCG(7, 8)), modelShapes[0])
	s := tc.s
	g.Dgemm(recorder{calls: &calls}, s.tA, s.tB, s.m, s.n, s.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ldc)
	if calls != 1 {
		t.Fatalf("the installed BLAS got %d calls, want 1", calls)
	}
}

// BenchmarkGemmShapes times gonum's pure-Go Dgemm (which may use several
// goroutines on large products) against the routed product (one
// goroutine) on the models' shapes; reports GFLOP/s of wall time.
func BenchmarkGemmShapes(b *testing.B) {
	for _, s := range modelShapes {
		tc := newGemmCase(rand.New(rand.NewPCG(9, 10)), s)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		var g Gemm
		impls := []struct {
			name string
			f    func()
		}{
			{"gonum", func() {
				gonum.Implementation{}.Dgemm(s.tA, s.tB, s.m, s.n, s.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 1, tc.c, tc.ldc)
			}},
			{"routed", func() {
				g.Dgemm(gonum.Implementation{}, s.tA, s.tB, s.m, s.n, s.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 1, tc.c, tc.ldc)
			}},
		}
		for _, impl := range impls {
			b.Run(fmt.Sprintf("%s/%s", s.name, impl.name), func(b *testing.B) {
				for b.Loop() {
					impl.f()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
