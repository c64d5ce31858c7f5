package datasets

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

func TestStandardizerRoundTripAndMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := NewMatrix(500, 4)
	for i := range m.Rows {
		r := m.Row(i)
		r[0] = 1e6 + 1e-3*rng.NormFloat64() // large offset, small spread
		r[1] = -3 + 20*rng.Float64()
		r[2] = 7.25 // constant
		r[3] = 1e-8 * rng.NormFloat64()
	}
	s := FitStandardizer(m)
	if s.Std[2] != 1 || s.Mean[2] != 7.25 {
		t.Fatalf("constant column: mean %v std %v, want 7.25 and 1", s.Mean[2], s.Std[2])
	}
	z := s.Transform(m)
	for j := range 4 {
		var mean, sq float64
		for i := range z.Rows {
			mean += z.Row(i)[j]
		}
		mean /= float64(z.Rows)
		for i := range z.Rows {
			d := z.Row(i)[j] - mean
			sq += d * d
		}
		wantVar := 1.0
		if j == 2 {
			wantVar = 0
		}
		// The mean itself is only representable to one ulp of the
		// column's magnitude: that, in standardised units, bounds the
		// remaining offset.
		big := math.Abs(m.Row(0)[j])
		tol := 1e-12 + (math.Nextafter(big, math.Inf(1))-big)/s.Std[j]
		if math.Abs(mean) > tol || math.Abs(sq/float64(z.Rows)-wantVar) > 1e-9 {
			t.Errorf("column %d standardised to mean %v, variance %v", j, mean, sq/float64(z.Rows))
		}
	}
	back := s.Inverse(z)
	for i, v := range back.Data {
		if math.Abs(v-m.Data[i]) > 1e-12*math.Max(1, math.Abs(m.Data[i])) {
			t.Fatalf("round trip value %d: %v, want %v", i, v, m.Data[i])
		}
	}
	// Transform copies: m is unchanged.
	if m.Row(0)[2] != 7.25 {
		t.Fatal("Transform modified its input")
	}
}

// A density in original units equals the standardised density divided by
// the Jacobian: check with a Gaussian whose density is known in both units.
func TestLogDetJacobianConvertsDensities(t *testing.T) {
	s := Standardizer{Mean: []float64{2, -1}, Std: []float64{3, 0.25}}
	logNormal := func(v, mu, sd float64) float64 {
		r := (v - mu) / sd
		return -0.5*r*r - math.Log(sd) - 0.5*math.Log(2*math.Pi)
	}
	y := []float64{4.5, -1.3}
	original := logNormal(y[0], 2, 3) + logNormal(y[1], -1, 0.25)
	z := append([]float64(nil), y...)
	s.TransformRow(z)
	standardised := logNormal(z[0], 0, 1) + logNormal(z[1], 0, 1)
	if got := standardised - s.LogDetJacobian(); math.Abs(got-original) > 1e-12 {
		t.Fatalf("converted log-density %v, want %v", got, original)
	}
}

func TestScalerFitsAllAvailableValuesAndSerialises(t *testing.T) {
	s := &Streams{
		XNames: []string{"a"}, YNames: []string{"b", "c"},
		PairX: mat(2, 1, 1, 2), PairY: mat(2, 2, 10, 5, 20, 5),
		SourceX: mat(2, 1, 3, 6), TargetY: mat(1, 2, 30, 5),
	}
	sc := FitScaler(s)
	// x: {1,2,3,6} → mean 3, population variance (4+1+0+9)/4 = 3.5.
	// y: b = {10,20,30} → mean 20, variance 200/3; c constant → std 1.
	want := Scaler{X: Standardizer{Mean: []float64{3}, Std: []float64{math.Sqrt(3.5)}},
		Y: Standardizer{Mean: []float64{20, 5}, Std: []float64{math.Sqrt(200.0 / 3), 1}}}
	close := func(a, b []float64) bool {
		for i := range a {
			if math.Abs(a[i]-b[i]) > 1e-14*math.Max(1, math.Abs(b[i])) {
				return false
			}
		}
		return len(a) == len(b)
	}
	if !close(sc.X.Mean, want.X.Mean) || !close(sc.X.Std, want.X.Std) || !close(sc.Y.Mean, want.Y.Mean) || !close(sc.Y.Std, want.Y.Std) {
		t.Fatalf("scaler %+v, want %+v", sc, want)
	}
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	var back Scaler
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range sc.X.Mean {
		if back.X.Mean[i] != sc.X.Mean[i] || back.X.Std[i] != sc.X.Std[i] {
			t.Fatalf("JSON round trip changed x: %s", b)
		}
	}
	for i := range sc.Y.Mean {
		if back.Y.Mean[i] != sc.Y.Mean[i] || back.Y.Std[i] != sc.Y.Std[i] {
			t.Fatalf("JSON round trip changed y: %s", b)
		}
	}
	if err := back.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := back.Check(s); err != nil {
		t.Fatal(err)
	}
	z := back.Apply(s)
	if z.TargetY.Row(0)[0] != (30-20)/sc.Y.Std[0] || z.SourceX.Row(1)[0] != (6-3)/sc.X.Std[0] || s.TargetY.Row(0)[0] != 30 {
		t.Fatalf("Apply gave %+v", z)
	}
}

func TestScalerValidateAndCheckReject(t *testing.T) {
	for _, bad := range []Standardizer{
		{Mean: []float64{0, 1}, Std: []float64{1}},
		{Mean: []float64{math.NaN()}, Std: []float64{1}},
		{Mean: []float64{0}, Std: []float64{0}},
		{Mean: []float64{0}, Std: []float64{-2}},
		{Mean: []float64{0}, Std: []float64{math.Inf(1)}},
	} {
		if err := (Scaler{X: bad, Y: bad}).Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	sc := Scaler{X: Standardizer{Mean: []float64{0}, Std: []float64{1}}, Y: Standardizer{Mean: []float64{0}, Std: []float64{1}}}
	s := &Streams{XNames: []string{"a", "b"}, YNames: []string{"c"}}
	if err := sc.Check(s); err == nil {
		t.Error("scaler for 1 x column accepted data with 2")
	}
}

func TestIdentityScalerChangesNothing(t *testing.T) {
	sc := IdentityScaler(2, 3)
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	m := Matrix{Rows: 2, Cols: 3, Data: []float64{1.5, -2, 3e-300, 4, 5, -6e10}}
	got := sc.Y.Transform(m)
	for i, v := range got.Data {
		if v != m.Data[i] {
			t.Fatalf("value %d changed from %v to %v", i, m.Data[i], v)
		}
	}
	if sc.Y.LogDetJacobian() != 0 {
		t.Fatal("identity has a non-zero log-Jacobian")
	}
}
