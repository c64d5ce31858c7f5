package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bigLn2 is ln 2 to 200 bits, from ln 2 = 2·atanh(1/3).
var bigLn2 = func() *big.Float {
	const prec = 200
	third := new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), big.NewFloat(3))
	ninth := new(big.Float).SetPrec(prec).Mul(third, third)
	pow := new(big.Float).SetPrec(prec).Set(third)
	sum := new(big.Float).SetPrec(prec)
	for k := 0; k < 70; k++ {
		term := new(big.Float).SetPrec(prec).Quo(pow, big.NewFloat(float64(2*k+1)))
		sum.Add(sum, term)
		pow.Mul(pow, ninth)
	}
	return sum.Mul(sum, big.NewFloat(2))
}()

// bigExp is exp(x) correctly rounded (up to ties, which random tests do not
// meet), from a 160-bit evaluation.
func bigExp(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return x
	case x > 710:
		return math.Inf(1)
	case x < -746:
		return 0
	}
	const prec = 160
	k := math.Round(x / math.Ln2)
	r := new(big.Float).SetPrec(prec).SetFloat64(x)
	kl := new(big.Float).SetPrec(prec).Mul(bigLn2, new(big.Float).SetFloat64(k))
	r.Sub(r, kl)
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := 1; i < 40; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetInt64(int64(i)))
		sum.Add(sum, term)
	}
	sum.SetMantExp(sum, int(k))
	f, _ := sum.Float64()
	return f
}

// ulps is the distance between got and want in units in the last place of
// want (for subnormal and zero want, the subnormal spacing). Equal values,
// including two NaNs and equal infinities, are 0 apart; a NaN against a
// number or infinities against finite values are infinitely far.
func ulps(got, want float64) float64 {
	switch {
	case got == want || (math.IsNaN(got) && math.IsNaN(want)):
		return 0
	case math.IsNaN(got) || math.IsNaN(want) || math.IsInf(got, 0) || math.IsInf(want, 0):
		return math.Inf(1)
	}
	a := math.Abs(want)
	ulp := math.Nextafter(a, math.Inf(1)) - a
	if math.IsInf(ulp, 0) {
		ulp = a - math.Nextafter(a, 0)
	}
	return math.Abs(got-want) / ulp
}

// expTestRanges are the argument ranges of the random tests: the
// fast path, the subnormal and underflow range, overflow, and the
// boundaries between them.
var expTestRanges = [][2]float64{
	{-1, 1},
	{-20, 20},
	{-708, 708},
	{-745.5, -700},
	{-800, -740},
	{700, 710},
	{709.7, 709.8},
	{-745.2, -745.0},
	{-1e-300, 1e-300},
	{-1e5, 1e5},
}

func TestExpToAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 200000
	if testing.Short() {
		n = 20000
	}
	for _, r := range expTestRanges {
		src := make([]float64, n)
		for i := range src {
			src[i] = r[0] + (r[1]-r[0])*rng.Float64()
		}
		dst := make([]float64, n)
		ExpTo(dst, src)
		worst, at := 0.0, 0.0
		for i, x := range src {
			if u := ulps(dst[i], expAccurate(x)); u > worst {
				worst, at = u, x
			}
		}
		if worst > 2 {
			t.Errorf("range %v: %.3g ulp from math.Exp at x = %v: got %v, want %v", r, worst, at, expOf(at), expAccurate(at))
		}
		// Against the correctly rounded value on a subset.
		trueWorst := 0.0
		for i := 0; i < n; i += 20 {
			if u := ulps(dst[i], bigExp(src[i])); u > trueWorst {
				trueWorst, at = u, src[i]
			}
		}
		if trueWorst > 2 {
			t.Errorf("range %v: %.3g ulp at x = %v: got %v, want %v", r, trueWorst, at, expOf(at), bigExp(at))
		}
		t.Logf("range %v: worst %.3f ulp from math.Exp, %.3f from the correctly rounded value", r, worst, trueWorst)
	}
}

// expOf is ExpTo on one value, through the dispatching entry point.
func expOf(x float64) float64 {
	d := []float64{x}
	ExpTo(d, d)
	return d[0]
}

func TestExpToSpecial(t *testing.T) {
	cases := []float64{
		0, math.Copysign(0, -1), 1, -1,
		math.NaN(), math.Inf(1), math.Inf(-1),
		708, -708, 708.0000001, -708.0000001, 708.4, -708.4,
		709.782712893383973096, 709.782712893384, 709.78271289338403, 710, 1000, 1e300, math.MaxFloat64,
		-709, -720, -744, -745, -745.1332191019411, -745.1332191019412, -745.1332191019413, -745.2, -746, -1000, -1e300, -math.MaxFloat64,
		5e-324, -5e-324, 1e-310, math.SmallestNonzeroFloat64,
		math.Ln2 / 2, -math.Ln2 / 2, 0.5 * math.Ln2 * 3, 1e-8, -1e-8,
	}
	// Every position in a group of four, with the special value among
	// ordinary neighbours and alone, so that the slow path is reached from
	// each lane and NaN cannot leak into the other lanes.
	for _, x := range cases {
		for lane := range 4 {
			for _, fill := range []float64{0.5, 800} {
				src := []float64{fill, fill, fill, fill, fill}
				src[lane] = x
				dst := make([]float64, len(src))
				ExpTo(dst, src)
				for i, v := range src {
					if u := ulps(dst[i], bigExp(v)); u > 2 {
						t.Errorf("exp(%v) in lane %d (fill %v) = %v, want %v", v, lane, fill, dst[i], bigExp(v))
					}
					if m := expSlow(v); useAVX2 && math.Float64bits(m) != math.Float64bits(dst[i]) {
						t.Errorf("exp(%v): asm %v, expSlow %v", v, dst[i], m)
					}
				}
				g := make([]float64, len(src))
				expToGeneric(g, src)
				for i, v := range src {
					if u := ulps(g[i], bigExp(v)); u > 2 {
						t.Errorf("twin: exp(%v) = %v, want %v", v, g[i], bigExp(v))
					}
				}
			}
		}
	}
}

func TestExpToLengthsAndAliasing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 67; n++ {
		for _, off := range []int{0, 1, 3} {
			buf := make([]float64, n+off+1)
			for i := range buf {
				buf[i] = 40 * (rng.Float64() - 0.5)
			}
			buf[len(buf)-1] = 12345 // guard: must stay
			src := buf[off : off+n]
			want := make([]float64, n)
			expToGeneric(want, src)
			dst := make([]float64, n+off+1)
			dst[len(dst)-1] = 777
			ExpTo(dst[off:], src)
			for i := range want {
				if u := ulps(dst[off+i], want[i]); u > 2 {
					t.Fatalf("n=%d off=%d i=%d: %v vs %v", n, off, i, dst[off+i], want[i])
				}
			}
			if dst[len(dst)-1] != 777 {
				t.Fatalf("n=%d off=%d: wrote past the end", n, off)
			}
			// In place.
			ExpTo(src, src)
			for i := range want {
				if src[i] != dst[off+i] {
					t.Fatalf("n=%d off=%d i=%d: in place %v, out of place %v", n, off, i, src[i], dst[off+i])
				}
			}
			if buf[len(buf)-1] != 12345 {
				t.Fatalf("n=%d off=%d: in place wrote past the end", n, off)
			}
		}
	}
}

func TestExpToPanicsOnShortDst(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	ExpTo(make([]float64, 2), make([]float64, 3))
}

// TestExpModelsMatchAsm holds the scalar models of the vector exp, which
// Partition2's twin relies on, to the assembly bit for bit, over the fast
// range and (expSlow) everywhere.
func TestExpModelsMatchAsm(t *testing.T) {
	if !useAVX2 {
		t.Skip("no assembly")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	src := make([]float64, 100000)
	for i := range src {
		src[i] = -expFastLimit + 2*expFastLimit*rng.Float64()
	}
	src[0], src[1], src[2], src[3] = -708, 708, 0, -0.5*math.Ln2
	dst := make([]float64, len(src))
	ExpTo(dst, src)
	for i, x := range src {
		if f := expFast(x); f != dst[i] {
			t.Fatalf("exp(%v): asm %v, expFast %v", x, dst[i], f)
		}
		if f := expSlow(x); f != dst[i] {
			t.Fatalf("exp(%v): asm %v, expSlow %v", x, dst[i], f)
		}
		if u := ulps(dst[i], math.Exp(x)); u > 2 {
			t.Fatalf("exp(%v): %v ulp", x, u)
		}
	}
	for _, r := range expTestRanges {
		for i := range src {
			src[i] = r[0] + (r[1]-r[0])*rng.Float64()
		}
		ExpTo(dst, src)
		for i, x := range src {
			if f := expSlow(x); math.Float64bits(f) != math.Float64bits(dst[i]) {
				t.Fatalf("exp(%v): asm %v, expSlow %v", x, dst[i], f)
			}
		}
	}
}

func TestExpShiftSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 31, 33, 64, 67, 257, 1000} {
		for _, off := range []int{0, 1} {
			for _, spread := range []float64{1, 30, 800} {
				base := make([]float64, n+off)
				for i := range base {
					base[i] = spread * (rng.Float64() - 0.5)
				}
				if n > 2 {
					base[off+n/2] = math.Inf(-1)
				}
				s := base[off:]
				shift := math.Inf(-1)
				for _, v := range s {
					shift = max(shift, v)
				}
				if n == 0 {
					shift = 0
				}
				a := append([]float64(nil), s...)
				g := append([]float64(nil), s...)
				sa := ExpShiftSum(a, shift)
				sg := expShiftSumGeneric(g, shift)
				for i := range a {
					if u := ulps(a[i], g[i]); u > 2 {
						t.Fatalf("n=%d off=%d spread=%v i=%d: %v vs %v", n, off, spread, i, a[i], g[i])
					}
				}
				if math.Abs(sa-sg) > 1e-15*math.Abs(sg) {
					t.Fatalf("n=%d off=%d spread=%v: sum %v vs %v", n, off, spread, sa, sg)
				}
				// The documented order, on the kernel's own exponentials.
				var l [4]float64
				for i, e := range a {
					l[i&3] += e
				}
				if want := (l[0] + l[1]) + (l[2] + l[3]); sa != want {
					t.Fatalf("n=%d: sum %v, lane order gives %v", n, sa, want)
				}
			}
		}
	}
}

func TestExpShiftSumSpecial(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		s     []float64
		shift float64
	}{
		{[]float64{1, 2, 3, 4, 5}, inf},
		{[]float64{1, 2, 3, 4, 5}, -inf},
		{[]float64{1, 2, math.NaN(), 4, 5}, 5},
		{[]float64{-inf, -inf, -inf, -inf, -inf, -inf}, 0},
		{[]float64{-inf, -inf, -inf, -inf, -inf, -inf}, -inf},
		{[]float64{1000, 0, -1000, 1, 2}, 0},
	}
	for _, c := range cases {
		a := append([]float64(nil), c.s...)
		g := append([]float64(nil), c.s...)
		sa := ExpShiftSum(a, c.shift)
		sg := expShiftSumGeneric(g, c.shift)
		if ulps(sa, sg) > 2 {
			t.Errorf("%v shift %v: sum %v, want %v", c.s, c.shift, sa, sg)
		}
		for i := range a {
			if ulps(a[i], g[i]) > 2 {
				t.Errorf("%v shift %v: [%d] %v, want %v", c.s, c.shift, i, a[i], g[i])
			}
		}
	}
}

func BenchmarkExpTo(b *testing.B) {
	for _, impl := range []struct {
		name string
		f    func(dst, src []float64)
	}{{"asm", ExpTo}, {"go", expToGeneric}} {
		if impl.name == "asm" && !useAVX2 {
			continue
		}
		for _, n := range []int{1000} {
			src := make([]float64, n)
			rng := rand.New(rand.NewPCG(1, 1))
			for i := range src {
				src[i] = 40 * (rng.Float64() - 0.5)
			}
			dst := make([]float64, n)
			b.Run(impl.name, func(b *testing.B) {
				cpu := cpuNow()
				for b.Loop() {
					impl.f(dst, src)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
				b.ReportMetric(float64((cpuNow()-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/elem")
			})
		}
	}
}

func BenchmarkExpShiftSum(b *testing.B) {
	for _, impl := range []struct {
		name string
		f    func(s []float64, shift float64) float64
	}{{"asm", ExpShiftSum}, {"go", expShiftSumGeneric}} {
		if impl.name == "asm" && !useAVX2 {
			continue
		}
		n := 1000
		src := make([]float64, n)
		rng := rand.New(rand.NewPCG(1, 1))
		for i := range src {
			src[i] = -30 * rng.Float64()
		}
		s := make([]float64, n)
		b.Run(impl.name, func(b *testing.B) {
			cpu := cpuNow()
			for b.Loop() {
				copy(s, src)
				impl.f(s, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
			b.ReportMetric(float64((cpuNow()-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/elem")
		})
	}
}
