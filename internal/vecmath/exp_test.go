package vecmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// ulpsApart is the distance between a and b in units in the last place of b.
func ulpsApart(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / (math.Nextafter(b, math.Inf(1)) - b)
}

// TestExp2TableCorrectlyRounded recomputes the table with big.Float.
func TestExp2TableCorrectlyRounded(t *testing.T) {
	for j, got := range exp2Table {
		v := new(big.Float).SetPrec(200).SetMantExp(big.NewFloat(1).SetPrec(200), j)
		for range 6 {
			v.Sqrt(v)
		}
		want, _ := v.Float64()
		if got != want {
			t.Errorf("2^(%d/64): table %x, want %x", j, got, want)
		}
	}
}

// TestExpAgainstMathExp compares with math.Exp (itself within 1 ulp) over the
// whole normal range, with dense sampling near zero where the polynomial
// does all the work.
func TestExpAgainstMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ranges := [][2]float64{{-708, 709.78}, {-1, 1}, {-1e-3, 1e-3}, {-40, 40}, {-1e-300, 1e-300}}
	var worst float64
	for _, r := range ranges {
		for range 200000 {
			x := r[0] + (r[1]-r[0])*rng.Float64()
			got, want := Exp(x), math.Exp(x)
			rel := math.Abs(got-want) / want
			if rel > worst {
				worst = rel
			}
			if rel > 2e-15 {
				t.Fatalf("Exp(%v) = %v, math.Exp = %v, relative error %.3g", x, got, want, rel)
			}
		}
	}
	t.Logf("worst relative error against math.Exp: %.3g", worst)
}

// TestExpAccurateToHighPrecision checks the error against a 200-bit
// reference (exp computed from its Taylor series with big.Float), which
// bounds the error of Exp itself rather than its distance to math.Exp.
func TestExpAccurateToHighPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		x := -700 + 1400*rng.Float64()
		want := bigExp(x)
		if u := ulpsApart(Exp(x), want); u > 2 {
			t.Errorf("Exp(%v): %v ulp from the correctly rounded %v", x, u, want)
		}
	}
}

func bigExp(x float64) float64 {
	const prec = 200
	// e**x = (e**(x/2^s))^(2^s) with |x/2^s| < 1/2 for a short series.
	s := 0
	for math.Abs(x)/math.Ldexp(1, s) > 0.5 {
		s++
	}
	y := new(big.Float).SetPrec(prec).SetFloat64(math.Ldexp(x, -s))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := int64(1); n < 60; n++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(n))
		sum.Add(sum, term)
	}
	for range s {
		sum.Mul(sum, sum)
	}
	f, _ := sum.Float64()
	return f
}

func TestExpSpecialCases(t *testing.T) {
	cases := []struct{ x, want float64 }{
		{0, 1},
		{math.Inf(-1), 0},
		{math.Inf(1), math.Inf(1)},
		{710, math.Inf(1)},
		{-746, 0},
		{-1e308, 0},
		{1e308, math.Inf(1)},
	}
	for _, c := range cases {
		if got := Exp(c.x); got != c.want {
			t.Errorf("Exp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// exp(expOverflow) is just below MaxFloat64 (amd64's math.Exp returns +Inf there).
	if got := Exp(expOverflow); math.IsInf(got, 0) || ulpsApart(got, bigExp(expOverflow)) > 2 {
		t.Errorf("Exp(%v) = %v, want just below MaxFloat64", expOverflow, got)
	}
	if got := Exp(math.NaN()); !math.IsNaN(got) {
		t.Errorf("Exp(NaN) = %v, want NaN", got)
	}
}

// TestExpEdgesOfRange covers the two-step scaling: the top of the range and
// the subnormal results, where only an absolute error of about one subnormal
// ulp (4.9e-324) is attainable.
func TestExpEdgesOfRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		x := 693 + (expOverflow-693)*rng.Float64()
		if got, want := Exp(x), math.Exp(x); math.Abs(got-want) > 2e-15*want {
			t.Fatalf("Exp(%v) = %v, want %v", x, got, want)
		}
		x = expUnderflow + (-690-expUnderflow)*rng.Float64()
		got, want := Exp(x), math.Exp(x)
		if want >= 0x1p-1022 && math.Abs(got-want) > 2e-15*want {
			t.Fatalf("Exp(%v) = %v, want %v", x, got, want)
		}
		if want < 0x1p-1022 && math.Abs(got-want) > 0x1p-1074 {
			t.Fatalf("subnormal Exp(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestExpToMatchesExpAndAliases(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	src := make([]float64, 5000)
	for i := range src {
		src[i] = -800 + 1600*rng.Float64()
	}
	src[0], src[1], src[2] = math.NaN(), math.Inf(-1), math.Inf(1)
	src[3], src[4] = -708, 709
	dst := make([]float64, len(src))
	ExpTo(dst, src)
	for i, x := range src {
		want := Exp(x)
		if dst[i] != want && !(math.IsNaN(want) && math.IsNaN(dst[i])) {
			t.Fatalf("ExpTo[%d] (x=%v) = %v, Exp = %v", i, x, dst[i], want)
		}
	}
	ExpTo(src, src)
	for i := range src {
		if src[i] != dst[i] && !(math.IsNaN(src[i]) && math.IsNaN(dst[i])) {
			t.Fatalf("aliased ExpTo[%d] = %v, want %v", i, src[i], dst[i])
		}
	}
}

func TestLogSumExp(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		x    []float64
		want float64
	}{
		{nil, -inf},
		{[]float64{-inf, -inf}, -inf},
		{[]float64{0}, 0},
		{[]float64{1000, 1000}, 1000 + math.Ln2},
		{[]float64{-1000, -1000, -1000}, -1000 + math.Log(3)},
		{[]float64{-inf, 2}, 2},
		{[]float64{3, inf}, inf},
	}
	for _, c := range cases {
		if got := LogSumExp(c.x); math.Abs(got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) && got != c.want {
			t.Errorf("LogSumExp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := LogSumExp([]float64{1, math.NaN()}); !math.IsNaN(got) {
		t.Errorf("LogSumExp with NaN = %v", got)
	}
	// Against the naive formula where it does not overflow.
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float64, 100)
	for trial := range 100 {
		var s float64
		for i := range x {
			x[i] = 20 * rng.NormFloat64()
			s += math.Exp(x[i])
		}
		if got, want := LogSumExp(x), math.Log(s); math.Abs(got-want) > 1e-13*math.Abs(want)+1e-14 {
			t.Fatalf("trial %d: LogSumExp = %v, naive %v", trial, got, want)
		}
	}
}

var sink float64

func BenchmarkExp(b *testing.B) {
	x := benchInputs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var s float64
		for _, v := range x {
			s += Exp(v)
		}
		sink = s
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/exp")
}

func BenchmarkMathExp(b *testing.B) {
	x := benchInputs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var s float64
		for _, v := range x {
			s += math.Exp(v)
		}
		sink = s
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/exp")
}

func BenchmarkExpTo(b *testing.B) {
	x := benchInputs()
	dst := make([]float64, len(x))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ExpTo(dst, x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/exp")
}

func BenchmarkLogSumExp(b *testing.B) {
	x := benchInputs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink = LogSumExp(x)
	}
}

// benchInputs are typical log-domain Sinkhorn arguments: negative, moderate.
func benchInputs() []float64 {
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float64, 4096)
	for i := range x {
		x[i] = -50 * rng.Float64()
	}
	return x
}

func TestExpShiftSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := make([]float64, 1000)
	for i := range x {
		x[i] = -1000 * rng.Float64()
	}
	x[0] = math.Inf(-1)
	orig := append([]float64(nil), x...)
	const shift = -3.5
	s := ExpShiftSum(x, shift)
	var want float64
	for i, v := range orig {
		e := Exp(v - shift)
		if x[i] != e {
			t.Fatalf("ExpShiftSum element %d = %v, want %v", i, x[i], e)
		}
		want += e
	}
	if s != want {
		t.Errorf("ExpShiftSum sum = %v, want %v", s, want)
	}
}
