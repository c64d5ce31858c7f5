package neural

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/energy"
)

// laplaceModel sets the networks so that the conditional is known
// exactly: the cost is zero and f(y) = −a·Σ_d |y_d − μ_d|, written with
// LeakyReLU units as |t| = (leaky(t) + leaky(−t))/(1 − α). Then
// π(y|x) = Π_d Laplace(y_d; μ_d, ε/a) for every x.
func laplaceModel(t *testing.T, mu []float64, a, eps float64, lv energy.Langevin) *Model {
	t.Helper()
	dy := len(mu)
	spec := energy.Spec{Kind: energy.KindNeural, XDim: 1, YDim: dy, Eps: eps, CostHidden: []int{3}, PotentialHidden: []int{2 * dy}, Langevin: &lv}
	n, err := New(spec, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	clear(n.params[:n.cost.numParams()])
	w0, b0 := n.potential.layer(0)
	w1, _ := n.potential.layer(1)
	h := 2 * dy
	for i := n.potential.offset; i < len(n.params); i++ {
		n.params[i] = 0
	}
	alpha := n.spec.LeakySlope
	for d := range dy {
		// units 2d and 2d+1 compute leaky(y_d − μ_d) and leaky(μ_d − y_d).
		n.params[w0+d*h+2*d] = 1
		n.params[w0+d*h+2*d+1] = -1
		n.params[b0+2*d] = -mu[d]
		n.params[b0+2*d+1] = mu[d]
		n.params[w1+2*d] = -a / (1 - alpha)
		n.params[w1+2*d+1] = -a / (1 - alpha)
	}
	return n
}

func laplaceLogDensity(y, mu []float64, scale float64) float64 {
	s := 0.0
	for d := range y {
		s += -math.Log(2*scale) - math.Abs(y[d]-mu[d])/scale
	}
	return s
}

func TestNeuralLaplaceEnergyIsExact(t *testing.T) {
	mu := []float64{0.4, -0.3}
	n := laplaceModel(t, mu, 1.5, 0.5, energy.DefaultLangevin())
	rng := rand.New(rand.NewPCG(2, 2))
	for range 20 {
		x, y := normals(rng, 1), normals(rng, 2)
		want := 1.5 * (math.Abs(y[0]-mu[0]) + math.Abs(y[1]-mu[1])) / 0.5
		if got := n.Energy(x, y); math.Abs(got-want) > 1e-12 {
			t.Fatalf("E = %v, want %v", got, want)
		}
	}
}

// The model's own sampler (graph gradients, parallel blocks) on the
// Laplace model with σ² = η: sample mean and variance against the exact
// ones, μ and 2b² with b = ε/a. The discretisation bias at η = 0.005 (a shift of the variance of order η) is
// well below the sampling tolerance.
func TestNeuralSampleLaplaceMoments(t *testing.T) {
	mu := []float64{0.4, -0.3}
	const a, eps = 1.0, 0.5
	const eta = 0.005
	lv := energy.Langevin{Steps: 1200, StepSize: eta, Noise: math.Sqrt(eta), InitStd: 0.3, BufferSize: 0}
	n := laplaceModel(t, mu, a, eps, lv)
	const count = 1100 // more than two blocks of maxBlockRows
	y := make([]float64, 2*count)
	if err := n.Sample(context.Background(), []float64{0.7}, count, rand.New(rand.NewPCG(3, 3)), y); err != nil {
		t.Fatal(err)
	}
	b := eps / a
	for d := range 2 {
		m, v := 0.0, 0.0
		for i := range count {
			m += y[2*i+d] / count
		}
		for i := range count {
			v += (y[2*i+d] - m) * (y[2*i+d] - m) / (count - 1)
		}
		wantVar := 2 * b * b
		t.Logf("dim %d: mean %.4f (exact %v), variance %.4f (exact %v)", d, m, mu[d], v, wantVar)
		// Laplace: kurtosis 6, so se(var) = √((6−1)/n)·var.
		if seM, seV := math.Sqrt(wantVar/count), math.Sqrt(5.0/count)*wantVar; math.Abs(m-mu[d]) > 4*seM || math.Abs(v-wantVar) > 4*seV {
			t.Errorf("dim %d: mean %v var %v, want %v ± %v and %v ± %v", d, m, v, mu[d], 4*seM, wantVar, 4*seV)
		}
	}
}

// With the default cold sampler the fitted proposal is narrow; the broad
// component and the estimator must still recover the exact log-density.
func TestNeuralLogProbEstimate(t *testing.T) {
	mu := []float64{0.4, -0.3}
	const a, eps = 1.5, 0.5
	n := laplaceModel(t, mu, a, eps, energy.DefaultLangevin())
	rng := rand.New(rand.NewPCG(4, 4))
	for _, y := range [][]float64{{0.4, -0.3}, {1, 0.2}, {-0.5, -1}} {
		got, se, err := n.LogProbEstimate(context.Background(), []float64{0.1}, y, 20000, rng)
		if err != nil {
			t.Fatal(err)
		}
		want := laplaceLogDensity(y, mu, eps/a)
		t.Logf("y = %v: log p ≈ %.4f ± %.4f, exact %.4f", y, got, se, want)
		if se <= 0 || se > 0.05 || math.Abs(got-want) > 4*se+1e-3 {
			t.Errorf("y = %v: log p ≈ %v ± %v, exact %v", y, got, se, want)
		}
	}
	if _, _, err := n.LogProbEstimate(context.Background(), []float64{0.1}, []float64{1}, 100, rng); err == nil {
		t.Error("short y: no error")
	}
	if _, _, err := n.LogProbEstimate(context.Background(), []float64{0.1}, mu, 1, rng); err == nil {
		t.Error("one sample: no error")
	}
}
