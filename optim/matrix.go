package optim

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Quintic Newton–Schulz coefficients of the Muon reference. They maximise
// the slope at zero rather than converge, so singular values land in about
// [0.7, 1.2] after five steps instead of exactly at 1.
const (
	nsA = 3.4445
	nsB = -4.7750
	nsC = 2.0315
)

// polarWork holds the temporaries of the matrix maps, sized for the
// largest matrix, so that optimizer steps do not allocate.
type polarWork struct {
	x, x2      []float64 // m×n (wide orientation)
	a, b, c, d []float64 // m×m
}

func newPolarWork(segs []Segment) polarWork {
	var wide, square int
	for _, s := range segs {
		m := min(s.Rows, s.Cols)
		wide = max(wide, s.Len)
		square = max(square, m*m)
	}
	return polarWork{
		x: make([]float64, wide), x2: make([]float64, wide),
		a: make([]float64, square), b: make([]float64, square),
		c: make([]float64, square), d: make([]float64, square),
	}
}

func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// gemm sets c = alpha·op(a)·op(b) + beta·c.
func gemm(ta, tb blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	blas64.Gemm(ta, tb, alpha, a, b, beta, c)
}

// loadWide copies the r×c row-major matrix u into x in the orientation with
// fewer rows than columns, so that the Gram matrices below are the small
// m×m ones, m = min(r, c). It reports whether u was transposed.
func loadWide(x, u []float64, r, c int) (m, n int, transposed bool) {
	if r <= c {
		copy(x, u[:r*c])
		return r, c, false
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			x[j*r+i] = u[i*c+j]
		}
	}
	return c, r, true
}

func storeWide(dst, x []float64, m, n int, transposed bool) {
	if !transposed {
		copy(dst, x[:m*n])
		return
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			dst[j*m+i] = x[i*n+j]
		}
	}
}

func frobenius(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

// newtonSchulz writes into dst (r×c, row-major) Muon's approximate polar
// factor of u: the quintic Newton–Schulz iteration applied steps times to
// u/(‖u‖_F + 1e-7). dst and u may be the same slice.
func newtonSchulz(dst, u []float64, r, c, steps int, w *polarWork) {
	m, n, tr := loadWide(w.x, u, r, c)
	x, x2 := w.x[:m*n], w.x2[:m*n]
	scale := 1 / (frobenius(x) + 1e-7)
	for i := range x {
		x[i] *= scale
	}
	X, X2 := general(m, n, x), general(m, n, x2)
	A, B := general(m, m, w.a), general(m, m, w.b)
	for range steps {
		gemm(blas.NoTrans, blas.Trans, 1, X, X, 0, A)
		gemm(blas.NoTrans, blas.NoTrans, nsC, A, A, 0, B)
		for i := range B.Data {
			B.Data[i] += nsB * A.Data[i]
		}
		copy(X2.Data, X.Data)
		gemm(blas.NoTrans, blas.NoTrans, 1, B, X, nsA, X2)
		X, X2 = X2, X
	}
	storeWide(dst, X.Data, m, n, tr)
}

// softPolar writes into dst SoftMuon's map Φ_τ(u) = (u·uᵀ + τ⁻²I)^(−1/2)·u,
// which sends every singular value σ of u to τσ/√(1+τ²σ²). The inverse
// square root comes from steps iterations of the coupled Newton–Schulz
// iteration on the Frobenius-normalised Gram matrix. Few steps (the
// reference uses 5) leave small singular values unconverged, i.e. softer
// than Φ_τ; 10–40 steps reproduce Φ_τ to rounding for moderate condition
// numbers. dst and u may be the same slice.
func softPolar(dst, u []float64, r, c int, tau float64, steps int, w *polarWork) {
	m, n, tr := loadWide(w.x, u, r, c)
	X, out := general(m, n, w.x), general(m, n, w.x2)
	Y, Z, T, tmp := general(m, m, w.a), general(m, m, w.b), general(m, m, w.c), general(m, m, w.d)
	gemm(blas.NoTrans, blas.Trans, 1, X, X, 0, Y)
	shift := 1 / (tau * tau)
	for i := 0; i < m; i++ {
		Y.Data[i*m+i] += shift
	}
	a := frobenius(Y.Data)
	if a == 0 || math.IsNaN(a) {
		clear(dst[:r*c])
		return
	}
	for i := range Y.Data {
		Y.Data[i] /= a
	}
	clear(Z.Data)
	for i := 0; i < m; i++ {
		Z.Data[i*m+i] = 1
	}
	for range steps {
		gemm(blas.NoTrans, blas.NoTrans, -0.5, Z, Y, 0, T)
		for i := 0; i < m; i++ {
			T.Data[i*m+i] += 1.5
		}
		gemm(blas.NoTrans, blas.NoTrans, 1, Y, T, 0, tmp)
		Y, tmp = tmp, Y
		gemm(blas.NoTrans, blas.NoTrans, 1, T, Z, 0, tmp)
		Z, tmp = tmp, Z
	}
	gemm(blas.NoTrans, blas.NoTrans, 1/math.Sqrt(a), Z, X, 0, out)
	storeWide(dst, out.Data, m, n, tr)
}
