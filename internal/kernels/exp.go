package kernels

import "math"

// The vector exp: x = k·ln2 + r with |r| ≤ ln2/2, e^r = 1 + r(1 + r·P(r))
// with P a degree-9 minimax fit (relative error of e^r below 1.2e-17 with
// the coefficients rounded), and 2^k assembled in the exponent bits. The
// assembly and expFast below perform the same operations in the same order,
// so they agree bit for bit.
const (
	expInvLn2 = 1.44269504088896340736
	// fdlibm's split of ln 2: ln2Hi has 32 significant bits, so k·ln2Hi is
	// exact for every k the range allows.
	expLn2Hi = 6.93147180369123816490e-01
	expLn2Lo = 1.90821492927058770002e-10

	// expRoundShift is 1.5·2^52: adding it rounds to an integer held in the
	// low mantissa bits, from where a shift moves it into the exponent.
	expRoundShift = 0x1.8p52

	// Coefficients of r^2 … r^11 (Remez on [−ln2/2, ln2/2], relative error).
	expC2  = 0x1.000000000000ap-1
	expC3  = 0x1.55555555554fap-3
	expC4  = 0x1.555555555088cp-5
	expC5  = 0x1.1111111127b9bp-7
	expC6  = 0x1.6c16c184266b4p-10
	expC7  = 0x1.a01a012a69cf4p-13
	expC8  = 0x1.a0199a16e68edp-16
	expC9  = 0x1.71df253a08086p-19
	expC10 = 0x1.28ad689e8aee0p-22
	expC11 = 0x1.ad7f7b1096349p-26

	// expFastLimit bounds the arguments whose 2^k is a normal number; the
	// assembly sends a vector with any lane beyond it (or NaN) down the
	// slow path, which builds 2^k as two factors.
	expFastLimit = 708.0

	// expClampLo and expClampHi keep the slow path's k in range while still
	// rounding to 0 below about −745.13 and overflowing to +Inf above about
	// 709.78.
	expClampLo = -746.0
	expClampHi = 710.0
)

// expFast is the assembly's exp for |x| ≤ expFastLimit, in scalar Go with
// the same fused multiply-adds. Partition2's twin uses it so that both
// implementations produce the same bits.
func expFast(x float64) float64 {
	kd := math.FMA(x, expInvLn2, expRoundShift)
	k := kd - expRoundShift
	r := math.FMA(-k, expLn2Hi, x)
	r = math.FMA(-k, expLn2Lo, r)
	q := math.FMA(expC11, r, expC10)
	q = math.FMA(q, r, expC9)
	q = math.FMA(q, r, expC8)
	q = math.FMA(q, r, expC7)
	q = math.FMA(q, r, expC6)
	q = math.FMA(q, r, expC5)
	q = math.FMA(q, r, expC4)
	q = math.FMA(q, r, expC3)
	q = math.FMA(q, r, expC2)
	q = math.FMA(q, r, 1)
	q = math.FMA(q, r, 1)
	scale := math.Float64frombits(math.Float64bits(kd)<<52 + 1023<<52)
	return q * scale
}

// expSlow is the assembly's exp for any argument, in scalar Go: the
// argument clamped to [expClampLo, expClampHi] and 2^k applied as two
// normal factors. Where both apply it equals expFast bit for bit, because
// multiplying by a power of two is exact in the normal range.
func expSlow(x float64) float64 {
	if x != x {
		return x
	}
	xc := min(max(x, expClampLo), expClampHi)
	kd := math.FMA(xc, expInvLn2, expRoundShift)
	k := kd - expRoundShift
	r := math.FMA(-k, expLn2Hi, xc)
	r = math.FMA(-k, expLn2Lo, r)
	q := math.FMA(expC11, r, expC10)
	q = math.FMA(q, r, expC9)
	q = math.FMA(q, r, expC8)
	q = math.FMA(q, r, expC7)
	q = math.FMA(q, r, expC6)
	q = math.FMA(q, r, expC5)
	q = math.FMA(q, r, expC4)
	q = math.FMA(q, r, expC3)
	q = math.FMA(q, r, expC2)
	q = math.FMA(q, r, 1)
	q = math.FMA(q, r, 1)
	k1d := math.FMA(k, 0.5, expRoundShift)
	k2d := (k - (k1d - expRoundShift)) + expRoundShift
	s1 := math.Float64frombits(math.Float64bits(k1d)<<52 + 1023<<52)
	s2 := math.Float64frombits(math.Float64bits(k2d)<<52 + 1023<<52)
	return q * s1 * s2
}

// expOverflowSafe is the argument above which the twins do not trust
// math.Exp: on amd64 it overflows to +Inf from about 709.44 on, short of
// the true limit of about 709.78.
const expOverflowSafe = 709.0

// expAccurate is math.Exp, except near the overflow limit.
func expAccurate(x float64) float64 {
	if x > expOverflowSafe {
		return expSlow(x)
	}
	return math.Exp(x)
}

// ExpTo sets dst[i] = exp(src[i]) for every i < len(src), with an error of
// at most 2 ulp (about 1 in practice) over the whole float64 range:
// results below about −745.13 are 0, the subnormal range is rounded once
// from an accurate value, arguments above about 709.78 give +Inf,
// exp(−Inf) = 0, exp(+Inf) = +Inf and NaN gives NaN. dst may be src;
// other overlaps are not allowed. It panics if len(dst) < len(src).
func ExpTo(dst, src []float64) {
	if len(dst) < len(src) {
		panic("kernels: ExpTo: len(dst) < len(src)")
	}
	if !useAVX2 {
		expToGeneric(dst, src)
		return
	}
	n := len(src) &^ 3
	if n > 0 {
		expAVX2(&dst[0], &src[0], n)
	}
	if n < len(src) {
		// The tail goes through the same vector code, so every element
		// gets the same algorithm whatever its position.
		var buf [4]float64
		rest := copy(buf[:], src[n:])
		expAVX2(&buf[0], &buf[0], 4)
		copy(dst[n:n+rest], buf[:rest])
	}
}

// expToGeneric is ExpTo's pure-Go twin: math.Exp, which is within 1 ulp,
// except near the overflow limit.
func expToGeneric(dst, src []float64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = expAccurate(v)
	}
}

// ExpShiftSum sets s[i] = exp(s[i] − shift) with ExpTo's accuracy and
// returns Σ s[i]: the exponential half of log-sum-exp, log Σ exp(s) =
// shift + log ExpShiftSum(s, shift) with shift = max(s). The sum is
// accumulated in four lanes, element i in lane i mod 4 in increasing i,
// and reduced as (l0 + l1) + (l2 + l3): the result depends only on s and
// shift, never on how the caller splits work.
func ExpShiftSum(s []float64, shift float64) float64 {
	if !useAVX2 {
		return expShiftSumGeneric(s, shift)
	}
	var lanes [4]float64
	n := len(s) &^ 3
	if n > 0 {
		expShiftSumAVX2(&s[0], n, shift, &lanes)
	}
	if n < len(s) {
		// Padding with −Inf adds exact zeros to the unused lanes.
		buf := [4]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1), math.Inf(-1)}
		for i, v := range s[n:] {
			buf[i] = v - shift
		}
		expAVX2(&buf[0], &buf[0], 4)
		for i := range s[n:] {
			s[n+i] = buf[i]
			lanes[i] += buf[i]
		}
	}
	return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}

// expShiftSumGeneric is ExpShiftSum's pure-Go twin, with the same
// summation order.
func expShiftSumGeneric(s []float64, shift float64) float64 {
	var lanes [4]float64
	for i, v := range s {
		e := expAccurate(v - shift)
		s[i] = e
		lanes[i&3] += e
	}
	return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}
