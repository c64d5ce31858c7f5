package gmm

import (
	"math"

	"gonum.org/v1/gonum/blas/gonum"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// rowScratch is one goroutine's scratch for the per-row closed forms.
type rowScratch struct {
	pot potScratch
	S   []float64 // N × M: log z_nm, then responsibilities or their logs
	e   []float64 // N × M: exponentials when S keeps the logs
	bT  []float64 // 2D × M: rows b_·d² then b_·d (diagonal A)
	u   []float64 // N × M × D: L_nᵀ b_m (full A)
	t   []float64 // M
	blk blockScratch
	ker kernelScratch
}

func newRowScratch(p *potential) *rowScratch {
	sc := &rowScratch{}
	sc.size(p)
	return sc
}

func (sc *rowScratch) size(p *potential) {
	N, M, D := p.N, p.M, p.D
	sc.pot.size(N, D)
	sc.S = grow(sc.S, N*M)
	sc.e = grow(sc.e, N*M)
	sc.t = grow(sc.t, M)
	if p.full {
		sc.u = grow(sc.u, N*M*D)
	} else {
		sc.bT = grow(sc.bT, 2*D*M)
		if D == 2 {
			sc.ker.size(N, M)
		}
	}
}

// logSoftmax sets dst = z − log Σ exp(z). dst may alias z.
func logSoftmax(dst, z []float64) {
	dst = dst[:len(z)]
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, v)
	}
	if len(z) == 0 || &dst[0] == &z[0] || math.IsInf(mx, 0) || math.IsNaN(mx) {
		// In place, or no finite maximum: the general path.
		lse := vecmath.LogSumExp(z)
		for i, v := range z {
			dst[i] = v - lse
		}
		return
	}
	// dst holds the shifted exponentials for a moment: one inlined exp
	// loop instead of a call per element.
	copy(dst, z)
	lse := mx + math.Log(vecmath.ExpShiftSum(dst, mx))
	for i, v := range z {
		dst[i] = v - lse
	}
}

// logCost returns −c(x,y)/ε = log Σ_m v_m exp(⟨b_m, y⟩/ε) and leaves the
// tilt log-terms in sc.t.
func (p *potential) logCost(logv, b, y []float64, sc *rowScratch) float64 {
	D := p.D
	invEps := 1 / p.eps
	t := sc.t[:p.M]
	for m := range t {
		bm := b[m*D : (m+1)*D]
		s := 0.0
		for d, yd := range y[:D] {
			s += bm[d] * yd
		}
		t[m] = logv[m] + s*invEps
	}
	return vecmath.LogSumExp(t)
}

// costGrad writes scale·∂(c(x,y)/ε)/∂(log v, b) into dlogv and db, after
// logCost has returned lse.
func (p *potential) costGrad(y []float64, lse, scale float64, sc *rowScratch, dlogv, db []float64) {
	D := p.D
	invEps := 1 / p.eps
	for m, tm := range sc.t[:p.M] {
		rho := scale * vecmath.Exp(tm-lse)
		dlogv[m] = -rho
		dbm := db[m*D : (m+1)*D]
		c := -rho * invEps
		for d, yd := range y[:D] {
			dbm[d] = c * yd
		}
	}
}

// logPartition returns log Z(x) for one x given its heads (log v, b) and
// leaves in sc.S the responsibilities r_nm (probs) or their logarithms
// log z_nm − log Z (!probs), indexed n·M + m.
func (p *potential) logPartition(logv, b []float64, probs bool, sc *rowScratch) float64 {
	N, M, D := p.N, p.M, p.D
	inv2e := 1 / (2 * p.eps)
	S := sc.S[:N*M]
	if !p.full {
		// log z_nm = log w_n + log v_m + Σ_k P_nk·bT_km / (2ε): axpys along
		// m with the contiguous transposed layout.
		bT := sc.bT[:2*D*M]
		for m := 0; m < M; m++ {
			for d := 0; d < D; d++ {
				v := b[m*D+d]
				bT[d*M+m] = v * v
				bT[(D+d)*M+m] = v
			}
		}
		for n := 0; n < N; n++ {
			Sn := S[n*M : (n+1)*M]
			lw := p.logw[n]
			for m := range Sn {
				Sn[m] = lw + logv[m]
			}
			Pn := p.P[n*2*D : (n+1)*2*D]
			for k, pk := range Pn {
				vecmath.Axpy(pk*inv2e, bT[k*M:(k+1)*M], Sn)
			}
		}
	} else {
		// log z_nm = log w_n + log v_m + (‖L_nᵀ b_m‖² + 2 a_n·b_m) / (2ε).
		for n := 0; n < N; n++ {
			L, a := p.L[n*D*D:(n+1)*D*D], p.a[n*D:(n+1)*D]
			for m := 0; m < M; m++ {
				bm := b[m*D : (m+1)*D]
				u := sc.u[(n*M+m)*D : (n*M+m+1)*D]
				clear(u)
				q := 0.0
				for i := 0; i < D; i++ {
					vecmath.Axpy(bm[i], L[i*D:i*D+i+1], u[:i+1])
					q += 2 * a[i] * bm[i]
				}
				for _, v := range u {
					q += v * v
				}
				S[n*M+m] = p.logw[n] + logv[m] + q*inv2e
			}
		}
	}
	mx := math.Inf(-1)
	for _, v := range S {
		if v > mx {
			mx = v
		}
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		// No finite normaliser: the weights are undefined.
		for i := range S {
			S[i] = math.NaN()
		}
		return mx
	}
	for i := range S {
		S[i] -= mx
	}
	if probs {
		vecmath.ExpTo(S, S)
		sum := 0.0
		for _, v := range S {
			sum += v
		}
		inv := 1 / sum
		for i := range S {
			S[i] *= inv
		}
		return mx + math.Log(sum)
	}
	e := sc.e[:N*M]
	vecmath.ExpTo(e, S)
	sum := 0.0
	for _, v := range e {
		sum += v
	}
	lse := math.Log(sum)
	for i := range S {
		S[i] -= lse
	}
	return mx + lse
}

// partitionGradFull adds scale·∂log Z/∂(log w, a, L) to acc (layout of
// potentialGrad) and writes scale·∂log Z/∂(log v, b) into dlogv and db for
// one x with full A_n, after logPartition(…, probs=true) left the
// responsibilities in sc.S and the products L_nᵀ b_m in sc.u.
func (p *potential) partitionGradFull(b []float64, scale float64, sc *rowScratch, acc, dlogv, db []float64) {
	N, M, D := p.N, p.M, p.D
	invEps := 1 / p.eps
	S := sc.S[:N*M]
	gw := acc[:N]
	ga := acc[N : N+N*D]
	gc := acc[N+N*D:]
	clear(dlogv[:M])
	for n := 0; n < N; n++ {
		Sn := S[n*M : (n+1)*M]
		rowSum := 0.0
		for m, r := range Sn {
			rowSum += r
			dlogv[m] += scale * r
		}
		gw[n] += scale * rowSum
	}
	clear(db[:M*D])
	k := packedLen(D)
	for n := 0; n < N; n++ {
		L, a := p.L[n*D*D:(n+1)*D*D], p.a[n*D:(n+1)*D]
		gan, gL := ga[n*D:(n+1)*D], gc[n*k:(n+1)*k]
		for m := 0; m < M; m++ {
			r := S[n*M+m] * scale * invEps
			if r == 0 {
				continue
			}
			bm := b[m*D : (m+1)*D]
			u := sc.u[(n*M+m)*D : (n*M+m+1)*D]
			dbm := db[m*D : (m+1)*D]
			// ∂log z/∂a_n = b_m/ε, ∂/∂L_ij = b_i u_j/ε, ∂/∂b_m = (L_n u + a_n)/ε.
			vecmath.Axpy(r, bm, gan)
			for i := 0; i < D; i++ {
				vecmath.Axpy(r*bm[i], u[:i+1], gL[packedLen(i):packedLen(i)+i+1])
				dbm[i] += r * (vecmath.Dot(L[i*D:i*D+i+1], u[:i+1]) + a[i])
			}
		}
	}
}

// blockScratch holds a block of source rows laid out so that the inner
// loops of the diagonal log-partition run over R·M contiguous values (one
// BLAS level-1 call per (n, k) instead of per (row, n, k)).
type blockScratch struct {
	S    []float64 // N × (R·M): log z − row max, then exp of it
	bT   []float64 // 2D × (R·M): b², then b, per coordinate
	bTc  []float64 // 2D × (R·M): bT scaled by the row's scale/Σ exp
	uT   []float64 // 2D × (R·M): Σ_n P_nk exp(·)
	cvec []float64 // R·M: the row's scale/Σ exp, repeated M times
	mx   []float64 // R: row maxima
}

// partitionBlockDiag handles R source rows with diagonal A_n in one go: it
// returns Σ_rows log Z(x), adds scale·∂/∂(log w, a, A) to acc and writes
// scale·∂log Z/∂(log v, b) into dlogv (R × M) and db (R × M·D). logv and b
// hold the rows' heads, row after row.
//
// With e_nj = exp(log z_nj − max_r) (j = r·M + m) and c_r = scale/Σ_nm e,
// the responsibilities are r_nj = e_nj·Σ/…, and every gradient is a GEMM of
// e with c folded into the short side: ∂/∂A_nd = Σ_j e_nj c_r b_jd²/(2ε),
// ∂/∂a_nd = Σ_j e_nj c_r b_jd/ε, ∂/∂log w_n = Σ_j e_nj c_r,
// ∂/∂log v_j = c_r Σ_n e_nj, ∂/∂b_jd = c_r Σ_n e_nj (A_nd b_jd + a_nd)/ε.
func (p *potential) partitionBlockDiag(logv, b []float64, R int, scale float64, bs *blockScratch, acc, dlogv, db []float64) float64 {
	N, M, D := p.N, p.M, p.D
	RM := R * M
	inv2e := 1 / (2 * p.eps)
	bs.S = grow(bs.S, N*RM)
	bs.bT = grow(bs.bT, 2*D*RM)
	bs.bTc = grow(bs.bTc, 2*D*RM)
	bs.uT = grow(bs.uT, 2*D*RM)
	bs.cvec = grow(bs.cvec, RM)
	bs.mx = grow(bs.mx, R)
	S, bT, bTc, uT, cvec := bs.S, bs.bT, bs.bTc, bs.uT, bs.cvec
	// gonum's native kernels, not blas64's: when a cgo BLAS is installed
	// for the matrix products (build tag openblas), a cgo call per short
	// axpy would cost more than the axpy.
	var level1 gonum.Implementation

	for j := 0; j < RM; j++ {
		bj := b[j*D : (j+1)*D]
		for d, v := range bj {
			bT[d*RM+j] = v * v
			bT[(D+d)*RM+j] = v
		}
	}
	// log z_nj = log w_n + log v_j + Σ_k P_nk·bT_kj / (2ε).
	for n := 0; n < N; n++ {
		Sn := S[n*RM : (n+1)*RM]
		lw := p.logw[n]
		for j, v := range logv[:RM] {
			Sn[j] = lw + v
		}
		for k, pk := range p.P[n*2*D : (n+1)*2*D] {
			level1.Daxpy(RM, pk*inv2e, bT[k*RM:(k+1)*RM], 1, Sn, 1)
		}
	}
	mx := bs.mx[:R]
	for r := range mx {
		mx[r] = math.Inf(-1)
	}
	for n := 0; n < N; n++ {
		Sn := S[n*RM : (n+1)*RM]
		for r := 0; r < R; r++ {
			m := mx[r]
			for _, v := range Sn[r*M : (r+1)*M] {
				m = max(m, v)
			}
			mx[r] = m
		}
	}
	for n := 0; n < N; n++ {
		Sn := S[n*RM : (n+1)*RM]
		for r := 0; r < R; r++ {
			m := mx[r]
			seg := Sn[r*M : (r+1)*M]
			for i := range seg {
				seg[i] -= m
			}
		}
	}
	vecmath.ExpTo(S, S)

	// Column sums Σ_n e_nj give both ∂/∂log v (after scaling) and the
	// per-row normalisers.
	dlogv = dlogv[:RM]
	clear(dlogv)
	for n := 0; n < N; n++ {
		level1.Daxpy(RM, 1, S[n*RM:(n+1)*RM], 1, dlogv, 1)
	}
	total := 0.0
	for r := 0; r < R; r++ {
		seg := dlogv[r*M : (r+1)*M]
		sum := 0.0
		for _, v := range seg {
			sum += v
		}
		total += mx[r] + math.Log(sum)
		c := scale / sum
		for i := range seg {
			seg[i] *= c
			cvec[r*M+i] = c
		}
	}
	for k := 0; k < 2*D; k++ {
		src, dst := bT[k*RM:(k+1)*RM], bTc[k*RM:(k+1)*RM]
		for j, v := range src {
			dst[j] = v * cvec[j]
		}
	}

	gw := acc[:N]
	ga := acc[N : N+N*D]
	gA := acc[N+N*D:]
	clear(uT)
	for n := 0; n < N; n++ {
		Sn := S[n*RM : (n+1)*RM]
		gw[n] += level1.Ddot(RM, Sn, 1, cvec, 1)
		for d := 0; d < D; d++ {
			gA[n*D+d] += inv2e * level1.Ddot(RM, Sn, 1, bTc[d*RM:(d+1)*RM], 1)
			ga[n*D+d] += 2 * inv2e * level1.Ddot(RM, Sn, 1, bTc[(D+d)*RM:(D+d+1)*RM], 1)
		}
		for k, pk := range p.P[n*2*D : (n+1)*2*D] {
			level1.Daxpy(RM, pk, Sn, 1, uT[k*RM:(k+1)*RM], 1)
		}
	}
	// ∂/∂b_jd = c_r (2 b_jd uT_dj + uT_(D+d)j)/(2ε).
	for j := 0; j < RM; j++ {
		bj, dbj := b[j*D:(j+1)*D], db[j*D:(j+1)*D]
		c := cvec[j] * inv2e
		for d, v := range bj {
			dbj[d] = c * (2*v*uT[d*RM+j] + uT[(D+d)*RM+j])
		}
	}
	return total
}
