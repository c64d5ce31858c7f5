package gmm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/kernels"
)

func testRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func randn(rng *rand.Rand, n int, std float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = std * rng.NormFloat64()
	}
	return v
}

// testGMM returns a GMM for spec whose parameters are all moved away from
// their initial values, so that every gradient entry is generic (no zero
// heads, unequal weights, A_n far from AInit, off-diagonal factors).
func testGMM(t testing.TB, spec energy.Spec, seed uint64) *Model {
	t.Helper()
	rng := testRNG(seed)
	const nTargets = 40
	g, err := New(spec, randn(rng, nTargets*spec.YDim, 1), nTargets, rng)
	if err != nil {
		t.Fatalf("NewGMM: %v", err)
	}
	p := g.Params()
	for _, b := range g.Blocks() {
		seg := p[b.Offset : b.Offset+b.Len]
		switch {
		case strings.HasSuffix(b.Name, ".weight"):
			std := 0.8 / math.Sqrt(float64(b.Cols))
			for i := range seg {
				seg[i] = std * rng.NormFloat64()
			}
		case strings.HasSuffix(b.Name, ".bias"), b.Name == "raw_w":
			for i := range seg {
				seg[i] = 0.5 * rng.NormFloat64()
			}
		case b.Name == "a":
			for i := range seg {
				seg[i] += 0.3 * rng.NormFloat64()
			}
		case b.Name == "raw_A":
			for i := range seg {
				seg[i] = softplusInv(0.2 + 0.8*rng.Float64())
			}
		case b.Name == "chol":
			D := spec.YDim
			for n := 0; n < spec.Potentials; n++ {
				for i := 0; i < D; i++ {
					for j := 0; j <= i; j++ {
						v := 0.25 * rng.NormFloat64()
						if i == j {
							v = softplusInv(0.5 + 0.5*rng.Float64())
						}
						seg[n*packedLen(D)+packedLen(i)+j] = v
					}
				}
			}
		}
	}
	return g
}

func testBatch(rng *rand.Rand, spec energy.Spec, nPair, nSource, nTarget int) *energy.Batch {
	return &energy.Batch{
		PairX: randn(rng, nPair*spec.XDim, 1), PairY: randn(rng, nPair*spec.YDim, 1), NPair: nPair,
		SourceX: randn(rng, nSource*spec.XDim, 1), NSource: nSource,
		TargetY: randn(rng, nTarget*spec.YDim, 1), NTarget: nTarget,
	}
}

var testSpecs = []struct {
	name string
	spec energy.Spec
}{
	{"diag-linear", energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 0.5, Potentials: 3, CostComponents: 2}},
	{"diag-mlp", energy.Spec{Kind: energy.KindGMM, XDim: 3, YDim: 2, Eps: 0.7, Potentials: 3, CostComponents: 3, CostHidden: []int{5, 4}, WeightHidden: []int{3}}},
	{"diag-linear-3d", energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 3, Eps: 0.6, Potentials: 3, CostComponents: 2}},
	{"full-mlp", energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 0.5, Potentials: 2, CostComponents: 3, CostHidden: []int{4}, FullCov: true}},
	{"full-linear-3d", energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 3, Eps: 0.8, Potentials: 2, CostComponents: 2, FullCov: true}},
}

// TestLogPartitionMatchesQuadrature integrates exp((f(y) − c(x,y))/ε) on a
// 2-D grid fine enough for the Riemann sum of these Gaussians to be exact
// to rounding (spacing σ_min/6; the spectral error is below e^(−2π²·36))
// and wide enough (±12σ) that the tails are negligible, and compares with
// the closed form to 1e-8 relative. The same grid checks that the
// conditional density integrates to 1 and that its first moment is the
// conditional mean.
func TestGMMLogPartitionMatchesQuadrature(t *testing.T) {
	for _, tc := range testSpecs {
		if tc.spec.YDim != 2 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			g := testGMM(t, tc.spec, 1)
			rng := testRNG(2)
			for trial := 0; trial < 2; trial++ {
				x := randn(rng, tc.spec.XDim, 1)
				logZ := g.LogPartition(x)
				lo, hi, h := gridFor(t, g.Conditional(x))
				var ys []float64
				for y0 := lo[0]; y0 <= hi[0]; y0 += h {
					for y1 := lo[1]; y1 <= hi[1]; y1 += h {
						ys = append(ys, y0, y1)
					}
				}
				rows := len(ys) / 2
				// Unnormalised integrand from f and c directly.
				p := g.newPotential()
				logv, b := g.heads(x, 1)
				sc := newRowScratch(p)
				sumZ := 0.0
				for i := 0; i < rows; i++ {
					y := ys[2*i : 2*i+2]
					sumZ += math.Exp(p.logPotential(y, &sc.pot) + p.logCost(logv, b, y, sc) - logZ)
				}
				if rel := math.Abs(sumZ*h*h - 1); rel > 1e-8 {
					t.Errorf("x=%v: quadrature Z / closed-form Z − 1 = %.3g (grid %d points)", x, rel, rows)
				}
				// The normalised conditional via the public batch API.
				xs := make([]float64, rows*tc.spec.XDim)
				for i := 0; i < rows; i++ {
					copy(xs[i*tc.spec.XDim:], x)
				}
				lp := make([]float64, rows)
				if err := g.LogProbBatch(context.Background(), xs, ys, rows, lp); err != nil {
					t.Fatal(err)
				}
				mass, m0, m1 := 0.0, 0.0, 0.0
				for i, l := range lp {
					d := math.Exp(l) * h * h
					mass += d
					m0 += d * ys[2*i]
					m1 += d * ys[2*i+1]
				}
				if math.Abs(mass-1) > 1e-8 {
					t.Errorf("x=%v: ∫π(y|x)dy = %.12f", x, mass)
				}
				mean := make([]float64, 2)
				g.ConditionalMean(x, mean)
				if math.Abs(mean[0]-m0) > 1e-8 || math.Abs(mean[1]-m1) > 1e-8 {
					t.Errorf("x=%v: conditional mean %v, quadrature %v", x, mean, []float64{m0, m1})
				}
			}
		})
	}
}

// gridFor returns a box covering every component of mx to ±12 standard
// deviations and a spacing of a sixth of the smallest one.
func gridFor(t *testing.T, mx *energy.Mixture) (lo, hi []float64, h float64) {
	t.Helper()
	D := mx.Dim
	lo, hi = []float64{math.Inf(1), math.Inf(1)}, []float64{math.Inf(-1), math.Inf(-1)}
	h = math.Inf(1)
	cov := make([]float64, D*D)
	for k := 0; k < mx.Len(); k++ {
		one := &energy.Mixture{Dim: D, LogWeights: []float64{0}, Means: mx.Means[k*D : (k+1)*D], CovIndex: []int{mx.CovIndex[k]}, Var: mx.Var, Chol: mx.Chol}
		one.Covariance(cov)
		for d := 0; d < D; d++ {
			sd := math.Sqrt(cov[d*D+d])
			lo[d] = math.Min(lo[d], one.Means[d]-12*sd)
			hi[d] = math.Max(hi[d], one.Means[d]+12*sd)
		}
		// The smallest standard deviation in any direction: the smallest
		// eigenvalue of a 2 × 2 covariance.
		tr, det := cov[0]+cov[3], cov[0]*cov[3]-cov[1]*cov[2]
		minEig := tr/2 - math.Sqrt(tr*tr/4-det)
		h = math.Min(h, math.Sqrt(minEig)/6)
	}
	if (hi[0]-lo[0])*(hi[1]-lo[1])/(h*h) > 4e6 {
		t.Fatalf("quadrature grid too large: box %v–%v, spacing %v", lo, hi, h)
	}
	return lo, hi, h
}

// TestConditionalMixtureMatchesLogProb checks that the explicit mixture of
// Conditional, scored component by component, is the density LogProb
// computes from f, c and log Z.
func TestGMMConditionalMixtureMatchesLogProb(t *testing.T) {
	for _, tc := range testSpecs {
		t.Run(tc.name, func(t *testing.T) {
			g := testGMM(t, tc.spec, 3)
			rng := testRNG(4)
			for i := 0; i < 5; i++ {
				x := randn(rng, tc.spec.XDim, 1)
				y := randn(rng, tc.spec.YDim, 1)
				mx := g.Conditional(x)
				if mx.Len() != tc.spec.Potentials*tc.spec.CostComponents {
					t.Fatalf("mixture has %d components", mx.Len())
				}
				a, b := g.LogProb(x, y), mx.LogProb(y)
				if math.Abs(a-b) > 1e-10*math.Max(1, math.Abs(a)) {
					t.Errorf("LogProb %v, mixture %v", a, b)
				}
			}
		})
	}
}

// TestSampleMoments compares sample means and covariances of exact draws
// with the mixture's exact moments, within 5 standard errors (each
// estimated from the same samples); fixed seeds.
func TestGMMSampleMoments(t *testing.T) {
	const n = 100000
	for _, tc := range testSpecs {
		t.Run(tc.name, func(t *testing.T) {
			g := testGMM(t, tc.spec, 5)
			D := tc.spec.YDim
			x := randn(testRNG(6), tc.spec.XDim, 1)
			mx := g.Conditional(x)
			mean, cov := make([]float64, D), make([]float64, D*D)
			mx.Mean(mean)
			mx.Covariance(cov)

			ys := make([]float64, n*D)
			if err := g.Sample(context.Background(), x, n, testRNG(7), ys); err != nil {
				t.Fatal(err)
			}
			checkMoments(t, "Sample", ys, n, mean, cov)

			xs := make([]float64, n*tc.spec.XDim)
			for i := 0; i < n; i++ {
				copy(xs[i*tc.spec.XDim:], x)
			}
			if err := g.SampleBatch(context.Background(), xs, n, testRNG(8), ys); err != nil {
				t.Fatal(err)
			}
			checkMoments(t, "SampleBatch", ys, n, mean, cov)
		})
	}
}

func checkMoments(t *testing.T, what string, ys []float64, n int, mean, cov []float64) {
	t.Helper()
	D := len(mean)
	for d := 0; d < D; d++ {
		s := 0.0
		for i := 0; i < n; i++ {
			s += ys[i*D+d]
		}
		m := s / float64(n)
		se := math.Sqrt(cov[d*D+d] / float64(n))
		if math.Abs(m-mean[d]) > 5*se {
			t.Errorf("%s: mean[%d] = %.5f, exact %.5f (5 s.e. = %.2g)", what, d, m, mean[d], 5*se)
		}
	}
	for i := 0; i < D; i++ {
		for j := 0; j <= i; j++ {
			var s, s2 float64
			for k := 0; k < n; k++ {
				v := (ys[k*D+i] - mean[i]) * (ys[k*D+j] - mean[j])
				s += v
				s2 += v * v
			}
			c := s / float64(n)
			se := math.Sqrt((s2/float64(n) - c*c) / float64(n))
			if math.Abs(c-cov[i*D+j]) > 5*se {
				t.Errorf("%s: cov[%d,%d] = %.5f, exact %.5f (5 s.e. = %.2g)", what, i, j, c, cov[i*D+j], 5*se)
			}
		}
	}
}

// TestLossGradMatchesFiniteDifferences compares every entry of the
// analytic gradient with a fourth-order central difference of Total
// (truncation ~h⁴, rounding ~1e-16·|L|/h ≈ 1e-12 at h = 1e-4) to 1e-6
// relative. Covers linear and MLP heads, diagonal and full A_n, and
// batches with an empty stream.
func TestGMMLossGradMatchesFiniteDifferences(t *testing.T) {
	ctx := context.Background()
	for _, tc := range testSpecs {
		for _, counts := range [][3]int{{3, 4, 5}, {0, 3, 2}, {2, 0, 0}} {
			name := tc.name
			if counts[0] == 0 {
				name += "-no-pairs"
			} else if counts[1] == 0 {
				name += "-pairs-only"
			}
			t.Run(name, func(t *testing.T) {
				g := testGMM(t, tc.spec, 11)
				b := testBatch(testRNG(12), tc.spec, counts[0], counts[1], counts[2])
				p := g.Params()
				grad := make([]float64, len(p))
				if _, err := g.LossGrad(ctx, b, grad, nil); err != nil {
					t.Fatal(err)
				}
				scratch := make([]float64, len(p))
				loss := func() float64 {
					terms, err := g.LossGrad(ctx, b, scratch, nil)
					if err != nil {
						t.Fatal(err)
					}
					return terms.Total
				}
				const h = 1e-4
				worst := 0.0
				for i := range p {
					orig := p[i]
					at := func(d float64) float64 { p[i] = orig + d; return loss() }
					fd := (8*(at(h)-at(-h)) - (at(2*h) - at(-2*h))) / (12 * h)
					p[i] = orig
					scale := math.Max(math.Abs(fd), math.Abs(grad[i]))
					err := math.Abs(fd - grad[i])
					if err > 1e-6*scale+1e-10 {
						t.Errorf("∂L/∂%s[%d]: analytic %.10g, finite difference %.10g", g.blockName(i), i, grad[i], fd)
					}
					if scale > 1e-6 {
						worst = math.Max(worst, err/scale)
					}
				}
				t.Logf("%d parameters, worst relative error %.2g", len(p), worst)
			})
		}
	}
}

// TestLossTermsMatchDefinitions recomputes the three terms from the public
// Cost, Potential and LogPartition.
func TestGMMLossTermsMatchDefinitions(t *testing.T) {
	for _, tc := range testSpecs {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			g := testGMM(t, spec, 13)
			b := testBatch(testRNG(14), spec, 4, 5, 6)
			terms, err := g.LossGrad(context.Background(), b, make([]float64, len(g.Params())), nil)
			if err != nil {
				t.Fatal(err)
			}
			dx, dy, eps := spec.XDim, spec.YDim, spec.Eps
			var paired, target, logZ float64
			for i := 0; i < b.NPair; i++ {
				paired += g.Cost(b.PairX[i*dx:(i+1)*dx], b.PairY[i*dy:(i+1)*dy]) / eps / float64(b.NPair)
			}
			for i := 0; i < b.NTarget; i++ {
				target += g.Potential(b.TargetY[i*dy:(i+1)*dy]) / eps / float64(b.NTarget)
			}
			for i := 0; i < b.NSource; i++ {
				logZ += g.LogPartition(b.SourceX[i*dx:(i+1)*dx]) / float64(b.NSource)
			}
			want := energy.LossTerms{Paired: paired, Target: target, LogPartition: logZ, Total: paired - target + logZ}
			for _, c := range [][3]any{{"paired", terms.Paired, want.Paired}, {"target", terms.Target, want.Target},
				{"log-partition", terms.LogPartition, want.LogPartition}, {"total", terms.Total, want.Total}} {
				got, exp := c[1].(float64), c[2].(float64)
				if math.Abs(got-exp) > 1e-12*math.Max(1, math.Abs(exp)) {
					t.Errorf("%s = %.15g, from the definitions %.15g", c[0], got, exp)
				}
			}
		})
	}
}

// TestLossGradDeterministic checks bit-identical terms and gradients on
// repeated calls and across thread counts, on a batch big enough to be
// split into many blocks.
func TestGMMLossGradDeterministic(t *testing.T) {
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 3, YDim: 4, Eps: 0.3, Potentials: 6, CostComponents: 5, CostHidden: []int{8}}
	g := testGMM(t, spec, 15)
	b := testBatch(testRNG(16), spec, 70, 150, 130)
	run := func(procs int) (energy.LossTerms, []float64) {
		g.SetThreads(procs)
		grad := make([]float64, len(g.Params()))
		terms, err := g.LossGrad(context.Background(), b, grad, nil)
		if err != nil {
			t.Fatal(err)
		}
		return terms, grad
	}
	t1, g1 := run(1)
	for _, procs := range []int{1, 2, 3, 8} {
		t2, g2 := run(procs)
		if t1 != t2 {
			t.Errorf("%d threads: terms %+v, with 1 thread %+v", procs, t2, t1)
		}
		for i := range g1 {
			if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
				t.Fatalf("%d threads: gradient[%d] = %v, with 1 thread %v", procs, i, g2[i], g1[i])
			}
		}
	}
}

// TestSampleBatchIndependentOfThreads checks that the batch sampler's output
// depends on the seed only.
func TestGMMSampleBatchIndependentOfThreads(t *testing.T) {
	spec := testSpecs[2].spec
	g := testGMM(t, spec, 17)
	const rows = 300
	xs := randn(testRNG(18), rows*spec.XDim, 1)
	draw := func(procs int) []float64 {
		g.SetThreads(procs)
		ys := make([]float64, rows*spec.YDim)
		if err := g.SampleBatch(context.Background(), xs, rows, testRNG(19), ys); err != nil {
			t.Fatal(err)
		}
		return ys
	}
	a, b := draw(1), draw(2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample value %d: %v with 1 thread, %v with 2", i, a[i], b[i])
		}
	}
}

// TestSmallEpsilonHighDimensionStable runs the weather shape's extreme
// (ε = 0.01, Dy = 94) with large tilts, tiny and huge A_n, and checks that
// everything stays finite and that the density still matches its mixture
// form.
func TestGMMSmallEpsilonHighDimensionStable(t *testing.T) {
	for _, full := range []bool{false, true} {
		spec := energy.Spec{Kind: energy.KindGMM, XDim: 20, YDim: 94, Eps: 0.01, Potentials: 4, CostComponents: 3, CostHidden: []int{16}, WeightHidden: []int{4}, FullCov: full}
		g := testGMM(t, spec, 21)
		p := g.Params()
		// Push the b head to large slopes and raw A to extremes.
		for _, blk := range g.Blocks() {
			seg := p[blk.Offset : blk.Offset+blk.Len]
			switch blk.Name {
			case "b.out.weight":
				for i := range seg {
					seg[i] *= 30
				}
			case "raw_A":
				for i := range seg {
					seg[i] = []float64{-30, 0, 30}[i%3]
				}
			}
		}
		b := testBatch(testRNG(22), spec, 8, 8, 8)
		grad := make([]float64, len(p))
		terms, err := g.LossGrad(context.Background(), b, grad, nil)
		if err != nil {
			t.Fatalf("full=%v: %v", full, err)
		}
		for i, v := range grad {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("full=%v: gradient[%d] (%s) = %v (terms %+v)", full, i, g.blockName(i), v, terms)
			}
		}
		x, y := b.SourceX[:spec.XDim], b.TargetY[:spec.YDim]
		a, m := g.LogProb(x, y), g.Conditional(x).LogProb(y)
		if math.IsNaN(a) || math.Abs(a-m) > 1e-8*math.Max(1, math.Abs(a)) {
			t.Errorf("full=%v: LogProb %v, mixture %v", full, a, m)
		}
		ys := make([]float64, 3*spec.YDim)
		if err := g.Sample(context.Background(), x, 3, testRNG(23), ys); err != nil {
			t.Fatal(err)
		}
		for _, v := range ys {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("full=%v: sample %v", full, v)
			}
		}
	}
}

// TestReducesToLightSB sets M = 1 (so log v ≡ 0) and b(x) = x: the cost is
// −⟨x, y⟩ and the model must be LightSB, whose formulas the test evaluates
// independently: with the unnormalised potential
// v(y) = Σ_k α_k N(y | r_k, εS_k), c(x) = ∫ exp(⟨x,y⟩/ε) v(y) dy =
// Σ_k α_k exp(⟨r_k,x⟩/ε + xᵀS_k x/(2ε)) by the Gaussian moment generating
// function, the LightSB loss is mean_x log c(x) − mean_y log v(y), and
// π(y|x) = Σ_k α̃_k(x) N(y | r_k + S_k x, εS_k).
func TestGMMReducesToLightSB(t *testing.T) {
	const D, K, eps = 2, 4, 0.4
	spec := energy.Spec{Kind: energy.KindGMM, XDim: D, YDim: D, Eps: eps, Potentials: K, CostComponents: 1}
	g := testGMM(t, spec, 31)
	p := g.Params()
	var alpha, r, S []float64
	for _, blk := range g.Blocks() {
		seg := p[blk.Offset : blk.Offset+blk.Len]
		switch blk.Name {
		case "b.out.weight": // identity: b(x) = x
			clear(seg)
			for d := 0; d < D; d++ {
				seg[d*D+d] = 1
			}
		case "b.out.bias":
			clear(seg)
		case "raw_w":
			lse := 0.0
			for _, v := range seg {
				lse += math.Exp(v)
			}
			for _, v := range seg {
				alpha = append(alpha, math.Exp(v)/lse)
			}
		case "a":
			r = append(r, seg...)
		case "raw_A":
			for _, v := range seg {
				S = append(S, math.Log1p(math.Exp(v)))
			}
		}
	}
	gauss := func(y, mean, variance []float64) float64 { // diagonal normal density
		dens := 1.0
		for d := range y {
			dens *= math.Exp(-(y[d]-mean[d])*(y[d]-mean[d])/(2*variance[d])) / math.Sqrt(2*math.Pi*variance[d])
		}
		return dens
	}
	logV := func(y []float64) float64 {
		s := 0.0
		for k := 0; k < K; k++ {
			variance := []float64{eps * S[k*D], eps * S[k*D+1]}
			s += alpha[k] * gauss(y, r[k*D:(k+1)*D], variance)
		}
		return math.Log(s)
	}
	tilt := func(x []float64, k int) float64 { // log of the k-th term of c(x) without α_k
		s := 0.0
		for d := 0; d < D; d++ {
			s += r[k*D+d]*x[d]/eps + S[k*D+d]*x[d]*x[d]/(2*eps)
		}
		return s
	}
	logC := func(x []float64) float64 {
		s := 0.0
		for k := 0; k < K; k++ {
			s += alpha[k] * math.Exp(tilt(x, k))
		}
		return math.Log(s)
	}
	condDensity := func(x, y []float64) float64 {
		c := math.Exp(logC(x))
		s := 0.0
		for k := 0; k < K; k++ {
			mean := []float64{r[k*D] + S[k*D]*x[0], r[k*D+1] + S[k*D+1]*x[1]}
			variance := []float64{eps * S[k*D], eps * S[k*D+1]}
			s += alpha[k] * math.Exp(tilt(x, k)) / c * gauss(y, mean, variance)
		}
		return s
	}

	rng := testRNG(32)
	b := testBatch(rng, spec, 0, 6, 7)
	terms, err := g.LossGrad(context.Background(), b, make([]float64, len(p)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wantLogZ, wantTarget float64
	for i := 0; i < b.NSource; i++ {
		wantLogZ += logC(b.SourceX[i*D:(i+1)*D]) / float64(b.NSource)
	}
	for i := 0; i < b.NTarget; i++ {
		wantTarget += logV(b.TargetY[i*D:(i+1)*D]) / float64(b.NTarget)
	}
	close := func(what string, got, want float64) {
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.15g, LightSB %.15g", what, got, want)
		}
	}
	close("log-partition term", terms.LogPartition, wantLogZ)
	close("target term", terms.Target, wantTarget)
	close("paired term", terms.Paired, 0)
	close("loss", terms.Total, wantLogZ-wantTarget)
	for i := 0; i < 5; i++ {
		x, y := randn(rng, D, 1), randn(rng, D, 1)
		close("cost", g.Cost(x, y), -(x[0]*y[0] + x[1]*y[1]))
		close("log π(y|x)", g.LogProb(x, y), math.Log(condDensity(x, y)))
	}
}

// TestRepresentsGaussianEntropicPlan builds the entropic OT plan between
// N(μx, diag σx²) and N(μy, diag σy²) for the cost ½‖x − y‖² in closed form
// and sets an N = M = 1 linear diagonal model to its conditional by hand.
//
// Per coordinate the plan is a bivariate Gaussian with cross-covariance c;
// its density is ∝ exp((φ(x) + ψ(y) − ½(x − y)²)/ε), so the xy entry of the
// precision matrix, −c/(σx²σy² − c²), equals −1/ε: c = (√(ε² + 4σx²σy²) − ε)/2.
// The conditional is N(μy + (c/σx²)(x − μx), σy² − c²/σx²). The model's is
// N(a + A·b(x), εA): A = (σy² − c²/σx²)/ε, b(x) = W x with W = c/(σx² A),
// which the closed form makes exactly 1, i.e. the cost −⟨x, y⟩ up to terms
// in y alone, and a = μy − A·W·μx. (The b head's bias is centred over the M
// tilts, so with M = 1 it is identically zero and a carries the offset.)
func TestGMMRepresentsGaussianEntropicPlan(t *testing.T) {
	const D, eps = 2, 0.3
	mux, muy := []float64{0.5, -1}, []float64{2, 0.3}
	sx2, sy2 := []float64{1.5, 0.4}, []float64{0.8, 2.5}
	spec := energy.Spec{Kind: energy.KindGMM, XDim: D, YDim: D, Eps: eps, Potentials: 1, CostComponents: 1}
	g, err := New(spec, muy, 1, testRNG(41))
	if err != nil {
		t.Fatal(err)
	}
	p := g.Params()
	blk := map[string][]float64{}
	for _, b := range g.Blocks() {
		blk[b.Name] = p[b.Offset : b.Offset+b.Len]
	}
	cond := make([][2]float64, D) // slope and variance of the exact conditional
	for d := 0; d < D; d++ {
		c := (math.Sqrt(eps*eps+4*sx2[d]*sy2[d]) - eps) / 2
		slope, variance := c/sx2[d], sy2[d]-c*c/sx2[d]
		cond[d] = [2]float64{slope, variance}
		A := variance / eps
		W := slope / A
		if math.Abs(W-1) > 1e-12 {
			t.Errorf("coordinate %d: tilt slope %v, the closed form says 1", d, W)
		}
		blk["raw_A"][d] = softplusInv(A)
		blk["a"][d] = muy[d] - A*W*mux[d]
		for j := 0; j < D; j++ {
			blk["b.out.weight"][d*D+j] = 0
		}
		blk["b.out.weight"][d*D+d] = W
		blk["b.out.bias"][d] = 17 // ignored: centred away
	}
	rng := testRNG(42)
	for i := 0; i < 20; i++ {
		x, y := randn(rng, D, 1.5), randn(rng, D, 1.5)
		want := 0.0
		for d := 0; d < D; d++ {
			mean := muy[d] + cond[d][0]*(x[d]-mux[d])
			want += -0.5*math.Log(2*math.Pi*cond[d][1]) - (y[d]-mean)*(y[d]-mean)/(2*cond[d][1])
		}
		if got := g.LogProb(x, y); math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("log π(%v | %v) = %.15g, exact %.15g", y, x, got, want)
		}
	}
}

func TestGMMNewInitialisation(t *testing.T) {
	const nTargets = 30
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 3, YDim: 2, Eps: 1, Potentials: 10, CostComponents: 4, CostHidden: []int{6}}
	targets := randn(testRNG(51), nTargets*2, 1)
	g, err := New(spec, targets, nTargets, testRNG(52))
	if err != nil {
		t.Fatal(err)
	}
	p := g.Params()
	blk := map[string]energy.ParamBlock{}
	next := 0
	for _, b := range g.Blocks() {
		blk[b.Name] = b
		if b.Offset != next || b.Len <= 0 || (b.Rows != 0 && b.Rows*b.Cols != b.Len) {
			t.Errorf("block %+v does not continue the layout at %d", b, next)
		}
		next = b.Offset + b.Len
		wantRole := energy.RoleCost
		if b.Name == "raw_w" || b.Name == "a" || b.Name == "raw_A" {
			wantRole = energy.RolePotential
		}
		if b.Role != wantRole {
			t.Errorf("block %s has role %v", b.Name, b.Role)
		}
	}
	if next != len(p) {
		t.Errorf("blocks cover %d of %d parameters", next, len(p))
	}
	if w := blk["b.hidden0.weight"]; w.Rows != 6 || w.Cols != 3 {
		t.Errorf("b.hidden0.weight shape %d×%d", w.Rows, w.Cols)
	}
	if w := blk["b.out.weight"]; w.Rows != 4*2 || w.Cols != 6 {
		t.Errorf("b.out.weight shape %d×%d", w.Rows, w.Cols)
	}
	// Distinct target rows as means.
	a := p[blk["a"].Offset : blk["a"].Offset+blk["a"].Len]
	seen := map[int]bool{}
	for n := 0; n < spec.Potentials; n++ {
		found := -1
		for r := 0; r < nTargets; r++ {
			if targets[2*r] == a[2*n] && targets[2*r+1] == a[2*n+1] {
				found = r
			}
		}
		if found < 0 || seen[found] {
			t.Errorf("a_%d = %v is not a fresh target row", n, a[2*n:2*n+2])
		}
		seen[found] = true
	}
	pot := g.newPotential()
	for i, A := range pot.A {
		if math.Abs(A-defaultAInit) > 1e-15 {
			t.Fatalf("A[%d] = %v, want %v", i, A, defaultAInit)
		}
	}
	for _, lw := range pot.logw {
		if math.Abs(lw+math.Log(float64(spec.Potentials))) > 1e-15 {
			t.Fatalf("log w = %v, want uniform", pot.logw)
		}
	}
	// The cost starts near 0: |c| ≤ ε·log-weight spread plus small tilts.
	rng := testRNG(53)
	for i := 0; i < 10; i++ {
		if c := g.Cost(randn(rng, 3, 1), randn(rng, 2, 1)); math.Abs(c) > 0.1 {
			t.Errorf("initial cost %v, want near 0", c)
		}
	}
	// Same seed, same model; fewer targets than components is allowed.
	g2, _ := New(spec, targets, nTargets, testRNG(52))
	for i := range p {
		if p[i] != g2.Params()[i] {
			t.Fatalf("parameter %d differs between runs with the same seed", i)
		}
	}
	if _, err := New(spec, targets[:6], 3, testRNG(54)); err != nil {
		t.Errorf("3 targets for 10 components: %v", err)
	}
	full := spec
	full.FullCov, full.AInit = true, 0.5
	gf, err := New(full, targets, nTargets, testRNG(55))
	if err != nil {
		t.Fatal(err)
	}
	pf := gf.newPotential()
	for n := 0; n < full.Potentials; n++ {
		L := pf.L[n*4 : n*4+4]
		if math.Abs(L[0]*L[0]-0.5) > 1e-15 || L[2] != 0 || math.Abs(L[3]*L[3]-0.5) > 1e-15 {
			t.Fatalf("initial factor %v, want √0.5·I", L)
		}
	}
}

func TestGMMErrors(t *testing.T) {
	good := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 2, CostComponents: 2}
	targets := []float64{0, 0, 1, 1}
	for _, bad := range []energy.Spec{
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 0, CostComponents: 2},
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 2, CostComponents: 0},
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 0, Potentials: 2, CostComponents: 2},
		{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 2, CostComponents: 2, AInit: -1},
		{Kind: energy.KindNeural, XDim: 2, YDim: 2, Eps: 1, Potentials: 2, CostComponents: 2},
	} {
		if _, err := New(bad, targets, 2, testRNG(1)); !errors.Is(err, energy.ErrSpec) {
			t.Errorf("NewGMM(%+v): %v, want energy.ErrSpec", bad, err)
		}
	}
	if _, err := New(good, targets[:3], 2, testRNG(1)); !errors.Is(err, energy.ErrShape) {
		t.Errorf("ragged targets: %v", err)
	}
	if _, err := New(good, []float64{0, math.NaN()}, 1, testRNG(1)); !errors.Is(err, energy.ErrNonFinite) {
		t.Errorf("NaN target: %v", err)
	}
	g, err := New(good, targets, 2, testRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	p := g.Params()
	if _, err := FromParams(good, p[1:]); !errors.Is(err, energy.ErrShape) {
		t.Errorf("short params: %v", err)
	}
	bad := append([]float64(nil), p...)
	bad[len(bad)-1] = math.Inf(1)
	if _, err := FromParams(good, bad); !errors.Is(err, energy.ErrNonFinite) {
		t.Errorf("infinite param: %v", err)
	}
	grad := make([]float64, len(p))
	for _, b := range []*energy.Batch{
		nil,
		{PairX: []float64{1}, PairY: []float64{1, 2}, NPair: 1},
		{SourceX: []float64{1, 2, 3}, NSource: 2},
		{TargetY: []float64{1, 2}, NTarget: -1},
	} {
		if _, err := g.LossGrad(context.Background(), b, grad, nil); !errors.Is(err, energy.ErrShape) {
			t.Errorf("batch %+v: %v, want energy.ErrShape", b, err)
		}
	}
	if _, err := g.LossGrad(context.Background(), &energy.Batch{}, grad[1:], nil); !errors.Is(err, energy.ErrShape) {
		t.Errorf("short gradient: %v", err)
	}
	grad[0] = 1
	if terms, err := g.LossGrad(context.Background(), &energy.Batch{}, grad, nil); err != nil || terms != (energy.LossTerms{}) {
		t.Errorf("empty batch: %+v, %v", terms, err)
	}
	for i, v := range grad {
		if v != 0 {
			t.Fatalf("empty batch: gradient[%d] = %v, want 0", i, v)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.LossGrad(ctx, &energy.Batch{}, grad, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if err := g.Sample(context.Background(), []float64{1}, 1, testRNG(1), make([]float64, 2)); !errors.Is(err, energy.ErrShape) {
		t.Errorf("short x: %v", err)
	}
	if !math.IsNaN(g.LogProb([]float64{1}, []float64{1, 2})) || g.Conditional([]float64{1, 2, 3}) != nil {
		t.Error("wrong lengths should give NaN / nil")
	}
}

// TestFromParamsRoundTrip rebuilds a trained-looking model from its vector
// and compares densities and spec.
func TestGMMFromParamsRoundTrip(t *testing.T) {
	spec := testSpecs[1].spec
	g := testGMM(t, spec, 61)
	h, err := FromParams(g.Spec(), g.Params())
	if err != nil {
		t.Fatal(err)
	}
	rng := testRNG(62)
	for i := 0; i < 5; i++ {
		x, y := randn(rng, spec.XDim, 1), randn(rng, spec.YDim, 1)
		if a, b := g.LogProb(x, y), h.LogProb(x, y); a != b {
			t.Errorf("LogProb %v after rebuild, %v before", b, a)
		}
	}
}

// TestGMMTiltGaugeIsPinned: shifting every tilt b_m by δ and every potential
// mean a_n by A_n δ leaves π(y|x) unchanged, so the empirical loss, whose
// terms use different samples, is linear along that direction and has no
// minimum. The b head's bias is centred over the tilts to remove it: a
// common shift of the raw bias changes nothing, and the bias gradient sums
// to zero over the tilts.
func TestGMMTiltGaugeIsPinned(t *testing.T) {
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 0.5, Potentials: 3, CostComponents: 4}
	g := testGMM(t, spec, 61)
	rng := testRNG(62)
	b := testBatch(rng, spec, 5, 7, 6)
	grad := make([]float64, len(g.Params()))
	before, err := g.LossGrad(context.Background(), b, grad, nil)
	if err != nil {
		t.Fatal(err)
	}
	var bias energy.ParamBlock
	for _, blk := range g.Blocks() {
		if blk.Name == "b.out.bias" {
			bias = blk
		}
	}
	for d := 0; d < spec.YDim; d++ {
		sum := 0.0
		for m := 0; m < spec.CostComponents; m++ {
			sum += grad[bias.Offset+m*spec.YDim+d]
		}
		if math.Abs(sum) > 1e-12 {
			t.Errorf("bias gradient of coordinate %d sums to %v over the tilts", d, sum)
		}
	}
	x, y := []float64{0.3, -0.7}, []float64{1.1, 0.2}
	lp := g.LogProb(x, y)
	p := g.Params()
	for m := 0; m < spec.CostComponents; m++ {
		p[bias.Offset+m*spec.YDim] += 3
		p[bias.Offset+m*spec.YDim+1] -= 2
	}
	after, err := g.LossGrad(context.Background(), b, grad, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(after.Total-before.Total) > 1e-12 || math.Abs(g.LogProb(x, y)-lp) > 1e-12 {
		t.Fatalf("a common shift of the raw bias changed the loss (%v → %v) or log π (%v → %v)", before.Total, after.Total, lp, g.LogProb(x, y))
	}
}

// closeSlices reports the first index where got and want differ by more
// than tol relative to the largest magnitude in want (the sums compared
// here mix terms of very different sizes, so a per-entry relative test
// would judge rounding in entries that cancel).
func closeSlices(got, want []float64, tol float64) (int, bool) {
	scale := 0.0
	for _, v := range want {
		scale = max(scale, math.Abs(v))
	}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= tol*scale) {
			return i, false
		}
	}
	return -1, true
}

// TestGMMRow2KernelMatchesBlockPath checks the Dy = 2 kernels (the one
// LossGrad dispatches to, the assembly one of internal/kernels and the
// scalar one) to 1e-12 relative against the generic block
// path, which the finite-difference tests cover for every Dy: log Z and all
// five gradient sums for 16 rows, including tilts so large that most cells
// underflow, M not a multiple of the vector width and M = 1.
func TestGMMRow2KernelMatchesBlockPath(t *testing.T) {
	cases := []struct {
		N, M      int
		eps, bStd float64
	}{
		{50, 25, 1, 1},
		{7, 5, 0.05, 1},
		{3, 1, 0.5, 1},
		{9, 6, 0.01, 3}, // logits spread over thousands: most cells underflow
	}
	for _, tc := range cases {
		spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: tc.eps, Potentials: tc.N, CostComponents: tc.M}
		g := testGMM(t, spec, 21)
		var p potential
		p.update(g)
		const rows = 16
		M := tc.M
		rng := testRNG(22)
		logv, heads := randn(rng, rows*M, 2), randn(rng, rows*M*2, tc.bStd)
		for i := 0; i < rows; i++ {
			logSoftmax(logv[i*M:(i+1)*M], logv[i*M:(i+1)*M])
		}
		sc := newRowScratch(&p)
		const scale = 0.37
		wantAcc := make([]float64, g.potGradLen())
		wantV, wantB := make([]float64, rows*M), make([]float64, rows*M*2)
		want := p.partitionBlockDiag(logv, heads, rows, scale, &sc.blk, wantAcc, wantV, wantB)

		impls := map[string]func(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) float64{
			"dispatch": p.partitionRow2,
			"scalar":   p.partitionRow2Scalar,
		}
		if kernels.Accelerated() {
			// The assembly block itself, so that a fallback to the scalar
			// loops inside partitionRow2 cannot hide a wrong result.
			impls["fused"] = func(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) float64 {
				lse, ok := p.partitionRow2Fused(logv, b, scale, ks, acc, dlogv, db)
				if !ok {
					t.Fatalf("N=%d M=%d ε=%v: the fused kernel refused finite logits", tc.N, tc.M, tc.eps)
				}
				return lse
			}
		}
		for name, kernel := range impls {
			acc := make([]float64, g.potGradLen())
			dV, dB := make([]float64, rows*M), make([]float64, rows*M*2)
			got := 0.0
			for i := 0; i < rows; i++ {
				got += kernel(logv[i*M:(i+1)*M], heads[i*M*2:(i+1)*M*2], scale, &sc.ker, acc, dV[i*M:(i+1)*M], dB[i*M*2:(i+1)*M*2])
			}
			what := fmt.Sprintf("N=%d M=%d ε=%v %s", tc.N, tc.M, tc.eps, name)
			if math.Abs(got-want) > 1e-12*math.Abs(want) {
				t.Errorf("%s: Σ log Z = %v, block path %v", what, got, want)
			}
			for _, c := range []struct {
				name      string
				got, want []float64
			}{{"potential gradient", acc, wantAcc}, {"∂/∂log v", dV, wantV}, {"∂/∂b", dB, wantB}} {
				if i, ok := closeSlices(c.got, c.want, 1e-12); !ok {
					t.Errorf("%s: %s[%d] = %v, block path %v", what, c.name, i, c.got[i], c.want[i])
				}
			}
		}
	}
}

// TestGMMPotentialRowDiagMatchesSeparate checks the fused target-row pass
// against logPotential followed by potentialGrad.
func TestGMMPotentialRowDiagMatchesSeparate(t *testing.T) {
	for _, dy := range []int{1, 2, 5} {
		spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: dy, Eps: 0.3, Potentials: 6, CostComponents: 2}
		g := testGMM(t, spec, 23)
		var p potential
		p.update(g)
		sc := newRowScratch(&p)
		rng := testRNG(24)
		want, got := make([]float64, g.potGradLen()), make([]float64, g.potGradLen())
		for range 10 {
			y := randn(rng, dy, 2)
			lse := p.logPotential(y, &sc.pot)
			p.potentialGrad(y, lse, -0.2, &sc.pot, want)
			f := p.potentialRowDiag(y, -0.2, &sc.pot, got)
			if math.Abs(f-lse) > 1e-13*max(1, math.Abs(lse)) {
				t.Errorf("Dy=%d: f/ε = %v, logPotential %v", dy, f, lse)
			}
		}
		if i, ok := closeSlices(got, want, 1e-13); !ok {
			t.Errorf("Dy=%d: gradient[%d] = %v, separate passes %v", dy, i, got[i], want[i])
		}
	}
}

// TestGMMLossGradDeterministicSwissRoll is TestGMMLossGradDeterministic for
// the shape that runs the Dy = 2 kernel, with the Swiss-roll preset's sizes:
// the result must not depend on the thread count nor change between calls.
func TestGMMLossGradDeterministicSwissRoll(t *testing.T) {
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 50, CostComponents: 25}
	g := testGMM(t, spec, 25)
	b := testBatch(testRNG(26), spec, 128, 128, 128)
	run := func(procs int) (energy.LossTerms, []float64) {
		g.SetThreads(procs)
		grad := make([]float64, len(g.Params()))
		terms, err := g.LossGrad(context.Background(), b, grad, nil)
		if err != nil {
			t.Fatal(err)
		}
		return terms, grad
	}
	t1, g1 := run(1)
	for _, procs := range []int{1, 2, 3, 8, 2} {
		t2, g2 := run(procs)
		if t1 != t2 {
			t.Errorf("%d threads: terms %+v, with 1 thread %+v", procs, t2, t1)
		}
		for i := range g1 {
			if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
				t.Fatalf("%d threads: gradient[%d] = %v, with 1 thread %v", procs, i, g2[i], g1[i])
			}
		}
	}
}

// TestGMMLossGradOverflowIsNonFinite makes the source logits overflow on the
// Dy = 2 path (a tilt of 1e200 squares to +Inf) and expects ErrNonFinite,
// not a silently finite loss.
func TestGMMLossGradOverflowIsNonFinite(t *testing.T) {
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 2, YDim: 2, Eps: 1, Potentials: 4, CostComponents: 6}
	g := testGMM(t, spec, 27)
	b := testBatch(testRNG(28), spec, 0, 9, 0)
	found := false
	for _, blk := range g.Blocks() {
		if blk.Name == "b.out.weight" {
			g.Params()[blk.Offset] = 1e200
			found = true
		}
	}
	if !found {
		t.Fatal("no block b.out.weight")
	}
	grad := make([]float64, len(g.Params()))
	if _, err := g.LossGrad(context.Background(), b, grad, nil); !errors.Is(err, energy.ErrNonFinite) {
		t.Fatalf("LossGrad with overflowing tilts: error %v, want energy.ErrNonFinite", err)
	}
}
