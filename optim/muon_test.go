package optim

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randomMatrix(r, c int, rng *rand.Rand) []float64 {
	u := make([]float64, r*c)
	for i := range u {
		u[i] = rng.NormFloat64()
	}
	return u
}

// withSingularValues returns P·diag(s)·Qᵀ for random orthonormal P, Q.
func withSingularValues(r, c int, s []float64, rng *rand.Rand) *mat.Dense {
	var svd mat.SVD
	svd.Factorize(mat.NewDense(r, c, randomMatrix(r, c, rng)), mat.SVDThin)
	var p, q mat.Dense
	svd.UTo(&p)
	svd.VTo(&q)
	d := mat.NewDiagDense(len(s), s)
	var out mat.Dense
	out.Product(&p, d, q.T())
	return &out
}

func singularValues(t *testing.T, r, c int, data []float64) []float64 {
	t.Helper()
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(r, c, append([]float64(nil), data...)), mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	return svd.Values(nil)
}

// Φ_τ(U) must equal P·diag(τσ/√(1+τ²σ²))·Qᵀ computed from an SVD, for wide
// and tall matrices; 40 coupled steps are converged to rounding.
func TestSoftPolarMatchesSVD(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, shape := range [][2]int{{8, 12}, {12, 8}, {5, 5}} {
		r, c := shape[0], shape[1]
		u := randomMatrix(r, c, rng)
		var svd mat.SVD
		svd.Factorize(mat.NewDense(r, c, append([]float64(nil), u...)), mat.SVDThin)
		var p, q mat.Dense
		svd.UTo(&p)
		svd.VTo(&q)
		sigma := svd.Values(nil)
		w := newPolarWork([]Segment{{Len: r * c, Rows: r, Cols: c}})
		for _, tau := range []float64{0.3, 1, 10, 1e9} {
			phi := make([]float64, len(sigma))
			for i, s := range sigma {
				phi[i] = tau * s / math.Sqrt(1+tau*tau*s*s)
			}
			var want mat.Dense
			want.Product(&p, mat.NewDiagDense(len(phi), phi), q.T())
			got := make([]float64, r*c)
			softPolar(got, u, r, c, tau, 40, &w)
			diff := mat.NewDense(r, c, got)
			diff.Sub(diff, &want)
			if e := mat.Norm(diff, math.Inf(1)); e > 1e-11 {
				t.Errorf("%dx%d τ=%g: max deviation %g", r, c, tau, e)
			}
			// Five steps (the reference's count) are visibly unconverged for
			// large τ but agree once τσ is small (the map is nearly linear).
			softPolar(got, u, r, c, tau, 5, &w)
			diff = mat.NewDense(r, c, got)
			diff.Sub(diff, &want)
			e5 := mat.Norm(diff, math.Inf(1))
			if tau == 1e9 && e5 < 1e-3 {
				t.Errorf("%dx%d: 5 coupled steps unexpectedly converged (%g)", r, c, e5)
			}
		}
	}
}

// Muon's NS5 is an approximate polar factor: same singular vectors, singular
// values squeezed into about [0.7, 1.2] (not exactly 1).
func TestNewtonSchulzSingularValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	s := make([]float64, 10)
	for i := range s {
		s[i] = math.Pow(100, -float64(i)/9) // condition number 100
	}
	u := withSingularValues(10, 16, s, rng)
	w := newPolarWork([]Segment{{Len: 160, Rows: 16, Cols: 10}})
	out := make([]float64, 160)
	newtonSchulz(out, u.RawMatrix().Data, 10, 16, 5, &w)
	sv := singularValues(t, 10, 16, out)
	for _, v := range sv {
		if v < 0.6 || v > 1.25 {
			t.Errorf("NS5 singular value %v outside [0.6, 1.25] (all: %v)", v, sv)
		}
	}
	// Transposing the input transposes the output exactly.
	var ut mat.Dense
	ut.CloneFrom(u.T())
	outT := make([]float64, 160)
	newtonSchulz(outT, ut.RawMatrix().Data, 16, 10, 5, &w)
	for i := 0; i < 10; i++ {
		for j := 0; j < 16; j++ {
			if out[i*16+j] != outT[j*10+i] {
				t.Fatalf("NS5 of the transpose differs at (%d,%d)", i, j)
			}
		}
	}
}

// matrixLeastSquares is M1 of §2.9: f(W) = ½‖A(W − W*)‖_F² with A diagonal,
// condition number 30.
type matrixLeastSquares struct {
	r, c  int
	a, ws []float64
}

func newMatrixLeastSquares(r, c int, rng *rand.Rand) matrixLeastSquares {
	m := matrixLeastSquares{r: r, c: c, a: make([]float64, r), ws: randomMatrix(r, c, rng)}
	for i := range m.a {
		m.a[i] = math.Pow(30, -float64(i)/float64(r-1))
	}
	return m
}

func (m matrixLeastSquares) grad(w, g []float64) float64 {
	var f float64
	for i := 0; i < m.r; i++ {
		a2 := m.a[i] * m.a[i]
		for j := 0; j < m.c; j++ {
			d := w[i*m.c+j] - m.ws[i*m.c+j]
			g[i*m.c+j] = a2 * d
			f += 0.5 * a2 * d * d
		}
	}
	return f
}

func TestSoftMuonEqualsMuonThenBreaksPlateau(t *testing.T) {
	const r, c, steps = 16, 24, 1500
	ls := newMatrixLeastSquares(r, c, rand.New(rand.NewPCG(41, 42)))
	n := r*c + 3 // a trailing bias-like vector goes to the aux AdamW
	groups := []Group{{Name: "w", LR: 0.02, Segments: []Segment{
		{Name: "W", Offset: 0, Len: r * c, Rows: r, Cols: c},
		{Name: "b", Offset: r * c, Len: 3},
	}}}
	// Only the matrix part of f is reported: the aux AdamW's own
	// oscillation on the vector would blur the comparison.
	grad := func(x, g []float64) float64 {
		for i := r * c; i < n; i++ {
			g[i] = x[i] - 1
		}
		return ls.grad(x[:r*c], g[:r*c])
	}
	muon, err := NewMuon(groups, DefaultMuon(), DefaultMuonAux(), n)
	if err != nil {
		t.Fatal(err)
	}
	results := map[int]float64{}
	for _, softSteps := range []int{5, 40} {
		cfg := DefaultSoftMuon()
		// α_sign = 0.5 shows the effect strongly at this small size
		// (reference at 32×48, 3000 steps: Muon 3e-4 against 1.8e-8).
		cfg.SignSteps, cfg.TransitionSteps = SplitSteps(steps, 0.5)
		cfg.SoftSteps = softSteps
		soft, err := NewSoftMuon(groups, cfg, DefaultMuonAux(), n)
		if err != nil {
			t.Fatal(err)
		}
		xm, xs := make([]float64, n), make([]float64, n)
		gm, gs := make([]float64, n), make([]float64, n)
		var fm, fs float64
		for k := 1; k <= steps; k++ {
			if softSteps == 5 { // Muon runs once, alongside the first variant
				fm = grad(xm, gm)
				muon.Step(xm, gm)
			}
			fs = grad(xs, gs)
			soft.Step(xs, gs)
			if softSteps == 5 && k <= cfg.SignSteps {
				for i := range xm {
					if xm[i] != xs[i] {
						t.Fatalf("SoftMuon differs from Muon at step %d (coordinate %d), before the transition", k, i)
					}
				}
			}
		}
		if softSteps == 5 {
			results[0] = fm
		}
		results[softSteps] = fs
	}
	t.Logf("f after %d steps: Muon %.3g, SoftMuon(5 coupled steps) %.3g, SoftMuon(40) %.3g", steps, results[0], results[5], results[40])
	if !(results[5] < results[0]/100) || !(results[40] < results[0]/100) {
		t.Errorf("SoftMuon did not break Muon's plateau: %v", results)
	}
}

// The aux AdamW sees exactly the non-matrix segments, with lr scaled.
func TestMuonAuxSplit(t *testing.T) {
	groups := []Group{{Name: "g", LR: 0.02, WeightDecay: 0.1, Segments: []Segment{
		{Name: "b", Offset: 0, Len: 4},
		{Name: "W", Offset: 4, Len: 6, Rows: 2, Cols: 3},
	}}}
	cfg := DefaultMuon()
	cfg.AuxLRScale = 0.5
	muon, err := NewMuon(groups, cfg, DefaultMuonAux(), 10)
	if err != nil {
		t.Fatal(err)
	}
	adam, _ := NewAdam([]Group{{LR: 0.01, WeightDecay: 0.1, Segments: []Segment{{Offset: 0, Len: 4}}}}, DefaultMuonAux(), 4)
	rng := rand.New(rand.NewPCG(1, 3))
	p := randomMatrix(1, 10, rng)
	pa := append([]float64(nil), p[:4]...)
	for range 5 {
		g := randomMatrix(1, 10, rng)
		muon.Step(p, g)
		adam.Step(pa, g[:4])
	}
	for i := range pa {
		if p[i] != pa[i] {
			t.Errorf("vector coordinate %d: Muon's aux %v, standalone AdamW %v", i, p[i], pa[i])
		}
	}
	muon.SetLR(0, 0.04)
	if muon.LR(0) != 0.04 || muon.aux.LR(0) != 0.02 {
		t.Errorf("SetLR: matrix %v, aux %v", muon.LR(0), muon.aux.LR(0))
	}
	if a := testing.AllocsPerRun(10, func() { muon.Step(p, p) }); a != 0 {
		t.Errorf("Muon step allocates %v times", a)
	}
}

func BenchmarkNewtonSchulz64x128(b *testing.B) { benchPolar(b, false) }
func BenchmarkSoftPolar64x128(b *testing.B)    { benchPolar(b, true) }

func benchPolar(b *testing.B, soft bool) {
	u := randomMatrix(64, 128, rand.New(rand.NewPCG(1, 2)))
	w := newPolarWork([]Segment{{Len: 64 * 128, Rows: 64, Cols: 128}})
	out := make([]float64, len(u))
	for b.Loop() {
		if soft {
			softPolar(out, u, 64, 128, 100, 5, &w)
		} else {
			newtonSchulz(out, u, 64, 128, 5, &w)
		}
	}
}

// SoftMuon's schedule comes from the singular values of the raw gradients
// of all matrices of the group at the first soft step.
func TestSoftMuonScheduleFromGradientSpectrum(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	groups := []Group{{LR: 0.01, Segments: []Segment{
		{Name: "A", Offset: 0, Len: 12, Rows: 3, Cols: 4},
		{Name: "B", Offset: 12, Len: 10, Rows: 5, Cols: 2},
	}}}
	cfg := DefaultSoftMuon()
	cfg.SignSteps, cfg.TransitionSteps = 2, 4
	s, err := NewSoftMuon(groups, cfg, DefaultMuonAux(), 22)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, 22)
	var last []float64
	for range 3 {
		last = randomMatrix(1, 22, rng)
		if err := s.Step(p, last); err != nil {
			t.Fatal(err)
		}
	}
	sv := append(singularValues(t, 3, 4, last[:12]), singularValues(t, 5, 2, last[12:])...)
	want := temperatureSchedule(sv, 4, AlgebraicSaturation(1e-4), 10, 1e9)
	got := s.Schedule(0)
	for j := range want {
		if math.Abs(got[j]-want[j]) > 1e-12*want[j] {
			t.Errorf("τ[%d] = %v, want %v", j, got[j], want[j])
		}
	}
	if s.Temperature(0) != got[0] {
		t.Errorf("first soft step uses τ = %v, want %v", s.Temperature(0), got[0])
	}
}
