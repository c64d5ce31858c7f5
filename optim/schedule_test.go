package optim

import (
	"math"
	"testing"
)

// The reference table of docs/optimizers.md §2.3: T = 1000, MAD s = 1e-3,
// ε = 1e-4 (atanh(1−ε) = 4.951718776), tmax large enough not to clamp.
func TestTemperatureTable(t *testing.T) {
	const s = 1e-3
	if c := TanhSaturation(1e-4); math.Abs(c-4.951718776) > 1e-9 {
		t.Errorf("atanh(1−1e-4) = %.10f", c)
	}
	if c := AlgebraicSaturation(1e-4); math.Abs(c-70.70537471) > 1e-7 {
		t.Errorf("φ⁻¹(1−1e-4) = %.10f", c)
	}
	js := []int{0, 1, 100, 500, 900, 990, 999}
	p := make([]float64, len(js))
	for i, j := range js {
		p[i] = float64(j) / 1000
	}
	wantQ := []float64{0, 1.570813e-6, 1.583860e-4, 1.000010e-3, 6.313815e-3, 6.365738e-2, 0.6366256}
	wantTau := map[float64][]float64{
		0:     {1e9, 3.15233e6, 31263.6, 4951.67, 784.267, 77.787, 7.77807},
		2e-4:  {1e9, 3.03109e6, 30090.6, 4855.51, 783.501, 77.786, 7.77807},
		-5e-4: {1e9, 2.52187e6, 25163.1, 4428.92, 779.526, 77.782, 7.77807},
	}
	q := FoldedCauchyQuantiles(0, s, p, 10)
	for i := range q {
		if math.Abs(q[i]-wantQ[i]) > 1e-6*wantQ[i] {
			t.Errorf("Q(%v) = %.7g, reference %.7g", p[i], q[i], wantQ[i])
		}
		// The closed form s·tan(πp/2) differs only by the 1e-8 guard.
		if closed := s * math.Tan(math.Pi*p[i]/2); math.Abs(q[i]-closed) > 2e-5*closed {
			t.Errorf("Q(%v) = %g, closed form %g", p[i], q[i], closed)
		}
	}
	for mu, want := range wantTau {
		tau := Temperatures(FoldedCauchyQuantiles(mu, s, p, 10), TanhSaturation(1e-4), 1e9)
		for i := range tau {
			if math.Abs(tau[i]-want[i]) > 2e-5*want[i] {
				t.Errorf("μ = %g, p = %v: τ = %.6g, reference %.6g", mu, p[i], tau[i], want[i])
			}
		}
	}
	// tmax = 20 clamps everything up to j ≈ 990; the lower clamp is 1.
	tau := Temperatures(q, TanhSaturation(1e-4), 20)
	for i, want := range []float64{20, 20, 20, 20, 20, 20, 7.77807} {
		if math.Abs(tau[i]-want) > 1e-5*want {
			t.Errorf("tmax 20: τ(%v) = %v, want %v", p[i], tau[i], want)
		}
	}
	if got := Temperatures([]float64{100, math.NaN()}, 4.95, 1e9); got[0] != 1 || got[1] != 1e9 {
		t.Errorf("clamps: %v", got)
	}
}

func TestCauchyFit(t *testing.T) {
	// Sorted: −4 −1 0 2 3 10; lower middle 0; |v − 0| sorted 0 1 2 3 4 10 → 2.
	loc, scale := CauchyFit([]float64{3, -1, 10, 0, -4, 2})
	if loc != 0 || scale != 2 {
		t.Errorf("CauchyFit = (%v, %v), want (0, 2)", loc, scale)
	}
	// A zero MAD (more than half the values equal) must not produce NaNs.
	tau := temperatureSchedule([]float64{0, 0, 0, 1}, 10, TanhSaturation(1e-4), 10, 1e9)
	for j, v := range tau {
		if !(v >= 1 && v <= 1e9) {
			t.Errorf("zero MAD: τ[%d] = %v", j, v)
		}
	}
}

func TestSplitSteps(t *testing.T) {
	for _, c := range []struct {
		total      int
		alpha      float64
		sign, tran int
	}{{10000, 0.9, 9000, 1000}, {7, 0.5, 4, 3}, {100, 1, 100, 0}, {100, -1, 0, 100}} {
		s, tr := SplitSteps(c.total, c.alpha)
		if s != c.sign || tr != c.tran {
			t.Errorf("SplitSteps(%d, %v) = %d, %d", c.total, c.alpha, s, tr)
		}
	}
}
