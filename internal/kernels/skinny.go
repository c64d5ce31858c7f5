package kernels

// skinnyMax is the widest op(B) (or tallest op(A)) that Dgemm treats as
// skinny. Below it the 6×8 micro-kernel would mostly multiply padding, and
// packing the big operand would cost as much as the arithmetic, since each
// of its entries is used at most skinnyMax times. The skinny kernels read
// the big operand where it lies instead.
const skinnyMax = 4

// dgemmSkinny computes C = alpha·op(A)·op(B) + beta·C when n or m is at most
// skinnyMax, as out[r][s] = Σ_p X(r, p)·Y(s, p) over the big dimension r and
// the small one s. When X's rows are contiguous along p (op(A) untransposed
// for small n, op(B) transposed for small m) each out entry is a dot
// product; otherwise X is read along r, sixteen consecutive entries at a
// time, against interleaved pairs of Y.
func (w *Workspace) dgemmSkinny(asm, transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	// In terms of X (R × k, big) and Y (S × k, small): out[r][s] goes to
	// C[r][s] (small n) or C[s][r] (small m).
	smallN := n <= skinnyMax
	R, S := m, n
	x, ldx, xRows := a, lda, !transA
	yop, ldy, yRows := b, ldb, transB
	if !smallN {
		R, S = n, m
		x, ldx, xRows = b, ldb, transB
		yop, ldy, yRows = a, lda, !transA
	}
	put := func(r, s int, v float64) {
		i, j := r, s
		if !smallN {
			i, j = s, r
		}
		p := &c[i*ldc+j]
		if beta == 0 {
			*p = alpha * v
		} else {
			*p = alpha*v + beta**p
		}
	}
	// Y(s, p) = yop[s·ldy + p] if yRows, else yop[p·ldy + s].
	yAt := func(s, p int) float64 {
		if yRows {
			return yop[s*ldy+p]
		}
		return yop[p*ldy+s]
	}

	if xRows {
		// Y as S contiguous rows of k (copied unless already so), X rows
		// in place.
		var ys [skinnyMax][]float64
		if yRows {
			for s := range S {
				ys[s] = yop[s*ldy : s*ldy+k]
			}
		} else {
			w.y = grow(w.y, S*k)
			for s := range S {
				row := w.y[s*k : s*k+k]
				for p := range row {
					row[p] = yop[p*ldy+s]
				}
				ys[s] = row
			}
		}
		for r0 := 0; r0 < R; r0 += 4 {
			var xs [4][]float64
			for i := range xs {
				// Rows past R repeat row r0; their results are dropped.
				r := r0 + i
				if r >= R {
					r = r0
				}
				xs[i] = x[r*ldx : r*ldx+k]
			}
			for s0 := 0; s0 < S; s0 += 2 {
				y1 := ys[s0]
				if s0+1 < S {
					y1 = ys[s0+1]
				}
				var out [8]float64
				if asm {
					dot4x2AVX2(k, &xs[0][0], &xs[1][0], &xs[2][0], &xs[3][0], &ys[s0][0], &y1[0], &out)
				} else {
					dot4x2Generic(k, xs, ys[s0], y1, &out)
				}
				for i := range min(4, R-r0) {
					put(r0+i, s0, out[2*i])
					if s0+1 < S {
						put(r0+i, s0+1, out[2*i+1])
					}
				}
			}
		}
		return
	}

	// X(r, p) = x[p·ldx + r]. Y packed as pairs: w.y[q·2k + 2p + t] =
	// Y(2q+t, p), zero past S.
	pairs := (S + 1) / 2
	w.y = grow(w.y, pairs*2*k)
	for q := range pairs {
		yp := w.y[q*2*k : (q+1)*2*k]
		for p := range k {
			yp[2*p] = yAt(2*q, p)
			yp[2*p+1] = 0
			if 2*q+1 < S {
				yp[2*p+1] = yAt(2*q+1, p)
			}
		}
	}
	for q := range pairs {
		yp := w.y[q*2*k : (q+1)*2*k]
		r0 := 0
		for ; r0+16 <= R; r0 += 16 {
			var out [32]float64
			if asm {
				col16x2AVX2(k, &x[r0], ldx, &yp[0], &out)
			} else {
				colGeneric(k, x[r0:], ldx, yp, 16, 16, out[:])
			}
			for s := range min(2, S-2*q) {
				for i := range 16 {
					put(r0+i, 2*q+s, out[16*s+i])
				}
			}
		}
		for ; r0 < R; r0 += 4 {
			rows := min(4, R-r0)
			var out [8]float64
			if asm {
				col4x2AVX2(k, &x[r0], ldx, &yp[0], rows, &out)
			} else {
				colGeneric(k, x[r0:], ldx, yp, rows, 4, out[:])
			}
			for s := range min(2, S-2*q) {
				for i := range rows {
					put(r0+i, 2*q+s, out[4*s+i])
				}
			}
		}
	}
}

// dot4x2Generic is dot4x2AVX2's pure-Go twin.
func dot4x2Generic(k int, xs [4][]float64, y0, y1 []float64, out *[8]float64) {
	y0, y1 = y0[:k], y1[:k]
	for r, x := range xs {
		x = x[:k]
		var s0, s1 float64
		for p, v := range x {
			s0 += v * y0[p]
			s1 += v * y1[p]
		}
		out[2*r], out[2*r+1] = s0, s1
	}
}

// colGeneric is the twin of col16x2AVX2 (rows = stride = 16) and
// col4x2AVX2 (stride 4): out[stride·s + r] = Σ_p x[p·ldx + r]·y[2p + s] for
// r < rows.
func colGeneric(k int, x []float64, ldx int, y []float64, rows, stride int, out []float64) {
	clear(out[:2*stride])
	for p := range k {
		y0, y1 := y[2*p], y[2*p+1]
		row := x[p*ldx : p*ldx+rows]
		for r, v := range row {
			out[r] += v * y0
			out[stride+r] += v * y1
		}
	}
}
