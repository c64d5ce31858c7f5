package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// partCase is a Partition2 problem in the kernel's layout, every slice
// starting at offset off of a larger buffer so that the kernel meets
// unaligned data.
type partCase struct {
	N, M, Mp                 int
	tilts, comps             []float64
	S, sums, cols            []float64
	logw, A0, A1, a0, a1     []float64 // per component
	logv, be0, be1, ga0, ga1 []float64 // per real tilt
}

func offsetSlice(n, off int) []float64 { return make([]float64, n+off)[off:] }

// newPartCase draws a problem shaped like the mixture energy's: tilts β =
// b²/(2ε), γ = b/ε and component heads with negative quadratic
// coefficients, padded from M to a multiple of 4 with log v = −Inf.
func newPartCase(rng *rand.Rand, N, M, off int) *partCase {
	Mp := (M + 3) &^ 3
	p := &partCase{N: N, M: M, Mp: Mp}
	p.tilts = offsetSlice(5*Mp, off)
	p.cols = offsetSlice(5*Mp, off)
	p.comps = offsetSlice(20*N, off)
	p.sums = offsetSlice(20*N, off)
	p.S = offsetSlice(N*Mp, off)
	eps := 0.05 + rng.Float64()
	for m := range M {
		b0, b1 := rng.NormFloat64(), rng.NormFloat64()
		p.logv = append(p.logv, -math.Log(float64(M))+0.3*rng.NormFloat64())
		p.be0 = append(p.be0, b0*b0/(2*eps))
		p.be1 = append(p.be1, b1*b1/(2*eps))
		p.ga0 = append(p.ga0, b0/eps)
		p.ga1 = append(p.ga1, b1/eps)
		_ = m
	}
	for range N {
		p.logw = append(p.logw, -math.Log(float64(N))+0.5*rng.NormFloat64())
		p.A0 = append(p.A0, -0.2-rng.Float64())
		p.A1 = append(p.A1, -0.2-rng.Float64())
		p.a0 = append(p.a0, rng.NormFloat64())
		p.a1 = append(p.a1, rng.NormFloat64())
	}
	p.fill()
	return p
}

// fill lays the per-tilt and per-component values out for the kernel.
func (p *partCase) fill() {
	for m := range p.Mp {
		g, j := m/4, m%4
		t := p.tilts[20*g : 20*g+20]
		if m >= p.M {
			t[j], t[4+j], t[8+j], t[12+j], t[16+j] = math.Inf(-1), 0, 0, 0, 0
			continue
		}
		t[j], t[4+j], t[8+j], t[12+j], t[16+j] = p.logv[m], p.be0[m], p.be1[m], p.ga0[m], p.ga1[m]
	}
	for n := range p.N {
		c := p.comps[20*n : 20*n+20]
		for j := range 4 {
			c[j], c[4+j], c[8+j], c[12+j], c[16+j] = p.logw[n], p.A0[n], p.A1[n], p.a0[n], p.a1[n]
		}
	}
}

func (p *partCase) clone() *partCase {
	q := *p
	q.S = append([]float64(nil), p.S...)
	q.sums = append([]float64(nil), p.sums...)
	q.cols = append([]float64(nil), p.cols...)
	return &q
}

func (p *partCase) run(f func(tilts, comps, S, sums, cols []float64, N, Mp int) (float64, bool)) (float64, bool) {
	return f(p.tilts, p.comps, p.S, p.sums, p.cols, p.N, p.Mp)
}

func lanes(v []float64) float64 { return (v[0] + v[1]) + (v[2] + v[3]) }

// relClose reports whether got and want agree to tol relative to scale.
func relClose(got, want, scale, tol float64) bool {
	return math.Abs(got-want) <= tol*scale
}

var partShapes = [][2]int{
	{1, 1}, {1, 4}, {2, 3}, {3, 5}, {5, 7}, {7, 2}, {31, 33}, {33, 31}, {50, 25}, {50, 28}, {8, 64}, {2, 257},
}

// TestPartition2MatchesTwin holds the dispatching kernel to its pure-Go
// twin; on FMA hardware they perform the same operations and must agree
// bit for bit, and the tolerance of 1e-12 is only the contract.
func TestPartition2MatchesTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sh := range partShapes {
		for _, off := range []int{0, 1} {
			p := newPartCase(rng, sh[0], sh[1], off)
			q := p.clone()
			mx, ok := p.run(Partition2)
			mxg, okg := q.run(partition2Generic)
			if !ok || !okg || mx != mxg {
				t.Fatalf("N=%d M=%d: (%v, %v) vs twin (%v, %v)", p.N, p.M, mx, ok, mxg, okg)
			}
			exact := true
			cmp := func(what string, a, b []float64) {
				for i := range a {
					if a[i] != b[i] {
						exact = false
					}
					if !relClose(a[i], b[i], math.Abs(b[i]), 1e-12) {
						t.Fatalf("N=%d M=%d off=%d: %s[%d] = %v, twin %v", p.N, p.M, off, what, i, a[i], b[i])
					}
				}
			}
			cmp("S", p.S, q.S)
			cmp("sums", p.sums, q.sums)
			cmp("cols", p.cols, q.cols)
			if !exact {
				t.Logf("N=%d M=%d: not bit-identical to the twin", p.N, p.M)
			}
		}
	}
}

// TestPartition2Semantics checks the documented sums against a plain
// reference built from math.Exp and the unpadded per-tilt values.
func TestPartition2Semantics(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, impl := range []struct {
		name string
		f    func(tilts, comps, S, sums, cols []float64, N, Mp int) (float64, bool)
	}{{"dispatch", Partition2}, {"twin", partition2Generic}} {
		for _, sh := range partShapes {
			p := newPartCase(rng, sh[0], sh[1], 1)
			mx, ok := p.run(impl.f)
			if !ok {
				t.Fatalf("%s N=%d M=%d: not ok", impl.name, p.N, p.M)
			}
			N, M, Mp := p.N, p.M, p.Mp
			logit := func(n, m int) float64 {
				return p.logw[n] + p.logv[m] + p.A0[n]*p.be0[m] + p.A1[n]*p.be1[m] + p.a0[n]*p.ga0[m] + p.a1[n]*p.ga1[m]
			}
			rmx := math.Inf(-1)
			for n := range N {
				for m := range M {
					rmx = max(rmx, logit(n, m))
				}
			}
			if !relClose(mx, rmx, 1+math.Abs(rmx), 1e-13) {
				t.Fatalf("%s: mx %v, want %v", impl.name, mx, rmx)
			}
			var total float64
			colSum := make([][5]float64, M)
			for n := range N {
				var r [5]float64
				for m := range M {
					e := math.Exp(logit(n, m) - rmx)
					if got := p.S[n*Mp+m]; !relClose(got, e, e+1e-300, 1e-12) && math.Abs(logit(n, m)-rmx) < 700 {
						t.Fatalf("%s: e[%d][%d] = %v, want %v", impl.name, n, m, got, e)
					}
					r[0] += e
					r[1] += e * p.be0[m]
					r[2] += e * p.be1[m]
					r[3] += e * p.ga0[m]
					r[4] += e * p.ga1[m]
					colSum[m][0] += e
					colSum[m][1] += e * p.A0[n]
					colSum[m][2] += e * p.A1[n]
					colSum[m][3] += e * p.a0[n]
					colSum[m][4] += e * p.a1[n]
				}
				total += r[0]
				// Scale: Σ e·|value|, which bounds the rounding of any order.
				for i := range 5 {
					got := lanes(p.sums[20*n+4*i : 20*n+4*i+4])
					if !relClose(got, r[i], r[0]*1e3, 1e-12) {
						t.Fatalf("%s N=%d M=%d: sums[%d][%d] = %v, want %v", impl.name, N, M, n, i, got, r[i])
					}
				}
			}
			if total < 1 {
				t.Fatalf("total %v < 1", total)
			}
			for m := range M {
				g, j := m/4, m%4
				for i := range 5 {
					got := p.cols[20*g+4*i+j]
					if !relClose(got, colSum[m][i], colSum[m][0]*10+1e-300, 1e-12) {
						t.Fatalf("%s N=%d M=%d: cols[%d][%d] = %v, want %v", impl.name, N, M, m, i, got, colSum[m][i])
					}
				}
			}
		}
	}
}

func TestPartition2NotOK(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	inf := math.Inf(1)
	mods := []struct {
		name string
		mod  func(p *partCase)
	}{
		{"NaN tilt", func(p *partCase) { p.be0[p.M/2] = math.NaN() }},
		{"NaN log w", func(p *partCase) { p.logw[p.N-1] = math.NaN() }},
		{"+Inf log w", func(p *partCase) { p.logw[0] = inf }},
		{"+Inf log v", func(p *partCase) { p.logv[p.M-1] = inf }},
		{"all -Inf", func(p *partCase) {
			for m := range p.logv {
				p.logv[m] = -inf
			}
		}},
		{"+Inf and -Inf", func(p *partCase) { p.logw[0] = inf; p.logv[0] = -inf }},
		{"NaN with +Inf", func(p *partCase) { p.logw[0] = inf; p.a0[p.N-1] = math.NaN() }},
	}
	for _, impl := range []struct {
		name string
		f    func(tilts, comps, S, sums, cols []float64, N, Mp int) (float64, bool)
	}{{"dispatch", Partition2}, {"twin", partition2Generic}} {
		for _, sh := range [][2]int{{1, 1}, {3, 5}, {50, 25}} {
			for _, m := range mods {
				p := newPartCase(rng, sh[0], sh[1], 0)
				m.mod(p)
				p.fill()
				for i := range p.sums {
					p.sums[i] = 42
				}
				for i := range p.cols {
					p.cols[i] = 42
				}
				if _, ok := p.run(impl.f); ok {
					t.Errorf("%s %s N=%d M=%d: ok", impl.name, m.name, p.N, p.M)
				}
				for _, v := range append(append([]float64(nil), p.sums...), p.cols...) {
					if v != 42 {
						t.Fatalf("%s %s: output written", impl.name, m.name)
					}
				}
			}
		}
		if _, ok := impl.f(nil, nil, nil, nil, nil, 0, 0); ok {
			t.Errorf("%s: empty problem ok", impl.name)
		}
		if _, ok := impl.f(make([]float64, 20), nil, nil, nil, make([]float64, 20), 0, 4); ok {
			t.Errorf("%s: N = 0 ok", impl.name)
		}
	}
	// Extreme but finite logits stay ok and agree with the twin.
	p := newPartCase(rng, 5, 7, 0)
	p.logw[2] = 1e300
	p.logv[3] = -1e300
	p.fill()
	q := p.clone()
	mx, ok := p.run(Partition2)
	mxg, okg := q.run(partition2Generic)
	if !ok || !okg || mx != mxg {
		t.Fatalf("extreme: (%v, %v) vs (%v, %v)", mx, ok, mxg, okg)
	}
	for i := range p.sums {
		if p.sums[i] != q.sums[i] {
			t.Fatalf("extreme: sums differ")
		}
	}
}

func TestPartition2Panics(t *testing.T) {
	bad := []func(){
		func() {
			Partition2(make([]float64, 30), make([]float64, 20), make([]float64, 6), make([]float64, 20), make([]float64, 30), 1, 6)
		},
		func() {
			Partition2(make([]float64, 19), make([]float64, 20), make([]float64, 4), make([]float64, 20), make([]float64, 20), 1, 4)
		},
		func() {
			Partition2(make([]float64, 20), make([]float64, 19), make([]float64, 4), make([]float64, 20), make([]float64, 20), 1, 4)
		},
		func() {
			Partition2(make([]float64, 20), make([]float64, 20), make([]float64, 3), make([]float64, 20), make([]float64, 20), 1, 4)
		},
		func() {
			Partition2(make([]float64, 20), make([]float64, 20), make([]float64, 4), make([]float64, 19), make([]float64, 20), 1, 4)
		},
		func() {
			Partition2(make([]float64, 20), make([]float64, 20), make([]float64, 4), make([]float64, 20), make([]float64, 19), 1, 4)
		},
		func() { Partition2(nil, nil, nil, nil, nil, -1, 0) },
	}
	for i, f := range bad {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d: no panic", i)
				}
			}()
			f()
		}()
	}
}

func BenchmarkPartition2(b *testing.B) {
	for _, sh := range [][2]int{{50, 25}, {50, 28}, {200, 100}} {
		for _, impl := range []struct {
			name string
			f    func(tilts, comps, S, sums, cols []float64, N, Mp int) (float64, bool)
		}{{"asm", Partition2}, {"go", partition2Generic}} {
			if impl.name == "asm" && !useAVX2 {
				continue
			}
			p := newPartCase(rand.New(rand.NewPCG(1, 2)), sh[0], sh[1], 0)
			b.Run(impl.name+"/N="+itoa(p.N)+"/M="+itoa(p.M), func(b *testing.B) {
				cpu := cpuNow()
				for b.Loop() {
					p.run(impl.f)
				}
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				cns := float64((cpuNow() - cpu).Nanoseconds()) / float64(b.N)
				// A term is one real (n, m) cell; padded terms count the
				// tilts added up to a multiple of 4 as well.
				b.ReportMetric(ns/float64(p.N*p.M), "ns/term")
				b.ReportMetric(cns/float64(p.N*p.M), "cpu-ns/term")
				b.ReportMetric(ns/float64(p.N*p.Mp), "ns/padded-term")
			})
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
