package kernels

import "math"

// partExpMin is the lower clamp of Partition2's exponent arguments: it keeps
// 2^k a normal number so that the exp needs no special cases. Cells further
// below the maximum (and padding tilts, at −Inf) get e^−708 ≈ 3e-308
// instead of their smaller value, which is below the rounding of every sum
// that also holds the maximum cell's 1.
const partExpMin = -708.0

// Partition2 is the log-partition block of the Gaussian-mixture energy for
// two output coordinates. With N components, Mp tilts (Mp a multiple of 4)
// and G = Mp/4:
//
// tilts holds G groups of [5][4]float64; group g has, for tilts m = 4g..4g+3
// in its four lanes, the rows log v_m, β0_m, β1_m, γ0_m, γ1_m. comps holds N
// groups of [5][4]float64 whose rows are log w_n, A_n0, A_n1, a_n0, a_n1,
// each broadcast over the four lanes.
//
// Partition2 writes the logits, row n at S[n·Mp:(n+1)·Mp],
//
//	S[n][m] = log w_n + log v_m + A_n0·β0_m + A_n1·β1_m + a_n0·γ0_m + a_n1·γ1_m,
//
// evaluated as s = log v + log w, then s = fma(A_n0, β0, s), fma(A_n1, β1,
// s), fma(a_n0, γ0, s), fma(a_n1, γ1, s), and returns their maximum mx. If
// mx is ±Inf or a logit is NaN it returns ok = false and leaves sums and
// cols alone (S holds the logits). Otherwise it overwrites S with
//
//	e[n][m] = exp(max(S[n][m] − mx, −708))
//
// (the clamp makes padding tilts with log v = −Inf contribute about 3e-308
// each, which is harmless next to the maximum cell's 1) and writes the lane
// partial sums
//
//	sums[n] ([5][4]): Σ_m e, Σ_m e·β0, Σ_m e·β1, Σ_m e·γ0, Σ_m e·γ1
//	cols[g] ([5][4]): Σ_n e, Σ_n e·A_n0, Σ_n e·A_n1, Σ_n e·a_n0, Σ_n e·a_n1
//
// In sums, lane j of row r of group n sums over the tilts m ≡ j (mod 4) in
// increasing m; the caller reduces the lanes as (l0 + l1) + (l2 + l3). In
// cols, lane j of group g belongs to tilt 4g+j and sums over n in
// increasing n. The weighted sums are fused multiply-adds. Every operation
// and its order is fixed, so the assembly and the pure-Go twin agree to
// the last bit on FMA hardware.
//
// Partition2 panics unless Mp is a non-negative multiple of 4, N ≥ 0,
// len(tilts), len(cols) ≥ 5·Mp, len(comps), len(sums) ≥ 20·N and
// len(S) ≥ N·Mp.
func Partition2(tilts, comps, S, sums, cols []float64, N, Mp int) (mx float64, ok bool) {
	checkPartition2(tilts, comps, S, sums, cols, N, Mp)
	if !useAVX2 {
		return partition2Generic(tilts, comps, S, sums, cols, N, Mp)
	}
	if N == 0 || Mp == 0 {
		return math.Inf(-1), false
	}
	G := Mp / 4
	var out [8]float64
	partLogitsAVX2(&tilts[0], &comps[0], &S[0], N, G, &out)
	mx = max(out[0], out[1], out[2], out[3])
	nan := math.Float64bits(out[4]) | math.Float64bits(out[5]) | math.Float64bits(out[6]) | math.Float64bits(out[7])
	if nan != 0 || math.IsInf(mx, 0) || math.IsNaN(mx) {
		return mx, false
	}
	partExpSumsAVX2(&tilts[0], &comps[0], &S[0], &sums[0], &cols[0], N, G, mx)
	return mx, true
}

func checkPartition2(tilts, comps, S, sums, cols []float64, N, Mp int) {
	switch {
	case N < 0 || Mp < 0 || Mp%4 != 0:
		panic("kernels: Partition2: bad N or Mp")
	case len(tilts) < 5*Mp || len(cols) < 5*Mp:
		panic("kernels: Partition2: tilts or cols too short")
	case len(comps) < 20*N || len(sums) < 20*N:
		panic("kernels: Partition2: comps or sums too short")
	case len(S) < N*Mp:
		panic("kernels: Partition2: S too short")
	}
}

// partition2Generic is Partition2's pure-Go twin: the same operations in the
// same order, lane by lane, with math.FMA for every fused multiply-add
// (which is slow on CPUs without FMA, where it is emulated).
func partition2Generic(tilts, comps, S, sums, cols []float64, N, Mp int) (mx float64, ok bool) {
	if N == 0 || Mp == 0 {
		return math.Inf(-1), false
	}
	G := Mp / 4
	tilts, cols = tilts[:5*Mp], cols[:5*Mp]
	comps, sums = comps[:20*N], sums[:20*N]
	S = S[:N*Mp]
	var lmx [4]float64
	for j := range lmx {
		lmx[j] = math.Inf(-1)
	}
	nan := false
	for n := range N {
		c := comps[20*n : 20*n+20]
		row := S[n*Mp : n*Mp+Mp]
		for g := range G {
			t := tilts[20*g : 20*g+20]
			for j := range 4 {
				// Lane j of every comps row, as the vector code reads it.
				s := t[j] + c[j]
				s = math.FMA(c[4+j], t[4+j], s)
				s = math.FMA(c[8+j], t[8+j], s)
				s = math.FMA(c[12+j], t[12+j], s)
				s = math.FMA(c[16+j], t[16+j], s)
				row[4*g+j] = s
				// VMAXPD's rule: keep the accumulator only when it is
				// greater.
				if !(lmx[j] > s) {
					lmx[j] = s
				}
				nan = nan || s != s
			}
		}
	}
	mx = max(lmx[0], lmx[1], lmx[2], lmx[3])
	if nan || math.IsInf(mx, 0) || math.IsNaN(mx) {
		return mx, false
	}
	for n := range N {
		row := S[n*Mp : n*Mp+Mp]
		var r [5][4]float64
		for g := range G {
			t := tilts[20*g : 20*g+20]
			for j := range 4 {
				x := row[4*g+j] - mx
				if !(x > partExpMin) {
					x = partExpMin
				}
				e := expFast(x)
				row[4*g+j] = e
				r[0][j] += e
				r[1][j] = math.FMA(e, t[4+j], r[1][j])
				r[2][j] = math.FMA(e, t[8+j], r[2][j])
				r[3][j] = math.FMA(e, t[12+j], r[3][j])
				r[4][j] = math.FMA(e, t[16+j], r[4][j])
			}
		}
		out := sums[20*n : 20*n+20]
		for i := range 5 {
			copy(out[4*i:4*i+4], r[i][:])
		}
	}
	for g := range G {
		var s [5][4]float64
		for n := range N {
			c := comps[20*n : 20*n+20]
			for j := range 4 {
				e := S[n*Mp+4*g+j]
				s[0][j] += e
				s[1][j] = math.FMA(c[4+j], e, s[1][j])
				s[2][j] = math.FMA(c[8+j], e, s[2][j])
				s[3][j] = math.FMA(c[12+j], e, s[3][j])
				s[4][j] = math.FMA(c[16+j], e, s[4][j])
			}
		}
		out := cols[20*g : 20*g+20]
		for i := range 5 {
			copy(out[4*i:4*i+4], s[i][:])
		}
	}
	return mx, true
}
