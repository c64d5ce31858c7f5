//go:build goexperiment.simd && amd64

package gmm

import (
	"math"
	"simd/archsimd"
	"unsafe"
)

// partitionRow2 is the log-partition kernel for Dy = 2 and diagonal A_n:
// the AVX2/FMA version when the CPU has both, else the scalar one. The
// choice depends only on the CPU, so results stay bit-identical from run to
// run and for any thread count on one machine.
func (p *potential) partitionRow2(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) float64 {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		return p.partitionRow2Scalar(logv, b, scale, ks, acc, dlogv, db)
	}
	lse, ok := p.partitionRow2AVX(logv, b, scale, ks, acc, dlogv, db)
	// Leaving the upper halves dirty would slow down the SSE code that runs
	// next (the scalar float arithmetic of the rest of the step).
	archsimd.ClearAVXUpperBits()
	if !ok {
		// A NaN or infinite logit: the scalar kernel reports it the
		// established way (a non-finite log Z).
		return p.partitionRow2Scalar(logv, b, scale, ks, acc, dlogv, db)
	}
	return lse
}

// Constants of the vector exp: x = k·ln 2 + r with |r| ≤ ln2/2, e^r by a
// degree-13 Taylor polynomial (truncation below 5e-18 relative), 2^k built
// in the exponent bits.
const (
	vexpInvLn2 = 1.44269504088896340736
	vexpLn2Hi  = 6.93147180369123816490e-01
	vexpLn2Lo  = 1.90821492927058770002e-10
	// Arguments are clamped to this, so that 2^k stays a normal number:
	// cells further below the maximum (and the padding, at −∞) get e^−708 ≈
	// 3e-308 instead of their smaller value. Next to the maximum cell's 1,
	// that is below the rounding of every sum they enter; zeroing them with a
	// mask cost 7 % of the kernel.
	vexpMin = -708.0
)

// vexpRoundShift is 1.5·2^52: adding it rounds to an integer held in the
// low mantissa bits.
const vexpRoundShift = 0x1.8p52

// quad is one vector's worth of float64s.
type quad = [kernelWidth]float64

// quadRows views s, whose length is a multiple of 5·kernelWidth, as rows of
// five vectors. Indexing those by constants lets the loops load vectors
// without the slicing and bounds checks of LoadFloat64x4Slice, which were
// as many instructions as the arithmetic.
func quadRows(s []float64) [][5]quad {
	if len(s) < 5*kernelWidth {
		return nil
	}
	return unsafe.Slice((*[5]quad)(unsafe.Pointer(&s[0])), len(s)/(5*kernelWidth))
}

// quads views s, whose length is a multiple of kernelWidth, as vectors.
func quads(s []float64) []quad {
	if len(s) < kernelWidth {
		return nil
	}
	return unsafe.Slice((*quad)(unsafe.Pointer(&s[0])), len(s)/kernelWidth)
}

// partitionRow2AVX is partitionRow2Scalar with 4-wide AVX2/FMA loops over a
// layout padded to a multiple of 4 tilts (padding: log v = −∞ and b = 0, so
// the padded cells add nothing to the per-component gradients, and at most
// 3e-308 each to Σ e ≥ 1). ok is false when a logit is NaN
// or the maximum is infinite; nothing has been written to acc, dlogv or db
// then.
func (p *potential) partitionRow2AVX(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) (lse float64, ok bool) {
	N, M := p.N, p.M
	Mp := paddedLen(M)
	invEps := 1 / p.eps
	inv2e := 0.5 * invEps
	// Per group of four tilts: log v, b_·0²/(2ε), b_·1²/(2ε), b_·0/ε, b_·1/ε.
	tilts := quadRows(ks.tilt[:5*Mp])
	b = b[:2*M]
	logv = logv[:M]
	for m := 0; m < Mp; m++ {
		t, j := &tilts[m/kernelWidth], m%kernelWidth
		if m >= M {
			t[0][j] = math.Inf(-1)
			t[1][j], t[2][j], t[3][j], t[4][j] = 0, 0, 0, 0
			continue
		}
		b0, b1 := b[2*m], b[2*m+1]
		t[0][j] = logv[m]
		t[1][j] = b0 * b0 * inv2e
		t[2][j] = b1 * b1 * inv2e
		t[3][j] = b0 * invEps
		t[4][j] = b1 * invEps
	}
	// Per component, broadcast: log w, A_·0, A_·1, a_·0, a_·1.
	comps := quadRows(p.comp4[:20*N])
	S := ks.S[:N*Mp]
	Sq := quads(S)
	Mq := Mp / kernelWidth

	// Logits and their maximum. check sums the logits so that a NaN
	// anywhere shows up (VMAXPD may drop it).
	vmx := archsimd.BroadcastFloat64x4(math.Inf(-1))
	var check archsimd.Float64x4
	for n := range comps {
		c := &comps[n]
		lw := archsimd.LoadFloat64x4(&c[0])
		An0, An1 := archsimd.LoadFloat64x4(&c[1]), archsimd.LoadFloat64x4(&c[2])
		an0, an1 := archsimd.LoadFloat64x4(&c[3]), archsimd.LoadFloat64x4(&c[4])
		row := Sq[n*Mq : (n+1)*Mq]
		row = row[:len(tilts)]
		for i := range tilts {
			t := &tilts[i]
			s := archsimd.LoadFloat64x4(&t[0]).Add(lw)
			s = An0.MulAdd(archsimd.LoadFloat64x4(&t[1]), s)
			s = An1.MulAdd(archsimd.LoadFloat64x4(&t[2]), s)
			s = an0.MulAdd(archsimd.LoadFloat64x4(&t[3]), s)
			s = an1.MulAdd(archsimd.LoadFloat64x4(&t[4]), s)
			s.Store(&row[i])
			vmx = vmx.Max(s)
			check = check.Add(s)
		}
	}
	var lanes quad
	vmx.Store(&lanes)
	mx := max(lanes[0], lanes[1], lanes[2], lanes[3])
	check.Store(&lanes)
	if math.IsInf(mx, 0) || math.IsNaN(mx) || math.IsNaN(lanes[0]+lanes[1]+lanes[2]+lanes[3]) {
		return 0, false
	}

	// e = exp(logit − max) in place, then the five per-component sums.
	vmxB := archsimd.BroadcastFloat64x4(mx)
	lo := archsimd.BroadcastFloat64x4(vexpMin)
	invLn2 := archsimd.BroadcastFloat64x4(vexpInvLn2)
	shift := archsimd.BroadcastFloat64x4(vexpRoundShift)
	negLn2Hi := archsimd.BroadcastFloat64x4(-vexpLn2Hi)
	negLn2Lo := archsimd.BroadcastFloat64x4(-vexpLn2Lo)
	// bits(shift + k) − bias = k + 1023, the biased exponent of 2^k.
	bias := archsimd.BroadcastInt64x4(int64(math.Float64bits(vexpRoundShift)) - 1023)
	one := archsimd.BroadcastFloat64x4(1)
	// Taylor coefficients 1/k!, as separate variables and an unrolled
	// chain: ranging over an array of vectors copied each one through the
	// stack, and the kernel was 12 times slower.
	c2, c3 := archsimd.BroadcastFloat64x4(1.0/2), archsimd.BroadcastFloat64x4(1.0/6)
	c4, c5 := archsimd.BroadcastFloat64x4(1.0/24), archsimd.BroadcastFloat64x4(1.0/120)
	c6, c7 := archsimd.BroadcastFloat64x4(1.0/720), archsimd.BroadcastFloat64x4(1.0/5040)
	c8, c9 := archsimd.BroadcastFloat64x4(1.0/40320), archsimd.BroadcastFloat64x4(1.0/362880)
	c10, c11 := archsimd.BroadcastFloat64x4(1.0/3628800), archsimd.BroadcastFloat64x4(1.0/39916800)
	c12, c13 := archsimd.BroadcastFloat64x4(1.0/479001600), archsimd.BroadcastFloat64x4(1.0/6227020800)
	// The exponentials get a pass of their own: fused with the sums below,
	// the loop needs more vector registers than there are, and the spilled
	// accumulators then round-trip through the stack every iteration (20 %
	// slower in all).
	for i := range Sq {
		x := archsimd.LoadFloat64x4(&Sq[i]).Sub(vmxB)
		xc := x.Max(lo)
		kd := xc.MulAdd(invLn2, shift)
		k := kd.Sub(shift)
		r := k.MulAdd(negLn2Hi, xc)
		r = k.MulAdd(negLn2Lo, r)
		q := c13.MulAdd(r, c12)
		q = q.MulAdd(r, c11)
		q = q.MulAdd(r, c10)
		q = q.MulAdd(r, c9)
		q = q.MulAdd(r, c8)
		q = q.MulAdd(r, c7)
		q = q.MulAdd(r, c6)
		q = q.MulAdd(r, c5)
		q = q.MulAdd(r, c4)
		q = q.MulAdd(r, c3)
		q = q.MulAdd(r, c2)
		q = q.MulAdd(r, one)
		q = q.MulAdd(r, one)
		scale2k := kd.AsInt64x4().Sub(bias).ShiftAllLeft(52).AsFloat64x4()
		q.Mul(scale2k).Store(&Sq[i])
	}
	// Horizontal sums wait until the whole block is done: reading the lanes
	// back right after the vector stores would stall on store forwarding.
	sums := quadRows(ks.sums[:20*N])
	for n := range sums {
		row := Sq[n*Mq : (n+1)*Mq]
		row = row[:len(tilts)]
		var r0, r1, r2, r3, r4 archsimd.Float64x4
		for i := range tilts {
			t := &tilts[i]
			e := archsimd.LoadFloat64x4(&row[i])
			r0 = r0.Add(e)
			r1 = e.MulAdd(archsimd.LoadFloat64x4(&t[1]), r1)
			r2 = e.MulAdd(archsimd.LoadFloat64x4(&t[2]), r2)
			r3 = e.MulAdd(archsimd.LoadFloat64x4(&t[3]), r3)
			r4 = e.MulAdd(archsimd.LoadFloat64x4(&t[4]), r4)
		}
		v := &sums[n]
		r0.Store(&v[0])
		r1.Store(&v[1])
		r2.Store(&v[2])
		r3.Store(&v[3])
		r4.Store(&v[4])
	}

	// Per-tilt sums along n, four tilts at a time.
	colRows := quadRows(ks.cols[:5*Mp])
	colRows = colRows[:len(tilts)]
	for i := range tilts {
		var s0, s1, s2, s3, s4 archsimd.Float64x4
		for n := range comps {
			c := &comps[n]
			e := archsimd.LoadFloat64x4(&Sq[n*Mq+i])
			s0 = s0.Add(e)
			s1 = archsimd.LoadFloat64x4(&c[1]).MulAdd(e, s1)
			s2 = archsimd.LoadFloat64x4(&c[2]).MulAdd(e, s2)
			s3 = archsimd.LoadFloat64x4(&c[3]).MulAdd(e, s3)
			s4 = archsimd.LoadFloat64x4(&c[4]).MulAdd(e, s4)
		}
		col := &colRows[i]
		s0.Store(&col[0])
		s1.Store(&col[1])
		s2.Store(&col[2])
		s3.Store(&col[3])
		s4.Store(&col[4])
	}

	total := 0.0
	gw := acc[:N]
	ga := acc[N : 3*N]
	gA := acc[3*N : 5*N]
	for n := range sums {
		v := &sums[n]
		total += (v[0][0] + v[0][1]) + (v[0][2] + v[0][3])
	}
	c := scale / total
	for n := range gw {
		v := &sums[n]
		gw[n] += c * ((v[0][0] + v[0][1]) + (v[0][2] + v[0][3]))
		gA[2*n] += c * ((v[1][0] + v[1][1]) + (v[1][2] + v[1][3]))
		gA[2*n+1] += c * ((v[2][0] + v[2][1]) + (v[2][2] + v[2][3]))
		ga[2*n] += c * ((v[3][0] + v[3][1]) + (v[3][2] + v[3][3]))
		ga[2*n+1] += c * ((v[4][0] + v[4][1]) + (v[4][2] + v[4][3]))
	}
	dlogv = dlogv[:M]
	db = db[:2*M]
	for m := range dlogv {
		t, col, j := &tilts[m/kernelWidth], &colRows[m/kernelWidth], m%kernelWidth
		dlogv[m] = c * col[0][j]
		db[2*m] = c * (t[3][j]*col[1][j] + col[3][j]*invEps)
		db[2*m+1] = c * (t[4][j]*col[2][j] + col[4][j]*invEps)
	}
	return mx + math.Log(total), true
}
