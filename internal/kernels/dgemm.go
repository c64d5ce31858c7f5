package kernels

// Blocking of Dgemm (Goto's scheme): C is updated in MR×NR tiles by a
// register-blocked micro-kernel that reads a packed MR×kc sliver of A and
// a packed kc×NR sliver of B. kc ≤ gemmKC keeps one B sliver (16 KiB) in
// L1 while the A slivers stream past it; an A block of gemmMC rows
// (gemmMC·gemmKC·8 bytes) is sized for L2, and a B panel of gemmNC columns
// for a share of L3.
const (
	gemmMR = 6
	gemmNR = 8
	gemmKC = 256
	gemmMC = 144
	gemmNC = 2048
)

// Workspace holds Dgemm's packing buffers so that repeated calls do not
// allocate. The zero value is ready to use; the buffers grow to the largest
// problem seen, at most (gemmMC + gemmNC)·gemmKC float64s (about 4.5 MiB)
// plus 4·k for products with at most 4 rows or columns.
// A Workspace must not be used by two goroutines at once: give each worker
// its own.
type Workspace struct {
	a, b, y []float64
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, as
// BLAS dgemm does (and gonum's blas64 with row-major storage): op(A) is
// m×k, op(B) is k×n and C is m×n; op(X) is Xᵀ when transX is set. lda, ldb
// and ldc are row strides: A is stored as m×k (k×m if transA) with row i at
// a[i·lda:], and likewise for B and C. When beta is 0, C is not read (NaNs
// in it are overwritten); when alpha is 0 or k is 0, A and B are not read.
//
// Products with n ≤ 4 or m ≤ 4 (the first and last layers of a small MLP)
// take a separate path that reads the large operand in place; the others
// are packed and blocked for the caches. Dgemm is single-threaded and
// allocates its packing buffers on every call; use a [Workspace] to reuse
// them. It panics on negative sizes, strides
// below the row length, or slices too short for the shapes.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	var w Workspace
	w.Dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is the package-level Dgemm with w's buffers.
func (w *Workspace) Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	w.dgemm(useAVX2, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// dgemmGeneric is Dgemm's pure-Go twin: the same blocking and packing with
// a micro-kernel in Go.
func dgemmGeneric(w *Workspace, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	w.dgemm(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkDgemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("kernels: Dgemm: negative dimension")
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		panic("kernels: Dgemm: bad leading dimension")
	}
	short := func(s []float64, rows, cols, ld int) bool {
		return rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols
	}
	if short(a, ar, ac, lda) || short(b, br, bc, ldb) || short(c, m, n, ldc) {
		panic("kernels: Dgemm: slice too short")
	}
}

func (w *Workspace) dgemm(asm, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkDgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}

	if n <= skinnyMax || m <= skinnyMax {
		w.dgemmSkinny(asm, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}

	// Equal k blocks, rather than full ones and a remainder, keep every
	// pass over C about as long.
	kb := (k + gemmKC - 1) / gemmKC
	kc0 := (k + kb - 1) / kb
	nc0 := min(gemmNC, roundUp(n, gemmNR))
	mc0 := min(gemmMC, roundUp(m, gemmMR))
	w.a = grow(w.a, mc0*kc0)
	w.b = grow(w.b, nc0*kc0)

	for jc := 0; jc < n; jc += nc0 {
		nc := min(nc0, n-jc)
		for pc := 0; pc < k; pc += kc0 {
			kc := min(kc0, k-pc)
			packB(asm, w.b, b, ldb, transB, pc, kc, jc, nc)
			// Later k blocks add to what the first one wrote.
			bt := beta
			if pc > 0 {
				bt = 1
			}
			for ic := 0; ic < m; ic += mc0 {
				mc := min(mc0, m-ic)
				packA(w.a, a, lda, transA, ic, mc, pc, kc)
				macroKernel(asm, mc, nc, kc, w.a, w.b, alpha, bt, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

func roundUp(x, r int) int { return (x + r - 1) / r * r }

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// scaleC sets C = beta·C, writing zeros without reading C when beta is 0.
func scaleC(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packA copies rows ic..ic+mc of op(A), columns pc..pc+kc, into slivers of
// gemmMR rows: sliver s holds kc steps of gemmMR values, the rows past mc
// zero.
func packA(dst, a []float64, lda int, trans bool, ic, mc, pc, kc int) {
	for s := 0; s < mc; s += gemmMR {
		d := dst[s*kc : (s+gemmMR)*kc]
		rows := min(gemmMR, mc-s)
		i0 := ic + s
		if trans {
			// op(A)[i][p] = a[p·lda + i]: six consecutive values per step.
			for p := range kc {
				src := a[(pc+p)*lda+i0:]
				dp := d[p*gemmMR : p*gemmMR+gemmMR]
				if rows == gemmMR {
					src = src[:gemmMR]
					dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = src[0], src[1], src[2], src[3], src[4], src[5]
					continue
				}
				copy(dp, src[:rows])
				clear(dp[rows:])
			}
			continue
		}
		if rows == gemmMR {
			r0 := a[i0*lda+pc:][:kc]
			r1 := a[(i0+1)*lda+pc:][:kc]
			r2 := a[(i0+2)*lda+pc:][:kc]
			r3 := a[(i0+3)*lda+pc:][:kc]
			r4 := a[(i0+4)*lda+pc:][:kc]
			r5 := a[(i0+5)*lda+pc:][:kc]
			for p := range r0 {
				dp := d[p*gemmMR : p*gemmMR+gemmMR]
				dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		clear(d)
		for r := range rows {
			row := a[(i0+r)*lda+pc:][:kc]
			for p, v := range row {
				d[p*gemmMR+r] = v
			}
		}
	}
}

// packB copies rows pc..pc+kc of op(B), columns jc..jc+nc, into slivers of
// gemmNR columns: sliver t holds kc steps of gemmNR values, the columns
// past nc zero.
func packB(asm bool, dst, b []float64, ldb int, trans bool, pc, kc, jc, nc int) {
	t0 := 0
	if asm && !trans && nc >= gemmNR {
		nsl := nc / gemmNR
		// The last row read is pc+kc−1, columns up to jc+8·nsl: in bounds.
		packBNAVX2(&dst[0], &b[pc*ldb+jc], ldb, kc, nsl)
		t0 = nsl * gemmNR
	}
	for t := t0; t < nc; t += gemmNR {
		d := dst[t*kc : (t+gemmNR)*kc]
		cols := min(gemmNR, nc-t)
		j0 := jc + t
		if !trans {
			// op(B)[p][j] = b[p·ldb + j]: eight consecutive values per step.
			for p := range kc {
				src := b[(pc+p)*ldb+j0:]
				dp := d[p*gemmNR : p*gemmNR+gemmNR]
				if cols == gemmNR {
					src = src[:gemmNR]
					dp[0], dp[1], dp[2], dp[3] = src[0], src[1], src[2], src[3]
					dp[4], dp[5], dp[6], dp[7] = src[4], src[5], src[6], src[7]
					continue
				}
				copy(dp, src[:cols])
				clear(dp[cols:])
			}
			continue
		}
		if cols == gemmNR {
			r0 := b[j0*ldb+pc:][:kc]
			r1 := b[(j0+1)*ldb+pc:][:kc]
			r2 := b[(j0+2)*ldb+pc:][:kc]
			r3 := b[(j0+3)*ldb+pc:][:kc]
			r4 := b[(j0+4)*ldb+pc:][:kc]
			r5 := b[(j0+5)*ldb+pc:][:kc]
			r6 := b[(j0+6)*ldb+pc:][:kc]
			r7 := b[(j0+7)*ldb+pc:][:kc]
			for p := range r0 {
				dp := d[p*gemmNR : p*gemmNR+gemmNR]
				dp[0], dp[1], dp[2], dp[3] = r0[p], r1[p], r2[p], r3[p]
				dp[4], dp[5], dp[6], dp[7] = r4[p], r5[p], r6[p], r7[p]
			}
			continue
		}
		clear(d)
		for j := range cols {
			row := b[(j0+j)*ldb+pc:][:kc]
			for p, v := range row {
				d[p*gemmNR+j] = v
			}
		}
	}
}

// macroKernel updates the mc×nc block of C at c from the packed A block and
// B panel. The B sliver is the outer loop so that it stays in L1 while the
// A slivers go by.
func macroKernel(asm bool, mc, nc, kc int, ap, bp []float64, alpha, beta float64, c []float64, ldc int) {
	load := 1
	if beta == 0 {
		load = 0
	}
	for jr := 0; jr < nc; jr += gemmNR {
		cols := min(gemmNR, nc-jr)
		bs := bp[jr*kc : (jr+gemmNR)*kc]
		if asm {
			dgemmPanelAVX2(kc, &ap[0], &bs[0], &c[jr], ldc, mc, cols, alpha, beta, load)
			continue
		}
		for ir := 0; ir < mc; ir += gemmMR {
			rows := min(gemmMR, mc-ir)
			as := ap[ir*kc : (ir+gemmMR)*kc]
			ct := c[ir*ldc+jr:]
			if rows == gemmMR && cols == gemmNR {
				kernel6x8Generic(kc, as, bs, ct, ldc, alpha, beta, load != 0)
				continue
			}
			// Edge tiles are computed whole into a scratch tile (the
			// packing zero-pads them) and only their valid part is merged.
			var tile [gemmMR * gemmNR]float64
			kernel6x8Generic(kc, as, bs, tile[:], gemmNR, 1, 0, false)
			for i := range rows {
				row := ct[i*ldc : i*ldc+cols]
				t := tile[i*gemmNR : i*gemmNR+cols]
				if beta == 0 {
					for j := range row {
						row[j] = alpha * t[j]
					}
					continue
				}
				for j := range row {
					row[j] = alpha*t[j] + beta*row[j]
				}
			}
		}
	}
}

// kernel6x8Generic is the micro-kernel's pure-Go twin. It works on 2×4
// sub-tiles, whose eight accumulators and six operands fit in the
// registers the Go compiler has.
func kernel6x8Generic(kc int, a, b, c []float64, ldc int, alpha, beta float64, loadC bool) {
	a = a[:kc*gemmMR]
	b = b[:kc*gemmNR]
	for i := 0; i < gemmMR; i += 2 {
		for j := 0; j < gemmNR; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float64
			for p := range kc {
				ap := a[p*gemmMR+i : p*gemmMR+i+2]
				bp := b[p*gemmNR+j : p*gemmNR+j+4]
				a0, a1 := ap[0], ap[1]
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
			}
			r0 := c[i*ldc+j : i*ldc+j+4]
			r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+4]
			if loadC {
				r0[0] = alpha*c00 + beta*r0[0]
				r0[1] = alpha*c01 + beta*r0[1]
				r0[2] = alpha*c02 + beta*r0[2]
				r0[3] = alpha*c03 + beta*r0[3]
				r1[0] = alpha*c10 + beta*r1[0]
				r1[1] = alpha*c11 + beta*r1[1]
				r1[2] = alpha*c12 + beta*r1[2]
				r1[3] = alpha*c13 + beta*r1[3]
				continue
			}
			r0[0], r0[1], r0[2], r0[3] = alpha*c00, alpha*c01, alpha*c02, alpha*c03
			r1[0], r1[1], r1[2], r1[3] = alpha*c10, alpha*c11, alpha*c12, alpha*c13
		}
	}
}
