package gmm

import (
	"math"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// kernelScratch is one goroutine's scratch for partitionRow2, the
// log-partition kernel specialised for Dy = 2 with diagonal A_n. The vector
// kernel pads M up to a multiple of its width; the scalar one uses the
// first M entries of each row.
type kernelScratch struct {
	tilt []float64 // 4 × M (scalar) or 5 × M padded (vector): the per-tilt terms
	S    []float64 // N × M (padded): log z_nm, then exp(log z_nm − max)
	sums []float64 // N × 20 (vector): the per-component sums, 5 × 4 lanes
	cols []float64 // M padded × 5 (vector): the per-tilt sums, 5 × 4 lanes
}

// kernelWidth is the vector width the padded layout allows for.
const kernelWidth = 4

func paddedLen(m int) int { return (m + kernelWidth - 1) / kernelWidth * kernelWidth }

func (ks *kernelScratch) size(N, M int) {
	Mp := paddedLen(M)
	ks.tilt = grow(ks.tilt, 5*Mp)
	ks.S = grow(ks.S, N*Mp)
	ks.sums = grow(ks.sums, 20*N)
	ks.cols = grow(ks.cols, 5*Mp)
}

// partitionRow2Scalar is partitionBlockDiag for one source row when Dy = 2: it
// returns log Z(x), adds scale·∂log Z/∂(log w, a, A) to acc and writes
// scale·∂log Z/∂(log v, b) into dlogv (M) and db (2M).
//
// With two coordinates, log z_nm = log w_n + log v_m + Σ_d A_nd β_dm +
// a_nd γ_dm (β = b²/(2ε), γ = b/ε) is a 6-term inner product, and every
// gradient is a 5-term weighted sum of e_nm = exp(log z_nm − max) along n
// or along m. The N×M block is therefore formed, exponentiated and reduced
// by plain loops that keep their five accumulators in registers: one pass
// along m for the per-component sums (∂/∂log w, ∂/∂A, ∂/∂a) and one along n
// for the per-tilt sums (∂/∂log v, ∂/∂b), with no per-coordinate calls and no
// transposed copy of the heads.
func (p *potential) partitionRow2Scalar(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) float64 {
	N, M := p.N, p.M
	invEps := 1 / p.eps
	inv2e := 0.5 * invEps
	logv = logv[:M]
	beta0, beta1 := ks.tilt[:M], ks.tilt[M:2*M]
	gamma0, gamma1 := ks.tilt[2*M:3*M], ks.tilt[3*M:4*M]
	b = b[:2*M]
	for m := range logv {
		b0, b1 := b[2*m], b[2*m+1]
		beta0[m] = b0 * b0 * inv2e
		beta1[m] = b1 * b1 * inv2e
		gamma0[m] = b0 * invEps
		gamma1[m] = b1 * invEps
	}
	A0, A1, a0, a1 := p.A0[:N], p.A1[:N], p.a0[:N], p.a1[:N]
	logw := p.logw[:N]
	S := ks.S[:N*M]

	mx := math.Inf(-1)
	for n, lw := range logw {
		An0, An1, an0, an1 := A0[n], A1[n], a0[n], a1[n]
		Sn := S[n*M : (n+1)*M]
		Sn = Sn[:len(logv)]
		for m, lv := range logv {
			s := (lw + lv) + (An0*beta0[m] + An1*beta1[m]) + (an0*gamma0[m] + an1*gamma1[m])
			Sn[m] = s
			if s > mx {
				mx = s
			}
		}
	}
	// With mx = ±Inf or NaN the sum below is NaN or infinite, which the
	// caller reports as a non-finite loss.
	total := vecmath.ExpShiftSum(S, mx)
	c := scale / total

	gw := acc[:N]
	ga := acc[N : 3*N]
	gA := acc[3*N : 5*N]
	for n := range gw {
		Sn := S[n*M : (n+1)*M]
		Sn = Sn[:len(beta0)]
		var r0, r1, r2, r3, r4 float64
		for m, e := range Sn {
			r0 += e
			r1 += e * beta0[m]
			r2 += e * beta1[m]
			r3 += e * gamma0[m]
			r4 += e * gamma1[m]
		}
		gw[n] += c * r0
		gA[2*n] += c * r1
		gA[2*n+1] += c * r2
		ga[2*n] += c * r3
		ga[2*n+1] += c * r4
	}

	dlogv = dlogv[:M]
	db = db[:2*M]
	for m := range dlogv {
		var s0, s1, s2, s3, s4 float64
		for n, An0 := range A0 {
			e := S[n*M+m]
			s0 += e
			s1 += e * An0
			s2 += e * A1[n]
			s3 += e * a0[n]
			s4 += e * a1[n]
		}
		dlogv[m] = c * s0
		db[2*m] = c * (gamma0[m]*s1 + s3*invEps)
		db[2*m+1] = c * (gamma1[m]*s2 + s4*invEps)
	}
	return mx + math.Log(total)
}
