package gmm

import (
	"context"
	"math"
	"testing"

	"github.com/ebieot/ebieot/energy"
)

// lightSBMarginal is a 2-component mixture v in 2-D with diagonal
// covariances ε·S_n (docs/method.md §9.3's notation).
func lightSBMarginal(eps float64) (*Marginal, [][]float64) {
	S := [][]float64{{0.5, 2}, {1.5, 0.3}}
	mg := &Marginal{Dim: 2, Weights: []float64{0.3, 0.7}, Means: []float64{-1, 0.5, 2, -1}, Cov: make([]float64, 4)}
	for n := range 2 {
		for d := range 2 {
			mg.Cov[n*2+d] = eps * S[n][d]
		}
	}
	return mg, S
}

func fixedModel(t *testing.T, cost string, eps float64, mg *Marginal) *Model {
	t.Helper()
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: eps, Potentials: 2, CostComponents: 1, Cost: cost}
	g, err := NewFromMarginal(spec, mg, 0, testRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestQuadraticCostConditionalIsLightSBs: with c = ½‖x−y‖² and f = ε·log v,
// π(y|x) is the mixture with weights ∝ w_n N(x | r_n, ε(I + S_n)), means
// (I + S_n⁻¹)⁻¹(x + S_n⁻¹ r_n) and covariances ε(I + S_n⁻¹)⁻¹, and
// log Z(x) = (D/2)·log(2πε) + log Σ_n w_n N(x | r_n, ε(I + S_n)).
func TestQuadraticCostConditionalIsLightSBs(t *testing.T) {
	for _, eps := range []float64{0.3, 1, 4} {
		mg, S := lightSBMarginal(eps)
		g := fixedModel(t, energy.CostQuadratic, eps, mg)
		rng := testRNG(2)
		offset := math.NaN() // log Z up to the potential's dropped constant
		for range 4 {
			x := randn(rng, 2, 1.5)
			// The closed form (log Z includes the constant that the
			// potential's normalisation drops, so compare it up to that).
			logw := make([]float64, 2)
			want := &energy.Mixture{Dim: 2, LogWeights: logw, Means: make([]float64, 4), CovIndex: []int{0, 1}, Var: make([]float64, 4)}
			logZ := math.Log(2 * math.Pi * eps) // (D/2) log 2πε with D = 2
			terms := make([]float64, 2)
			for n := range 2 {
				lw := math.Log(mg.Weights[n])
				for d := range 2 {
					r, s := mg.Means[n*2+d], S[n][d]
					v := eps * (1 + s)
					lw += -0.5*math.Log(2*math.Pi*v) - 0.5*(x[d]-r)*(x[d]-r)/v
					k := 1 / (1 + 1/s)
					want.Means[n*2+d] = k * (x[d] + r/s)
					want.Var[n*2+d] = eps * k
				}
				logw[n], terms[n] = lw, lw
			}
			lse := math.Log(math.Exp(terms[0]) + math.Exp(terms[1]))
			logZ += lse
			logw[0] -= lse
			logw[1] -= lse
			if math.IsNaN(offset) {
				offset = g.LogPartition(x) - logZ
			}
			if got := g.LogPartition(x) - offset; math.Abs(got-logZ) > 1e-10 {
				t.Errorf("ε %v x %v: log Z %.12f, closed form %.12f (same constant as the first x)", eps, x, got, logZ)
			}
			for range 5 {
				y := randn(rng, 2, 2)
				if got, w := g.LogProb(x, y), want.LogProb(y); math.Abs(got-w) > 1e-10 {
					t.Errorf("ε %v: log π(y|x) %.12f, closed form %.12f", eps, got, w)
				}
				// f and c as defined, through their exponent.
				if got, w := (g.Potential(y)-g.Cost(x, y))/eps-g.LogPartition(x), g.LogProb(x, y); math.Abs(got-w) > 1e-9 {
					t.Errorf("ε %v: (f − c)/ε − log Z = %.12f, log π = %.12f", eps, got, w)
				}
				if c, w := g.Cost(x, y), 0.5*((x[0]-y[0])*(x[0]-y[0])+(x[1]-y[1])*(x[1]-y[1])); c != w {
					t.Errorf("cost %v, want %v", c, w)
				}
				// f = ε·log v up to a constant, which π does not see.
				y2 := []float64{y[1], -y[0]}
				if f, w := g.Potential(y)-g.Potential(y2), eps*(mg.LogProb(y)-mg.LogProb(y2)); math.Abs(f-w) > 1e-9 {
					t.Errorf("potential difference %.12f, ε·log v difference %.12f", f, w)
				}
			}
		}
	}
}

// TestInnerCostNormalisesByQuadrature: with c = −⟨x,y⟩ the conditional
// exp((f − c)/ε − log Z) integrates to one.
func TestInnerCostNormalisesByQuadrature(t *testing.T) {
	eps := 0.7
	mg, _ := lightSBMarginal(eps)
	g := fixedModel(t, energy.CostInner, eps, mg)
	x := []float64{0.4, -0.3}
	if c := g.Cost(x, []float64{2, 1}); math.Abs(c-(-0.5)) > 1e-12 {
		t.Errorf("inner cost %v, want −⟨x, y⟩ = −0.5", c)
	}
	lo, hi, h := gridFor(t, g.Conditional(x))
	sum := 0.0
	lz := g.LogPartition(x)
	for y0 := lo[0]; y0 <= hi[0]; y0 += h {
		for y1 := lo[1]; y1 <= hi[1]; y1 += h {
			y := []float64{y0, y1}
			sum += math.Exp((g.Potential(y)-g.Cost(x, y))/eps - lz)
		}
	}
	if math.Abs(sum*h*h-1) > 1e-7 {
		t.Errorf("∫ π(y|x) dy = %.10f", sum*h*h)
	}
}

// TestFixedCostGradientMatchesFiniteDifferences: the potential is the only
// trainable part, and pairs are optional.
func TestFixedCostGradientMatchesFiniteDifferences(t *testing.T) {
	for _, cost := range []string{energy.CostQuadratic, energy.CostInner} {
		for _, full := range []bool{false, true} {
			spec := energy.Spec{Kind: energy.KindGMM, XDim: 3, YDim: 3, Eps: 0.8, Potentials: 3, CostComponents: 1, Cost: cost, FullCov: full}
			g, err := New(spec, randn(testRNG(3), 30, 1), 10, testRNG(4))
			if err != nil {
				t.Fatal(err)
			}
			p := g.Params()
			for i := range p {
				p[i] += 0.1 * testRNG(uint64(i)).NormFloat64()
			}
			for _, pairs := range []int{0, 4} {
				b := testBatch(testRNG(5), spec, pairs, 6, 7)
				grad := make([]float64, len(p))
				if _, err := g.LossGrad(context.Background(), b, grad, nil); err != nil {
					t.Fatal(err)
				}
				loss := func() float64 {
					terms, err := g.LossGrad(context.Background(), b, make([]float64, len(p)), nil)
					if err != nil {
						t.Fatal(err)
					}
					return terms.Total
				}
				for i := range p {
					orig := p[i]
					h := 1e-5
					p[i] = orig + h
					up := loss()
					p[i] = orig - h
					down := loss()
					p[i] = orig
					fd := (up - down) / (2 * h)
					if math.Abs(fd-grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
						t.Fatalf("%s full %v pairs %d: ∂L/∂%s[%d] = %.10g, finite difference %.10g", cost, full, pairs, g.blockName(i), i, grad[i], fd)
					}
				}
			}
			for _, b := range g.Blocks() {
				if b.Role == energy.RoleCost {
					t.Errorf("%s: fixed cost has a cost block %q", cost, b.Name)
				}
			}
		}
	}
}

func TestFixedCostSpecErrors(t *testing.T) {
	for _, bad := range []energy.Spec{
		{Kind: energy.KindGMM, XDim: 2, YDim: 3, Eps: 1, Potentials: 1, CostComponents: 1, Cost: energy.CostQuadratic},
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 1, CostComponents: 2, Cost: energy.CostInner},
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 1, CostComponents: 1, Cost: energy.CostQuadratic, EpsFree: true},
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 1, CostComponents: 1, Cost: "l1"},
	} {
		if _, err := New(bad, []float64{0, 0, 0}, 1, testRNG(1)); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestQuadraticFullCovarianceTiltMatchesDiagonal: the full-covariance tilt
// agrees with the diagonal one on a diagonal mixture.
func TestQuadraticFullCovarianceTiltMatchesDiagonal(t *testing.T) {
	eps := 0.6
	diag, _ := lightSBMarginal(eps)
	full := &Marginal{Dim: 2, Full: true, Weights: diag.Weights, Means: diag.Means, Cov: make([]float64, 8)}
	for n := range 2 {
		full.Cov[n*4], full.Cov[n*4+3] = diag.Cov[n*2], diag.Cov[n*2+1]
	}
	a, b := fixedModel(t, energy.CostQuadratic, eps, diag), func() *Model {
		spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: eps, Potentials: 2, CostComponents: 1, Cost: energy.CostQuadratic, FullCov: true}
		g, err := NewFromMarginal(spec, full, 0, testRNG(1))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}()
	rng := testRNG(9)
	for range 10 {
		x, y := randn(rng, 2, 1), randn(rng, 2, 1)
		if u, v := a.LogProb(x, y), b.LogProb(x, y); math.Abs(u-v) > 1e-10 {
			t.Fatalf("diag %.12f, full %.12f", u, v)
		}
	}
}
