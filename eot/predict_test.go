package eot

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
)

// trainedBimodal is a GMM fitted (briefly) to the bimodal problem, in
// standardised units, so that Predict must undo the scaler.
func trainedBimodal(t *testing.T) (*Trained, *datasets.Streams) {
	t.Helper()
	data := bimodal(rand.New(rand.NewPCG(11, 11)), 80, 300, 300)
	for _, m := range []datasets.Matrix{data.PairY, data.TargetY} {
		for i := range m.Data {
			m.Data[i] = 10 + 3*m.Data[i] // not unit scale
		}
	}
	cfg, _ := DefaultConfig(energy.KindGMM)
	cfg.Spec.Potentials, cfg.Spec.CostComponents, cfg.Covariance = 3, 2, CovarianceDiag
	cfg.Fit.Steps, cfg.Fit.LRCost, cfg.Fit.LRPotential = 600, 1e-2, 3e-3
	cfg.Select.Off = true
	m, err := Train(context.Background(), data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, data
}

func TestPredictMatchesSamples(t *testing.T) {
	m, _ := trainedBimodal(t)
	x := datasets.Matrix{Rows: 2, Cols: 1, Data: []float64{-0.7, 1.2}}
	p, err := m.Predict(context.Background(), x, PredictOptions{Quantiles: []float64{0.1, 0.5, 0.9}})
	if err != nil || !p.Exact {
		t.Fatalf("predict: exact %v, %v", p != nil && p.Exact, err)
	}
	const n = 40000
	ys, err := m.Sample(context.Background(), x, n, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		col := make([]float64, n)
		for k := range n {
			col[k] = ys.Row(i*n + k)[0]
		}
		mean := 0.0
		for _, v := range col {
			mean += v / n
		}
		sort.Float64s(col)
		if math.Abs(mean-p.Mean.Row(i)[0]) > 0.05 {
			t.Errorf("row %d: predicted mean %.4f, sample mean %.4f", i, p.Mean.Row(i)[0], mean)
		}
		// The fraction of samples below a predicted quantile estimates its
		// level (a bimodal median sits in a gap, where quantiles themselves
		// are poorly determined by samples).
		for l, q := range p.Levels {
			got := p.Quantiles[l].Row(i)[0]
			frac := float64(sort.SearchFloat64s(col, got)) / n
			if math.Abs(frac-q) > 5*math.Sqrt(q*(1-q)/n) {
				t.Errorf("row %d: %.4f of the samples lie below the %.2f quantile %.4f", i, frac, q, got)
			}
		}
	}
	if _, err := m.Predict(context.Background(), x, PredictOptions{Quantiles: []float64{1.5}}); err == nil {
		t.Error("quantile 1.5 accepted")
	}
}

// TestMixtureQuantileInvertsTheCDF: the quantile agrees with plain
// bisection on the CDF, or has the CDF p exactly where a gap of zero
// density makes the quantile any point of the gap, on a bimodal mixture and
// on random mixtures, in the tails too.
func TestMixtureQuantileInvertsTheCDF(t *testing.T) {
	bisect := func(w, mu, sd []float64, p float64) float64 {
		lo, hi := -1e5, 1e5
		for range 200 {
			mid, cdf := 0.5*(lo+hi), 0.0
			for k := range w {
				cdf += w[k] * 0.5 * math.Erfc(-(mid-mu[k])/(sd[k]*math.Sqrt2))
			}
			if cdf < p {
				lo = mid
			} else {
				hi = mid
			}
		}
		return 0.5 * (lo + hi)
	}
	check := func(w, mu, sd []float64) {
		for _, p := range []float64{1e-9, 1e-6, 0.05, 0.2, 0.5, 0.8, 0.999, 1 - 1e-9} {
			q, want := mixtureQuantile(w, mu, sd, p), bisect(w, mu, sd, p)
			cdf := 0.0
			for k := range w {
				cdf += w[k] * 0.5 * math.Erfc(-(q-mu[k])/(sd[k]*math.Sqrt2))
			}
			// In a gap between components every q has CDF p to rounding, and
			// any of them is the quantile; elsewhere it is unique.
			if math.Abs(cdf-p) > 1e-13 && math.Abs(q-want) > 1e-9*(1+math.Abs(want)) {
				t.Errorf("w %v mu %v sd %v p %v: q = %.15g, bisection %.15g", w, mu, sd, p, q, want)
			}
		}
	}
	check([]float64{0.2, 0.8}, []float64{-3, 2}, []float64{0.5, 1.5})
	check([]float64{0.5, 0.5}, []float64{-20, 20}, []float64{0.1, 0.1})
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		K := 1 + rng.IntN(30)
		w, mu, sd := make([]float64, K), make([]float64, K), make([]float64, K)
		total := 0.0
		for k := range K {
			w[k] = rng.Float64() + 1e-3
			total += w[k]
			mu[k], sd[k] = 10*rng.NormFloat64(), math.Exp(2*rng.NormFloat64())
		}
		for k := range w {
			w[k] /= total
		}
		check(w, mu, sd)
	}
}

func TestSampleBridge(t *testing.T) {
	eps := 0.5
	b := datasets.NewMixtureEOT(rand.New(rand.NewPCG(1, 2)), 2, 3, eps)
	data := b.Streams(rand.New(rand.NewPCG(3, 4)), 0, 3000, 3000)
	cfg, _ := DefaultConfig(energy.KindGMM)
	cfg.Spec.Cost, cfg.Spec.Eps, cfg.Spec.Potentials, cfg.Covariance = energy.CostQuadratic, eps, 3, CovarianceDiag
	cfg.Fit.Steps = 300
	m, err := Train(context.Background(), data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := datasets.Matrix{Rows: 1, Cols: 2, Data: []float64{0.3, -0.8}}
	full, err := m.Sample(context.Background(), x, 50, 9)
	if err != nil {
		t.Fatal(err)
	}
	at1, err := m.SampleBridge(context.Background(), x, 50, 1, 9)
	if err != nil || !slices.Equal(full.Data, at1.Data) {
		t.Fatalf("bridge at t = 1 differs from sampling (%v)", err)
	}
	const n, tt = 40000, 0.4
	ys, _ := m.Sample(context.Background(), x, n, 5)
	xt, err := m.SampleBridge(context.Background(), x, n, tt, 6)
	if err != nil {
		t.Fatal(err)
	}
	for d := range 2 {
		var my, vy, mt, vt float64
		for k := range n {
			my += ys.Row(k)[d] / n
			mt += xt.Row(k)[d] / n
		}
		for k := range n {
			vy += (ys.Row(k)[d] - my) * (ys.Row(k)[d] - my) / n
			vt += (xt.Row(k)[d] - mt) * (xt.Row(k)[d] - mt) / n
		}
		wantM := (1-tt)*x.Data[d] + tt*my
		wantV := tt*tt*vy + eps*tt*(1-tt)
		if math.Abs(mt-wantM) > 5*math.Sqrt(wantV/n) || math.Abs(vt-wantV) > 0.03*wantV {
			t.Errorf("coordinate %d: bridge mean %.4f var %.4f, want %.4f and %.4f", d, mt, vt, wantM, wantV)
		}
	}
	learned, _ := trainedBimodal(t)
	if _, err := learned.SampleBridge(context.Background(), datasets.Matrix{Rows: 1, Cols: 1, Data: []float64{0}}, 1, 0.5, 1); err == nil || !strings.Contains(err.Error(), "quadratic") {
		t.Errorf("bridge of a learned cost: %v", err)
	}
	if _, err := m.SampleBridge(context.Background(), x, 1, 1.5, 1); err == nil {
		t.Error("time 1.5 accepted")
	}
}
