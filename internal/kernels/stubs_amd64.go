//go:build !noasm && !purego

package kernels

// expAVX2 sets dst[i] = exp(src[i]) for i < n, n a multiple of 4. dst may
// equal src.
//
//go:noescape
func expAVX2(dst, src *float64, n int)

// expShiftSumAVX2 sets s[i] = exp(s[i] − shift) for i < n, n a multiple of
// 4, and adds s[i] to lanes[i%4] in increasing i.
//
//go:noescape
func expShiftSumAVX2(s *float64, n int, shift float64, lanes *[4]float64)

// partLogitsAVX2 is the first pass of Partition2: it writes the N×4G logits
// to S, the lane maxima to out[0:4] and, in out[4:8], a lane mask that is
// non-zero where a logit was NaN.
//
//go:noescape
func partLogitsAVX2(tilts, comps, S *float64, N, G int, out *[8]float64)

// partExpSumsAVX2 is the rest of Partition2 once the maximum mx is known to
// be finite: S becomes exp(max(S − mx, −708)), then the per-component and
// per-tilt lane sums are written to sums and cols.
//
//go:noescape
func partExpSumsAVX2(tilts, comps, S, sums, cols *float64, N, G int, mx float64)

// dgemmPanelAVX2 multiplies the packed A block (mc rows in slivers of 6,
// zero-padded) by one packed k×8 sliver of B and writes alpha·AB + beta·C
// to the first cols ≤ 8 columns of the mc rows of C at c (row stride ldc),
// reading C only when loadC is non-zero.
//
//go:noescape
func dgemmPanelAVX2(k int, a, b, c *float64, ldc, mc, cols int, alpha, beta float64, loadC int)

// packBNAVX2 is packB's copy of nsl full 8-column slivers from kc rows of
// an untransposed B (row stride ldb) into dst.
//
//go:noescape
func packBNAVX2(dst, b *float64, ldb, kc, nsl int)

// dot4x2AVX2 sets out[2r+s] = Σ_{p<k} x_r[p]·y_s[p].
//
//go:noescape
func dot4x2AVX2(k int, x0, x1, x2, x3, y0, y1 *float64, out *[8]float64)

// col16x2AVX2 sets out[16s+r] = Σ_{p<k} x[p·ldx+r]·y[2p+s] for r < 16.
//
//go:noescape
func col16x2AVX2(k int, x *float64, ldx int, y *float64, out *[32]float64)

// col4x2AVX2 sets out[4s+r] = Σ_{p<k} x[p·ldx+r]·y[2p+s] for r < rows ≤ 4,
// reading no x entry at r ≥ rows.
//
//go:noescape
func col4x2AVX2(k int, x *float64, ldx int, y *float64, rows int, out *[8]float64)
