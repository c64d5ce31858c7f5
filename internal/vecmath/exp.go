package vecmath

import "math"

const (
	// Thresholds beyond which exp overflows to +Inf or underflows to 0
	// (the same as math.Exp uses).
	expOverflow  = 7.09782712893383973096e+02
	expUnderflow = -7.45133219101941108420e+02

	// invLn2x64 is 64/ln 2: x·invLn2x64 rounded is k in x = k·ln2/64 + r.
	invLn2x64 = 92.332482616893656877
	// ln 2/64 split so that k·ln2Hi64 is exact for |k| < 2^20: ln2Hi has 32
	// significant bits (fdlibm's split), dividing by 64 is exact.
	ln2Hi64 = 6.93147180369123816490e-01 / 64
	ln2Lo64 = 1.90821492927058770002e-10 / 64

	// roundShift is 1.5·2^52: adding it to a float64 of magnitude < 2^51
	// rounds it to an integer that is then readable from the low mantissa
	// bits, which is cheaper than math.Round.
	roundShift = 0x1.8p52

	// Exponents beyond ±expScaleLimit would leave the normal range when added
	// to the table entry's exponent; they are built in two steps.
	expScaleLimit = 1000
)

// Exp returns e**x with a relative error of a few ulp (at most ~3e-16 over
// the normal range) and the special cases of math.Exp: Exp(+Inf) = +Inf,
// Exp(−Inf) = 0, Exp(NaN) = NaN, overflow gives +Inf and underflow 0.
// Results in the subnormal range are rounded once from an accurate value.
//
// The method: x = k·ln2/64 + r with |r| ≤ ln2/128, e**x = 2^(k>>6) ·
// 2^((k&63)/64) · e**r, where 2^(j/64) comes from a table and e**r from a
// degree-5 Taylor polynomial (truncation error below 4e-17 on that interval).
func Exp(x float64) float64 {
	switch {
	case x != x: // NaN
		return x
	case x > expOverflow:
		return math.Inf(1)
	case x < expUnderflow:
		return 0
	}
	kd := x*invLn2x64 + roundShift
	k := int64(int32(uint32(math.Float64bits(kd))))
	kd -= roundShift
	r := (x - kd*ln2Hi64) - kd*ln2Lo64
	q := r + r*r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120))))
	t := exp2Table[k&63]
	e := k >> 6
	if e > -expScaleLimit && e < expScaleLimit {
		s := math.Float64frombits(uint64(1023+e) << 52)
		return (t + t*q) * s
	}
	// Near overflow or in the subnormal range: scale in two steps so that
	// neither the intermediate nor the scale factor leaves the normal range.
	if e > 0 {
		s := math.Float64frombits(uint64(1023+e-expScaleLimit) << 52)
		return (t + t*q) * s * 0x1p1000
	}
	s := math.Float64frombits(uint64(1023+e+expScaleLimit) << 52)
	return (t + t*q) * s * 0x1p-1000
}

// ExpTo sets dst[i] = Exp(src[i]) for every i. dst may alias src; it must be
// at least as long as src.
func ExpTo(dst, src []float64) {
	dst = dst[:len(src)]
	for i, x := range src {
		// Inline fast path for the common normal range; the rest goes
		// through Exp, which handles every special case.
		if !(x > -708 && x < 709) {
			dst[i] = Exp(x)
			continue
		}
		kd := x*invLn2x64 + roundShift
		k := int64(int32(uint32(math.Float64bits(kd))))
		kd -= roundShift
		r := (x - kd*ln2Hi64) - kd*ln2Lo64
		q := r + r*r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120))))
		t := exp2Table[k&63]
		dst[i] = (t + t*q) * math.Float64frombits(uint64(1023+(k>>6))<<52)
	}
}

// LogSumExp returns log Σ exp(x[i]), computed after shifting by the maximum
// so that it neither overflows nor underflows. It is −Inf for an empty slice
// or when every element is −Inf, +Inf if any element is +Inf, and NaN if any
// element is NaN.
func LogSumExp(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if v > m {
			m = v
		} else if v != v {
			return v
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range x {
		s += Exp(v - m)
	}
	return m + math.Log(s)
}

// ExpShiftSum replaces x[i] by Exp(x[i] − shift) and returns the sum of the
// new values. With shift = max(x) this is the inner loop of a log-sum-exp
// that also keeps the normalised weights, as log-domain Sinkhorn needs.
func ExpShiftSum(x []float64, shift float64) float64 {
	var s float64
	for i, v := range x {
		v -= shift
		if !(v > -708 && v < 709) {
			v = Exp(v)
			x[i] = v
			s += v
			continue
		}
		kd := v*invLn2x64 + roundShift
		k := int64(int32(uint32(math.Float64bits(kd))))
		kd -= roundShift
		r := (v - kd*ln2Hi64) - kd*ln2Lo64
		q := r + r*r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120))))
		t := exp2Table[k&63]
		v = (t + t*q) * math.Float64frombits(uint64(1023+(k>>6))<<52)
		x[i] = v
		s += v
	}
	return s
}
