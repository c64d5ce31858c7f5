package gmm

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/points"
)

// twoClusters draws rows from ¼·N((−2, 0), diag(0.25, 1)) + ¾·N((2, 1),
// [[1, 0.6], [0.6, 0.5]]).
func twoClusters(rng *rand.Rand, rows int) points.Set {
	s := points.New(rows, 2)
	for i := range rows {
		r := s.Row(i)
		z0, z1 := rng.NormFloat64(), rng.NormFloat64()
		if rng.Float64() < 0.25 {
			r[0], r[1] = -2+0.5*z0, z1
			continue
		}
		// Cholesky of [[1, 0.6], [0.6, 0.5]]: [[1, 0], [0.6, √0.14]].
		r[0], r[1] = 2+z0, 1+0.6*z0+math.Sqrt(0.14)*z1
	}
	return s
}

func TestFitMarginalRecoversAKnownMixture(t *testing.T) {
	y := twoClusters(testRNG(1), 20000)
	m, err := FitMarginal(context.Background(), y, 2, true, EMOptions{Reg: 1e-9}, testRNG(2))
	if err != nil {
		t.Fatal(err)
	}
	big := 0
	if m.Weights[1] > m.Weights[0] {
		big = 1
	}
	small := 1 - big
	near := func(what string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, want %.4f ± %g", what, got, want, tol)
		}
	}
	near("small weight", m.Weights[small], 0.25, 0.01)
	near("small mean x", m.Means[2*small], -2, 0.02)
	near("big mean y", m.Means[2*big+1], 1, 0.02)
	near("small var x", m.Cov[4*small], 0.25, 0.01)
	near("big cov xy", m.Cov[4*big+1], 0.6, 0.03)
	near("big var y", m.Cov[4*big+3], 0.5, 0.02)
	// The fitted log-likelihood is close to the true density's on the
	// sample (which it cannot beat by more than noise).
	truth := 0.0
	for i := range y.Rows {
		r := y.Row(i)
		a := math.Log(0.25) - math.Log(2*math.Pi*0.5) - 0.5*((r[0]+2)*(r[0]+2)/0.25+r[1]*r[1])
		d0, d1 := r[0]-2, r[1]-1
		// inverse of [[1, .6], [.6, .5]] is [[.5, −.6], [−.6, 1]]/0.14.
		q := (0.5*d0*d0 - 1.2*d0*d1 + d1*d1) / 0.14
		b := math.Log(0.75) - math.Log(2*math.Pi*math.Sqrt(0.14)) - 0.5*q
		truth += math.Max(a, b) + math.Log1p(math.Exp(math.Min(a, b)-math.Max(a, b)))
	}
	truth /= float64(y.Rows)
	if m.LogLik < truth-0.01 || m.LogLik > truth+0.01 {
		t.Errorf("mean log-likelihood %.4f, the true mixture's %.4f", m.LogLik, truth)
	}
}

// TestEMNeverDecreasesTheLikelihood is the monotonicity of EM, for both
// covariance kinds.
func TestEMNeverDecreasesTheLikelihood(t *testing.T) {
	y := twoClusters(testRNG(3), 800)
	for _, full := range []bool{false, true} {
		prev := math.Inf(-1)
		for it := 1; it <= 12; it++ {
			m, err := FitMarginal(context.Background(), y, 4, full, EMOptions{Iterations: it, Tol: 1e-300}, testRNG(4))
			if err != nil {
				t.Fatal(err)
			}
			if m.LogLik < prev-1e-12 {
				t.Fatalf("full %v: log-likelihood fell from %.10f to %.10f at iteration %d", full, prev, m.LogLik, it)
			}
			prev = m.LogLik
		}
	}
}

// TestModelFromMarginalIsTheMarginal: with zero cost heads π(y|x) is the
// potential's mixture for every x, the log-partition is 0 and the loss is
// the marginal's negative log-likelihood of the targets, whatever ε and
// the parametrisation.
func TestModelFromMarginalIsTheMarginal(t *testing.T) {
	y := twoClusters(testRNG(5), 600)
	for _, full := range []bool{false, true} {
		m, err := FitMarginal(context.Background(), y, 3, full, EMOptions{}, testRNG(6))
		if err != nil {
			t.Fatal(err)
		}
		for _, eps := range []float64{0.05, 1, 7} {
			for _, free := range []bool{false, true} {
				spec := energy.Spec{Kind: energy.KindGMM, XDim: 3, YDim: 2, Eps: eps, Potentials: 3, CostComponents: 4,
					FullCov: full, EpsFree: free, CostHidden: []int{5}}
				g, err := NewFromMarginal(spec, m, 0, testRNG(7))
				if err != nil {
					t.Fatal(err)
				}
				rng := testRNG(8)
				for range 5 {
					x, yy := randn(rng, 3, 2), randn(rng, 2, 1.5)
					if got, want := g.LogProb(x, yy), m.LogProb(yy); math.Abs(got-want) > 1e-9 {
						t.Fatalf("full %v ε %v free %v: log π(y|x) = %.12f, marginal %.12f", full, eps, free, got, want)
					}
				}
				b := &energy.Batch{TargetY: y.Data[:200], NTarget: 100, SourceX: randn(rng, 3*50, 1), NSource: 50,
					PairX: randn(rng, 3*20, 1), PairY: y.Data[200:240], NPair: 20}
				grad := make([]float64, len(g.Params()))
				terms, err := g.LossGrad(context.Background(), b, grad, nil)
				if err != nil {
					t.Fatal(err)
				}
				nll := 0.0
				for i := range 100 {
					nll -= m.LogProb(y.Row(i)) / 100
				}
				if math.Abs(terms.LogPartition) > 1e-12 || math.Abs(terms.Paired) > 1e-12 || math.Abs(terms.Total-nll) > 1e-9 {
					t.Fatalf("full %v ε %v free %v: terms %+v, want log Z = 0, paired 0, total %.12f", full, eps, free, terms, nll)
				}
			}
		}
	}
}

// TestEpsFreeFitsDoNotDependOnEps: with ε-free parameters the loss and its
// gradient are the same function of the parameter vector for every ε.
func TestEpsFreeFitsDoNotDependOnEps(t *testing.T) {
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 3, Potentials: 3, CostComponents: 2, EpsFree: true}
	var ref []float64
	var refTerms energy.LossTerms
	var refCost, refPot float64
	x, y := []float64{0.3, -1}, []float64{1, 0, 2}
	for _, eps := range []float64{1, 0.01, 30} {
		spec.Eps = eps
		g, err := New(spec, randn(testRNG(9), 30, 1), 10, testRNG(10))
		if err != nil {
			t.Fatal(err)
		}
		b := testBatch(testRNG(11), spec, 16, 32, 32)
		grad := make([]float64, len(g.Params()))
		terms, err := g.LossGrad(context.Background(), b, grad, nil)
		if err != nil {
			t.Fatal(err)
		}
		// The reported cost and potential carry ε.
		c, f := g.Cost(x, y)/eps, g.Potential(y)/eps
		if ref == nil {
			ref, refTerms, refCost, refPot = grad, terms, c, f
			continue
		}
		if math.Abs(c-refCost) > 1e-12*math.Abs(refCost) || math.Abs(f-refPot) > 1e-12*math.Abs(refPot) {
			t.Errorf("ε %v: c/ε = %v, f/ε = %v; at ε = 1 %v, %v", eps, c, f, refCost, refPot)
		}
		if terms != refTerms {
			t.Errorf("ε %v: terms %+v, at ε = 1 %+v", eps, terms, refTerms)
		}
		for i := range grad {
			if grad[i] != ref[i] {
				t.Fatalf("ε %v: gradient %d = %v, at ε = 1 %v", eps, i, grad[i], ref[i])
			}
		}
	}
}

func TestFitMarginalErrors(t *testing.T) {
	y := twoClusters(testRNG(12), 10)
	if _, err := FitMarginal(context.Background(), y, 6, false, EMOptions{}, testRNG(1)); !errors.Is(err, ErrMarginal) {
		t.Errorf("6 components on 10 rows: %v", err)
	}
	y.Data[3] = math.NaN()
	if _, err := FitMarginal(context.Background(), y, 2, false, EMOptions{}, testRNG(1)); !errors.Is(err, energy.ErrNonFinite) {
		t.Errorf("NaN row: %v", err)
	}
	m, _ := FitMarginal(context.Background(), twoClusters(testRNG(13), 50), 2, false, EMOptions{}, testRNG(1))
	if _, err := NewFromMarginal(energy.Spec{Kind: energy.KindGMM, XDim: 1, YDim: 2, Eps: 1, Potentials: 3, CostComponents: 1}, m, 0.01, testRNG(1)); !errors.Is(err, energy.ErrShape) {
		t.Errorf("3 potentials from a 2-component marginal: %v", err)
	}
}

// TestEMRestartsKeepTheBestRun: the best of several seedings is at least as
// likely as the first one alone.
func TestEMRestartsKeepTheBestRun(t *testing.T) {
	y := twoClusters(testRNG(20), 400)
	one, err := FitMarginal(context.Background(), y, 6, false, EMOptions{}, testRNG(21))
	if err != nil {
		t.Fatal(err)
	}
	four, err := FitMarginal(context.Background(), y, 6, false, EMOptions{Restarts: 4}, testRNG(21))
	if err != nil {
		t.Fatal(err)
	}
	if four.LogLik < one.LogLik {
		t.Errorf("best of four %.6f below the first run's %.6f", four.LogLik, one.LogLik)
	}
	lp := four.LogProbs(y)
	mean := 0.0
	for _, v := range lp {
		mean += v / float64(len(lp))
	}
	if math.Abs(mean-four.LogLik) > 1e-9 || math.Abs(lp[3]-four.LogProb(y.Row(3))) > 1e-12 {
		t.Errorf("LogProbs mean %.12f, LogLik %.12f", mean, four.LogLik)
	}
}
