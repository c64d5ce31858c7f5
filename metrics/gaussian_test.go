package metrics

import (
	"context"
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func mustGaussian(t *testing.T, mean, cov []float64) Gaussian {
	t.Helper()
	g, err := NewGaussian(mean, cov)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func mustFrechet(t *testing.T, a, b Gaussian) float64 {
	t.Helper()
	v, err := FrechetDistance(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFitGaussian(t *testing.T) {
	p := Points{Data: []float64{1, 2, 3, 6, 5, 1}, Rows: 3, Cols: 2}
	g, err := FitGaussian(p)
	if err != nil {
		t.Fatal(err)
	}
	// Means 3 and 3; deviations (−2,−1), (0,3), (2,−2): unbiased covariance
	// [[8, −2], [−2, 14]] / 2.
	want := []float64{4, -1, -1, 7}
	if g.Mean[0] != 3 || g.Mean[1] != 3 {
		t.Fatalf("mean %v", g.Mean)
	}
	for i := range 2 {
		for j := range 2 {
			if math.Abs(g.Cov.At(i, j)-want[2*i+j]) > 1e-15 {
				t.Fatalf("covariance %v, want %v", mat.Formatted(g.Cov), want)
			}
		}
	}
	if _, err := FitGaussian(p.Slice(0, 1)); !errors.Is(err, ErrTooFew) {
		t.Fatalf("one point: err = %v", err)
	}
}

func TestFrechetDistanceClosedForms(t *testing.T) {
	// 1-D: (μ1−μ2)² + (σ1−σ2)².
	a := mustGaussian(t, []float64{1}, []float64{4})
	b := mustGaussian(t, []float64{-0.5}, []float64{0.25})
	if got, want := mustFrechet(t, a, b), 1.5*1.5+(2-0.5)*(2-0.5); math.Abs(got-want) > 1e-13 {
		t.Errorf("1-D: %.17g, want %.17g", got, want)
	}
	// Commuting (diagonal) covariances: ‖Δμ‖² + Σ(√a_k − √b_k)².
	a = mustGaussian(t, []float64{0, 1, 2}, []float64{1, 0, 0, 0, 9, 0, 0, 0, 0.04})
	b = mustGaussian(t, []float64{1, 1, 0}, []float64{4, 0, 0, 0, 1, 0, 0, 0, 0.01})
	want := 1.0 + 4 + (1-2)*(1-2) + (3-1)*(3-1) + (0.2-0.1)*(0.2-0.1)
	if got := mustFrechet(t, a, b); math.Abs(got-want) > 1e-13 {
		t.Errorf("diagonal: %.17g, want %.17g", got, want)
	}
	// The same pair rotated by a common orthogonal matrix: same distance.
	theta := 0.7
	c, s := math.Cos(theta), math.Sin(theta)
	q := mat.NewDense(3, 3, []float64{c, -s, 0, s, c, 0, 0, 0, 1})
	rotate := func(g Gaussian) Gaussian {
		var m mat.VecDense
		m.MulVec(q, mat.NewVecDense(3, g.Mean))
		var tmp, cov mat.Dense
		tmp.Mul(q, g.Cov)
		cov.Mul(&tmp, q.T())
		return mustGaussian(t, m.RawVector().Data, symmetrised(&cov))
	}
	if got := mustFrechet(t, rotate(a), rotate(b)); math.Abs(got-want) > 1e-12 {
		t.Errorf("rotated: %.17g, want %.17g", got, want)
	}
	if got := mustFrechet(t, a, a); got > 1e-12 {
		t.Errorf("distance to itself %g", got)
	}
}

func symmetrised(m mat.Matrix) []float64 {
	r, _ := m.Dims()
	out := make([]float64, r*r)
	for i := range r {
		for j := range r {
			out[i*r+j] = 0.5 * (m.At(i, j) + m.At(j, i))
		}
	}
	return out
}

// For non-commuting covariances, tr((Σ₂^{1/2}Σ₁Σ₂^{1/2})^{1/2}) equals the
// sum of the square roots of the (real, non-negative) eigenvalues of Σ₁Σ₂:
// an independent route through a non-symmetric eigensolver.
func TestFrechetDistanceNonCommuting(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	const d = 5
	randomSPD := func() []float64 {
		a := mat.NewDense(d, d, nil)
		for i := range d {
			for j := range d {
				a.Set(i, j, rng.NormFloat64())
			}
		}
		var s mat.Dense
		s.Mul(a, a.T())
		for i := range d {
			s.Set(i, i, s.At(i, i)+0.1)
		}
		return symmetrised(&s)
	}
	c1, c2 := randomSPD(), randomSPD()
	m1, m2 := make([]float64, d), make([]float64, d)
	for k := range d {
		m1[k], m2[k] = rng.NormFloat64(), rng.NormFloat64()
	}
	var prod mat.Dense
	prod.Mul(mat.NewDense(d, d, c1), mat.NewDense(d, d, c2))
	var eig mat.Eigen
	if !eig.Factorize(&prod, mat.EigenNone) {
		t.Fatal("eigen failed")
	}
	var cross float64
	for _, l := range eig.Values(nil) {
		cross += real(cmplx.Sqrt(l))
	}
	want := -2 * cross
	for k := range d {
		want += (m1[k]-m2[k])*(m1[k]-m2[k]) + c1[k*d+k] + c2[k*d+k]
	}
	got := mustFrechet(t, mustGaussian(t, m1, c1), mustGaussian(t, m2, c2))
	if !relClose(got, want, 1e-10) {
		t.Fatalf("Fréchet distance %.15g, eigenvalues of Σ₁Σ₂ give %.15g", got, want)
	}
	// Symmetric in its arguments.
	if back := mustFrechet(t, mustGaussian(t, m2, c2), mustGaussian(t, m1, c1)); !relClose(back, got, 1e-10) {
		t.Fatalf("not symmetric: %.15g vs %.15g", got, back)
	}
}

func TestBWUVP(t *testing.T) {
	truth := mustGaussian(t, []float64{0, 0}, []float64{2, 0, 0, 6})
	fit := mustGaussian(t, []float64{1, 0}, []float64{2, 0, 0, 6})
	// BW² = 1, ½ tr Σ = 4: 25 %.
	if got, err := BWUVP(fit, truth); err != nil || math.Abs(got-25) > 1e-12 {
		t.Fatalf("BW-UVP %v (%v), want 25", got, err)
	}
	// A point mass at the true mean explains nothing: BW² = tr Σ → 200 %.
	point := mustGaussian(t, []float64{0, 0}, []float64{0, 0, 0, 0})
	if got, _ := BWUVP(point, truth); math.Abs(got-200) > 1e-12 {
		t.Fatalf("point mass: BW-UVP %v, want 200", got)
	}
	// Sample fit of the truth: BW-UVP shrinks towards 0 with the sample size.
	rng := rand.New(rand.NewPCG(43, 44))
	fitted, err := FitGaussian(gaussianPoints(rng, 20000, []float64{0, 0}, []float64{math.Sqrt2, math.Sqrt(6)}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := BWUVP(fitted, truth); got > 0.1 {
		t.Fatalf("sample fit of 20000 points: BW-UVP %v %%", got)
	}
	if _, err := BWUVP(fit, point); !errors.Is(err, ErrInvalid) {
		t.Fatalf("zero-variance truth: err = %v", err)
	}
	if _, err := FrechetDistance(fit, mustGaussian(t, []float64{0}, []float64{1})); !errors.Is(err, ErrShape) {
		t.Fatalf("dimension mismatch: err = %v", err)
	}
	if _, err := NewGaussian([]float64{0, 0}, []float64{1, 0.5, 0.4, 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("asymmetric covariance: err = %v", err)
	}
}

func TestPerGroupFrechet(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	heldA := gaussianPoints(rng, 31, []float64{0, 0, 0}, []float64{1, 2, 3})
	heldB := gaussianPoints(rng, 20, []float64{5, 5, 5}, []float64{0.5, 0.5, 0.5})
	modelA := heldA // a perfect copy: distance 0
	modelB := gaussianPoints(rng, 20, []float64{6, 5, 5}, []float64{0.5, 0.5, 0.5})
	res, err := PerGroupFrechet(context.Background(), 0, []Points{modelA, modelB}, []Points{heldA, heldB})
	if err != nil {
		t.Fatal(err)
	}
	if res.FID[0] > 1e-10 {
		t.Errorf("identical group: FID %g", res.FID[0])
	}
	fitM, _ := FitGaussian(modelB)
	fitH, _ := FitGaussian(heldB)
	wantB := mustFrechet(t, fitM, fitH)
	if res.FID[1] != wantB {
		t.Errorf("group B: FID %v, want %v", res.FID[1], wantB)
	}
	// Pooled variance of group B's 60 values, written out.
	var mean, ss float64
	for _, v := range heldB.Data {
		mean += v
	}
	mean /= 60
	for _, v := range heldB.Data {
		ss += (v - mean) * (v - mean)
	}
	if want := wantB / (ss / 60); !relClose(res.VFID[1], want, 1e-14) {
		t.Errorf("group B: vFID %v, want %v", res.VFID[1], want)
	}
	if want := (res.FID[0] + res.FID[1]) / 2; !relClose(res.MeanFID.Mean, want, 1e-15) || res.MeanFID.N != 2 {
		t.Errorf("mean FID %+v, want %v", res.MeanFID, want)
	}
	if _, err := PerGroupFrechet(context.Background(), 0, []Points{modelA}, []Points{heldA, heldB}); !errors.Is(err, ErrShape) {
		t.Errorf("group count mismatch: err = %v", err)
	}
	if _, err := PerGroupFrechet(context.Background(), 0, []Points{modelA.Slice(0, 1)}, []Points{heldA}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one sample: err = %v", err)
	}
}

// Fewer points than dimensions (the weather groups: ≤ 31 days in 94-d) give
// singular covariances; the distance of a set to itself must still vanish
// up to the rounding of the clipped square roots, and stay symmetric.
func TestFrechetDistanceRankDeficient(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	mean, sd := make([]float64, 94), make([]float64, 94)
	for k := range sd {
		sd[k] = 1
	}
	a, err := FitGaussian(gaussianPoints(rng, 31, mean, sd))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FitGaussian(gaussianPoints(rng, 31, mean, sd))
	scale := mat.Trace(a.Cov)
	if self := mustFrechet(t, a, a); self > 1e-6*scale {
		t.Errorf("rank-30 covariance: distance to itself %g (trace %g)", self, scale)
	}
	ab, ba := mustFrechet(t, a, b), mustFrechet(t, b, a)
	if !relClose(ab, ba, 1e-8) || !(ab > 0.5*scale) {
		t.Errorf("two rank-30 fits: %g and %g (trace %g)", ab, ba, scale)
	}
}
