package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveDgemm is the reference: the textbook triple loop.
func naiveDgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

type gemmCase struct {
	tA, tB        bool
	m, n, k       int
	lda, ldb, ldc int
	alpha, beta   float64
	a, b, c       []float64
}

func randSlice(rng *rand.Rand, n, off int) []float64 {
	s := make([]float64, n+off)[off:]
	for i := range s {
		s[i] = 2*rng.Float64() - 1
	}
	return s
}

// newGemmCase draws a problem with strides padded by pad and slices that
// start at offset off.
func newGemmCase(rng *rand.Rand, tA, tB bool, m, n, k, pad, off int, alpha, beta float64) *gemmCase {
	g := &gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	g.lda, g.ldb, g.ldc = max(1, ac)+pad, max(1, bc)+pad, max(1, n)+pad
	g.a = randSlice(rng, max(0, (ar-1)*g.lda+ac), off)
	g.b = randSlice(rng, max(0, (br-1)*g.ldb+bc), off)
	g.c = randSlice(rng, max(0, (m-1)*g.ldc+n), off)
	return g
}

type gemmFunc func(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)

func (g *gemmCase) run(f gemmFunc, c []float64) {
	f(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
}

// check compares got with the naive result in a norm-relative sense: every
// entry within 1e-12·(|alpha|·k·max|A|·max|B| + |beta|·max|C|), which bounds
// any summation order's rounding. The entries of C between rows (stride
// padding) must be untouched.
func (g *gemmCase) check(t *testing.T, name string, got []float64) {
	t.Helper()
	want := append([]float64(nil), g.c...)
	g.run(naiveDgemm, want)
	maxAbs := func(s []float64) float64 {
		v := 0.0
		for _, x := range s {
			v = max(v, math.Abs(x))
		}
		return v
	}
	scale := math.Abs(g.alpha)*float64(g.k)*maxAbs(g.a)*maxAbs(g.b) + math.Abs(g.beta)*maxAbs(g.c)
	for i := range g.m {
		for j := range g.ldc {
			idx := i*g.ldc + j
			if idx >= len(got) {
				break
			}
			if j >= g.n {
				if math.Float64bits(got[idx]) != math.Float64bits(g.c[idx]) {
					t.Fatalf("%s %+v: C[%d] outside the matrix changed", name, g.shape(), idx)
				}
				continue
			}
			if d := math.Abs(got[idx] - want[idx]); !(d <= 1e-12*scale) {
				t.Fatalf("%s %+v: C[%d][%d] = %v, want %v (scale %v)", name, g.shape(), i, j, got[idx], want[idx], scale)
			}
		}
	}
}

func (g *gemmCase) shape() [5]any { return [5]any{g.tA, g.tB, g.m, g.n, g.k} }

var gemmSizes = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 31, 33}

func TestDgemmSmallShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var w Workspace
	ws := func(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
		w.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	twin := func(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
		dgemmGeneric(&w, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	sizes := gemmSizes
	if testing.Short() {
		sizes = []int{0, 1, 3, 7, 9, 33}
	}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range sizes {
						ab := [][2]float64{{1, 0}, {-0.7, 1.3}, {1, 1}, {0, 2}}[(m+n+k)%4]
						g := newGemmCase(rng, tA, tB, m, n, k, (m+k)%3, (n+k)%2, ab[0], ab[1])
						for _, f := range []struct {
							name string
							f    gemmFunc
						}{{"Dgemm", Dgemm}, {"Workspace", ws}, {"twin", twin}} {
							c := append([]float64(nil), g.c...)
							g.run(f.f, c)
							g.check(t, f.name, c)
						}
					}
				}
			}
		}
	}
}

func TestDgemmLargeShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	var w Workspace
	shapes := [][3]int{{257, 129, 300}, {128, 2, 128}, {2, 300, 520}, {1030, 4, 257}, {3, 517, 1030}, {150, 2100, 7}, {300, 9, 600}}
	if testing.Short() {
		shapes = shapes[:3]
	}
	for _, s := range shapes {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				g := newGemmCase(rng, tA, tB, s[0], s[1], s[2], 3, 1, 1.5, -0.5)
				c := append([]float64(nil), g.c...)
				g.run(w.Dgemm, c)
				g.check(t, "Workspace", c)
				c2 := append([]float64(nil), g.c...)
				dgemmGeneric(&w, g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c2, g.ldc)
				g.check(t, "twin", c2)
			}
		}
	}
}

// TestDgemmBetaZeroIgnoresNaN: with beta = 0, C's old contents (NaN here)
// must not leak into the result, as in BLAS; with alpha = 0, A and B are not
// read.
func TestDgemmSpecial(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, s := range [][3]int{{1, 1, 1}, {7, 9, 5}, {13, 17, 300}} {
		for _, tA := range []bool{false, true} {
			g := newGemmCase(rng, tA, !tA, s[0], s[1], s[2], 0, 0, 2, 0)
			for i := range g.c {
				g.c[i] = math.NaN()
			}
			for _, f := range []gemmFunc{Dgemm, func(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
				dgemmGeneric(new(Workspace), tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			}} {
				c := append([]float64(nil), g.c...)
				g.run(f, c)
				want := make([]float64, len(c))
				g.run(naiveDgemm, want)
				for i := range c {
					if math.IsNaN(c[i]) || math.Abs(c[i]-want[i]) > 1e-12*float64(s[2]) {
						t.Fatalf("beta=0 %v: C[%d] = %v, want %v", s, i, c[i], want[i])
					}
				}
			}
			// alpha = 0: C = beta·C, A and B untouched (NaN inputs do not
			// matter).
			h := newGemmCase(rng, tA, tA, s[0], s[1], s[2], 0, 0, 0, 0.5)
			for i := range h.a {
				h.a[i] = math.NaN()
			}
			c := append([]float64(nil), h.c...)
			h.run(Dgemm, c)
			for i := range c {
				if c[i] != 0.5*h.c[i] {
					t.Fatalf("alpha=0: C[%d] = %v, want %v", i, c[i], 0.5*h.c[i])
				}
			}
		}
	}
	// NaN in A propagates when alpha ≠ 0.
	g := newGemmCase(rng, false, false, 7, 9, 5, 0, 0, 1, 0)
	g.a[0] = math.NaN()
	c := append([]float64(nil), g.c...)
	g.run(Dgemm, c)
	for j := range 9 {
		if !math.IsNaN(c[j]) {
			t.Fatalf("NaN in A[0][0] did not reach C[0][%d]", j)
		}
	}
	// k = 0 and beta = 0: C is zeroed without reading A and B.
	c = []float64{math.NaN(), 1, 2, 3}
	Dgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("k = 0: C[%d] = %v", i, v)
		}
	}
}

func TestDgemmPanics(t *testing.T) {
	a := make([]float64, 12)
	bad := []func(){
		func() { Dgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) },
		func() { Dgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) },              // lda < k
		func() { Dgemm(false, true, 2, 2, 3, 1, a, 3, a, 2, 0, a, 2) },               // ldb < k
		func() { Dgemm(false, false, 2, 3, 2, 1, a, 2, a, 3, 0, a, 2) },              // ldc < n
		func() { Dgemm(false, false, 4, 3, 3, 1, a[:11], 3, a, 3, 0, a, 3) },         // a short
		func() { Dgemm(true, false, 3, 3, 4, 1, a, 3, a[:11], 3, 0, a, 3) },          // b short
		func() { Dgemm(false, false, 4, 3, 2, 1, a, 2, a, 3, 0, a[:11], 3) },         // c short
		func() { Dgemm(false, false, 4, 3, 2, 1, a, 2, a, 3, 0, a[:10], 3) },         // c short
		func() { Dgemm(false, false, 1, 1, 1, 1, nil, 1, a, 1, 0, a, 1) },            // a nil
		func() { Dgemm(false, false, 2, 2, 2, 1, a, 2, a, 2, 0, a, 1) },              // ldc < n
		func() { Dgemm(true, true, 2, 2, 2, 1, a, 1, a, 2, 0, a, 2) },                // lda < m
		func() { new(Workspace).Dgemm(true, true, 2, 2, 2, 1, a, 2, a, 1, 0, a, 2) }, // ldb < k
	}
	for i, f := range bad {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d: no panic", i)
				}
			}()
			f()
		}()
	}
}

// benchShapes are m×k×n: the square reference and the MLP layers (batch ×
// in)·(in × out), with the backprop forms Aᵀ·B (weight gradients) and
// A·Bᵀ (input gradients).
var benchShapes = []struct {
	name    string
	tA, tB  bool
	m, k, n int
}{
	{"NN/256x256x256", false, false, 256, 256, 256},
	{"NN/128x2x128", false, false, 128, 2, 128},
	{"NN/128x128x128", false, false, 128, 128, 128},
	{"NN/1024x256x256", false, false, 1024, 256, 256},
	{"NN/32x1024x1024", false, false, 32, 1024, 1024},
	{"NN/1024x256x2", false, false, 1024, 256, 2},
	{"TN/256x1024x256", true, false, 256, 1024, 256},
	{"TN/128x128x128", true, false, 128, 128, 128},
	{"NT/1024x256x256", false, true, 1024, 256, 256},
	{"NT/128x128x128", false, true, 128, 128, 128},
	{"TT/256x256x256", true, true, 256, 256, 256},
	{"TN/256x1024x2", true, false, 256, 1024, 2},
	{"TN/2x1024x256", true, false, 2, 1024, 256},
	{"NT/1024x256x2", false, true, 1024, 256, 2},
	{"NT/1024x2x256", false, true, 1024, 2, 256},
}

func BenchmarkDgemm(b *testing.B) {
	for _, s := range benchShapes {
		for _, impl := range []string{"asm", "go"} {
			if impl == "asm" && !useAVX2 {
				continue
			}
			rng := rand.New(rand.NewPCG(1, 2))
			g := newGemmCase(rng, s.tA, s.tB, s.m, s.n, s.k, 0, 0, 1, 0)
			var w Workspace
			f := w.Dgemm
			if impl == "go" {
				f = func(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
					dgemmGeneric(&w, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				}
			}
			b.Run(impl+"/"+s.name, func(b *testing.B) {
				cpu := cpuNow()
				for b.Loop() {
					g.run(f, g.c)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if c := (cpuNow() - cpu).Seconds(); c > 0 {
					b.ReportMetric(flops/c/1e9, "cpu-GFLOP/s")
				}
			})
		}
	}
}

// TestSkinnyKernelsMatchTwins holds each skinny assembly kernel to its Go
// twin on odd lengths and unaligned operands.
func TestSkinnyKernelsMatchTwins(t *testing.T) {
	if !useAVX2 {
		t.Skip("no assembly")
	}
	rng := rand.New(rand.NewPCG(27, 28))
	for _, k := range []int{1, 2, 3, 4, 5, 7, 31, 33, 257} {
		buf := randSlice(rng, 6*k+1, 1)
		var xs [4][]float64
		for i := range xs {
			xs[i] = buf[i*k : i*k+k]
		}
		y0, y1 := buf[4*k:5*k], buf[5*k:6*k]
		var got, want [8]float64
		dot4x2AVX2(k, &xs[0][0], &xs[1][0], &xs[2][0], &xs[3][0], &y0[0], &y1[0], &got)
		dot4x2Generic(k, xs, y0, y1, &want)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-13*float64(k) {
				t.Fatalf("dot k=%d: out[%d] = %v, want %v", k, i, got[i], want[i])
			}
		}
		for _, ldx := range []int{16, 17, 21} {
			x := randSlice(rng, (k-1)*ldx+16, 1)
			y := randSlice(rng, 2*k, 1)
			var g32, w32 [32]float64
			col16x2AVX2(k, &x[0], ldx, &y[0], &g32)
			colGeneric(k, x, ldx, y, 16, 16, w32[:])
			for i := range g32 {
				if math.Abs(g32[i]-w32[i]) > 1e-13*float64(k) {
					t.Fatalf("col16 k=%d ldx=%d: out[%d] = %v, want %v", k, ldx, i, g32[i], w32[i])
				}
			}
			for rows := 1; rows <= 4; rows++ {
				// x ends right after the last row's entries: the masked
				// loads must not need more.
				xr := x[:(k-1)*ldx+rows]
				var g8, w8 [8]float64
				col4x2AVX2(k, &xr[0], ldx, &y[0], rows, &g8)
				colGeneric(k, xr, ldx, y, rows, 4, w8[:])
				for s := range 2 {
					for r := range rows {
						i := 4*s + r
						if math.Abs(g8[i]-w8[i]) > 1e-13*float64(k) {
							t.Fatalf("col4 k=%d rows=%d: out[%d] = %v, want %v", k, rows, i, g8[i], w8[i])
						}
					}
				}
			}
		}
	}
}
