package baseline

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// The generating model of the tests: dx = 3, dy = 2, correlated noise.
var (
	trueW   = []float64{1.5, -0.5, 0.25, 0, 2, -1}
	trueC   = []float64{0.5, -1}
	trueCov = []float64{0.5, 0.3, 0.3, 0.8}
)

// generate draws rows pairs with x ~ N(0, diag(1, 4, 0.25)) + 1 and y from
// the true model.
func generate(t *testing.T, rng *rand.Rand, rows int) (x, y []float64) {
	t.Helper()
	truth, err := NewLinearGaussian(trueW, trueC, trueCov, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	sd := []float64{1, 2, 0.5}
	x = make([]float64, rows*3)
	y = make([]float64, rows*2)
	for i := range rows {
		for k := range 3 {
			x[i*3+k] = 1 + sd[k]*rng.NormFloat64()
		}
		if err := truth.Sample(context.Background(), x[i*3:(i+1)*3], 1, rng, y[i*2:(i+1)*2]); err != nil {
			t.Fatal(err)
		}
	}
	return x, y
}

// With n pairs the least-squares slopes have standard errors
// √(Σ_jj / (n·Var x_k)), the intercept about √(Σ_jj/n)·‖(1, x̄/sd)‖, and the
// covariance entries √((Σ_ii Σ_jj + Σ_ij²)/n): every estimate must be within
// 5 of them.
func TestFitRecoversGeneratingModel(t *testing.T) {
	const n = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := generate(t, rng, n)
	m, err := FitLinearGaussian(x, y, n, 3, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.ResidualDOF() != n-1-3 {
		t.Fatalf("least squares: residual dof %v, want n − 1 − dx", m.ResidualDOF())
	}
	sd := []float64{1, 2, 0.5}
	w, c, cov := m.Weights(), m.Intercept(), m.Cov()
	for j := range 2 {
		noise := trueCov[j*2+j]
		for k := range 3 {
			se := math.Sqrt(noise / (n * sd[k] * sd[k]))
			if d := math.Abs(w[j*3+k] - trueW[j*3+k]); d > 5*se {
				t.Errorf("W[%d,%d] = %.4f, true %.4f (se %.4f)", j, k, w[j*3+k], trueW[j*3+k], se)
			}
		}
		se := math.Sqrt(noise/n) * math.Sqrt(1+1+0.25+4)
		if d := math.Abs(c[j] - trueC[j]); d > 5*se {
			t.Errorf("c[%d] = %.4f, true %.4f (se %.4f)", j, c[j], trueC[j], se)
		}
		for i := range 2 {
			se := math.Sqrt((trueCov[i*2+i]*trueCov[j*2+j] + trueCov[i*2+j]*trueCov[i*2+j]) / n)
			if d := math.Abs(cov[i*2+j] - trueCov[i*2+j]); d > 5*se {
				t.Errorf("Σ[%d,%d] = %.4f, true %.4f (se %.4f)", i, j, cov[i*2+j], trueCov[i*2+j], se)
			}
		}
	}
}

// The ridge solution must satisfy its normal equations
// X̃ᵀ(Ỹ − X̃ Wᵀ) = n·ridge·Wᵀ on centred data, with the unpenalised
// intercept making the mean residual zero.
func TestRidgeSolvesNormalEquations(t *testing.T) {
	const n, ridge = 200, 0.3
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := generate(t, rng, n)
	m, err := FitLinearGaussian(x, y, n, 3, 2, ridge)
	if err != nil {
		t.Fatal(err)
	}
	w, c := m.Weights(), m.Intercept()
	grad := make([]float64, 6) // Σ_i r_i x_iᵀ − n·ridge·W, residuals r_i = y_i − W x_i − c
	var meanResid [2]float64
	for i := range n {
		for j := range 2 {
			r := y[i*2+j] - c[j]
			for k := range 3 {
				r -= w[j*3+k] * x[i*3+k]
			}
			meanResid[j] += r / n
			for k := range 3 {
				grad[j*3+k] += r * x[i*3+k]
			}
		}
	}
	for j := range 2 {
		if math.Abs(meanResid[j]) > 1e-12 {
			t.Errorf("mean residual %d = %g, want 0", j, meanResid[j])
		}
		for k := range 3 {
			// With a zero mean residual Σ r_i x_i equals Σ r_i (x_i − x̄).
			if g := grad[j*3+k] - n*ridge*w[j*3+k]; math.Abs(g) > 1e-9 {
				t.Errorf("normal equation (%d,%d) off by %g", j, k, g)
			}
		}
	}
	if ols, _ := FitLinearGaussian(x, y, n, 3, 2, 0); ols.ResidualDOF() >= m.ResidualDOF() {
		t.Errorf("ridge must use fewer effective parameters: dof %v (ridge) vs %v (OLS)", m.ResidualDOF(), ols.ResidualDOF())
	}
}

func TestLogProbIsGaussianDensity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := generate(t, rng, 100)
	m, err := FitLinearGaussian(x, y, 100, 3, 2, DefaultRidge)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		xi, yi := x[i*3:(i+1)*3], y[i*2:(i+1)*2]
		mu := make([]float64, 2)
		if err := m.ConditionalMean(xi, mu); err != nil {
			t.Fatal(err)
		}
		if got, want := m.LogProb(xi, yi), gaussianLogDensity(yi, mu, m.Cov()); math.Abs(got-want) > 1e-12 {
			t.Fatalf("row %d: LogProb %.15g, explicit density %.15g", i, got, want)
		}
	}
	if !math.IsNaN(m.LogProb(x[:2], y[:2])) {
		t.Fatal("wrong x length must give NaN")
	}
}

// gaussianLogDensity is −½(y−μ)ᵀΣ⁻¹(y−μ) − ½ log det(2πΣ) through an LU
// inverse and determinant, a different route from the model's Cholesky.
func gaussianLogDensity(y, mu, cov []float64) float64 {
	d := len(y)
	sigma := mat.NewDense(d, d, cov)
	var inv mat.Dense
	if err := inv.Inverse(sigma); err != nil {
		return math.NaN()
	}
	diff := mat.NewVecDense(d, nil)
	for k := range d {
		diff.SetVec(k, y[k]-mu[k])
	}
	var tmp mat.VecDense
	tmp.MulVec(&inv, diff)
	logDet, sign := mat.LogDet(sigma)
	if sign <= 0 {
		return math.NaN()
	}
	return -0.5*mat.Dot(diff, &tmp) - 0.5*(float64(d)*math.Log(2*math.Pi)+logDet)
}

// Sample moments at one x: the mean within 5 standard errors √(Σ_jj/n) of
// W x + c, the covariance within 5 of √((Σ_ii Σ_jj + Σ_ij²)/n).
func TestSampleMoments(t *testing.T) {
	const n = 40000
	m, err := NewLinearGaussian(trueW, trueC, trueCov, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{0.3, -1, 2}
	dst := make([]float64, 2*n)
	if err := m.Sample(context.Background(), x, n, rand.New(rand.NewPCG(7, 8)), dst); err != nil {
		t.Fatal(err)
	}
	mu := make([]float64, 2)
	if err := m.ConditionalMean(x, mu); err != nil {
		t.Fatal(err)
	}
	var mean [2]float64
	for i := range n {
		mean[0] += dst[2*i] / n
		mean[1] += dst[2*i+1] / n
	}
	var cov [4]float64
	for i := range n {
		for a := range 2 {
			for b := range 2 {
				cov[a*2+b] += (dst[2*i+a] - mean[a]) * (dst[2*i+b] - mean[b]) / (n - 1)
			}
		}
	}
	for j := range 2 {
		if se := math.Sqrt(trueCov[j*2+j] / n); math.Abs(mean[j]-mu[j]) > 5*se {
			t.Errorf("sample mean %d = %.4f, want %.4f (se %.4f)", j, mean[j], mu[j], se)
		}
		for i := range 2 {
			se := math.Sqrt((trueCov[i*2+i]*trueCov[j*2+j] + trueCov[i*2+j]*trueCov[i*2+j]) / n)
			if math.Abs(cov[i*2+j]-trueCov[i*2+j]) > 5*se {
				t.Errorf("sample cov[%d,%d] = %.4f, want %.4f (se %.4f)", i, j, cov[i*2+j], trueCov[i*2+j], se)
			}
		}
	}
	again := make([]float64, 2*n)
	if err := m.Sample(context.Background(), x, n, rand.New(rand.NewPCG(7, 8)), again); err != nil {
		t.Fatal(err)
	}
	for i := range dst {
		if math.Float64bits(dst[i]) != math.Float64bits(again[i]) {
			t.Fatalf("same seed, different sample at %d", i)
		}
	}
}

func TestFitErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x, y := generate(t, rng, 4)
	cases := []struct {
		name  string
		x, y  []float64
		rows  int
		ridge float64
		want  error
	}{
		{"short x", x[:11], y, 4, 0, ErrShape},
		{"negative ridge", x, y, 4, -1, ErrInvalid},
		{"NaN y", x, append(append([]float64(nil), y[:7]...), math.NaN()), 4, 0, ErrInvalid},
		// 4 pairs, 3 slopes + intercept: no residual degrees of freedom.
		{"interpolating", x, y, 4, 0, ErrUnderdetermined},
		{"one pair", x[:3], y[:2], 1, 0, ErrUnderdetermined},
	}
	for _, c := range cases {
		if _, err := FitLinearGaussian(c.x, c.y, c.rows, 3, 2, c.ridge); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Constant x's: singular without a ridge, fine with one.
	flat := make([]float64, 30)
	yy := make([]float64, 20)
	for i := range yy {
		yy[i] = rng.NormFloat64()
	}
	if _, err := FitLinearGaussian(flat, yy, 10, 3, 2, 0); !errors.Is(err, ErrUnderdetermined) {
		t.Errorf("constant x, no ridge: err = %v", err)
	}
	if _, err := FitLinearGaussian(flat, yy, 10, 3, 2, DefaultRidge); err != nil {
		t.Errorf("constant x with ridge: %v", err)
	}
	m, _ := NewLinearGaussian(trueW, trueC, trueCov, 3, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Sample(ctx, []float64{0, 0, 0}, 10, rng, make([]float64, 20)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sample: err = %v", err)
	}
	if err := m.Sample(context.Background(), []float64{0, 0, 0}, 10, rng, make([]float64, 19)); !errors.Is(err, ErrShape) {
		t.Errorf("short dst: err = %v", err)
	}
	if _, err := NewLinearGaussian(trueW, trueC, []float64{1, 2, 2, 1}, 3, 2); !errors.Is(err, ErrInvalid) {
		t.Errorf("indefinite Σ: err = %v", err)
	}
}
