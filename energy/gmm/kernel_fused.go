package gmm

import (
	"math"

	"github.com/ebieot/ebieot/internal/kernels"
)

// partitionRow2 is the log-partition kernel for Dy = 2 and diagonal A_n:
// the fused assembly block of internal/kernels when the CPU has AVX2 and
// FMA, else the scalar loops. The choice depends only on the CPU (and the
// noasm tag), so results stay bit-identical from run to run and for any
// thread count on one machine; the two paths agree to about 1e-15 relative
// (the exp and the order of the sums differ), which the tests hold to 1e-12.
func (p *potential) partitionRow2(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) float64 {
	if !kernels.Accelerated() {
		// The kernels' pure-Go twin repeats the assembly's lane order with
		// math.FMA, which is slower than these loops and, on CPUs without
		// FMA, emulated.
		return p.partitionRow2Scalar(logv, b, scale, ks, acc, dlogv, db)
	}
	lse, ok := p.partitionRow2Fused(logv, b, scale, ks, acc, dlogv, db)
	if !ok {
		// A NaN or infinite logit: the scalar kernel reports it the
		// established way (a non-finite log Z).
		return p.partitionRow2Scalar(logv, b, scale, ks, acc, dlogv, db)
	}
	return lse
}

// partitionRow2Fused is partitionRow2Scalar over kernels.Partition2, on a
// layout padded to a multiple of 4 tilts (padding: log v = −∞ and b = 0, so
// the padded cells add nothing to the per-component gradients, and at most
// 3e-308 each to Σ e ≥ 1). ok is false when a logit is NaN or the maximum
// is infinite; nothing has been written to acc, dlogv or db then.
func (p *potential) partitionRow2Fused(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) (lse float64, ok bool) {
	const w = kernelWidth
	N, M := p.N, p.M
	Mp := paddedLen(M)
	invEps := 1 / p.eps
	inv2e := 0.5 * invEps
	// Per group of four tilts, lane j = tilt 4g+j: log v, b_·0²/(2ε),
	// b_·1²/(2ε), b_·0/ε, b_·1/ε.
	tilts := ks.tilt[:5*Mp]
	b = b[:2*M]
	logv = logv[:M]
	for m := range Mp {
		t := tilts[5*w*(m/w)+m%w:]
		if m >= M {
			t[0] = math.Inf(-1)
			t[w], t[2*w], t[3*w], t[4*w] = 0, 0, 0, 0
			continue
		}
		b0, b1 := b[2*m], b[2*m+1]
		t[0] = logv[m]
		t[w] = b0 * b0 * inv2e
		t[2*w] = b1 * b1 * inv2e
		t[3*w] = b0 * invEps
		t[4*w] = b1 * invEps
	}
	sums, cols := ks.sums[:20*N], ks.cols[:5*Mp]
	mx, ok := kernels.Partition2(tilts, p.comp4[:20*N], ks.S[:N*Mp], sums, cols, N, Mp)
	if !ok {
		return 0, false
	}

	// lane reduces row r of a [5][4] group as the kernel documents.
	lane := func(v []float64, r int) float64 {
		return (v[4*r] + v[4*r+1]) + (v[4*r+2] + v[4*r+3])
	}
	total := 0.0
	for n := range N {
		total += lane(sums[20*n:20*n+20], 0)
	}
	c := scale / total
	gw := acc[:N]
	ga := acc[N : 3*N]
	gA := acc[3*N : 5*N]
	for n := range gw {
		v := sums[20*n : 20*n+20]
		gw[n] += c * lane(v, 0)
		gA[2*n] += c * lane(v, 1)
		gA[2*n+1] += c * lane(v, 2)
		ga[2*n] += c * lane(v, 3)
		ga[2*n+1] += c * lane(v, 4)
	}
	dlogv = dlogv[:M]
	db = db[:2*M]
	for m := range dlogv {
		o := 5*w*(m/w) + m%w
		t, col := tilts[o:o+4*w+1], cols[o:o+4*w+1]
		dlogv[m] = c * col[0]
		db[2*m] = c * (t[3*w]*col[w] + col[3*w]*invEps)
		db[2*m+1] = c * (t[4*w]*col[2*w] + col[4*w]*invEps)
	}
	return mx + math.Log(total), true
}
