package neural

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
	"gonum.org/v1/gonum/mat"
)

// fitSamples is how many Langevin samples fit the Gaussian proposal.
const fitSamples = 256

// LogProbEstimate estimates log π(y|x) = −E(y|x) − log Z(x) by importance
// sampling of Z(x) = ∫ exp(−E(y'|x)) dy' with nSamples draws from a
// defensive mixture proposal
//
//	q = ½·N(m, 4S + 10⁻⁶I) + ½·N(0, InitStd²·I),
//
// where m and S are the mean and covariance of min(nSamples, 256) Langevin
// samples of π(·|x) (the widened fitted component covers the modes the
// sampler finds, the broad one keeps the weights bounded away from them).
// stderr is the delta-method standard error of log Ẑ,
// sd(w)/(mean(w)·√nSamples) for the weights w = exp(−E)/q. Ẑ is unbiased,
// so logp is biased upwards by about stderr²/2; both are trustworthy only
// when the proposal covers the conditional, which a small stderr does not
// prove (mass far from every proposal component goes unseen). Neural does
// not implement Density because this is not exact.
func (n *Model) LogProbEstimate(ctx context.Context, x, y []float64, nSamples int, rng *rand.Rand) (logp, stderr float64, err error) {
	dx, dy := n.spec.XDim, n.spec.YDim
	switch {
	case len(x) != dx || len(y) != dy:
		return 0, 0, fmt.Errorf("neural log-probability: x and y have %d and %d values, want %d and %d", len(x), len(y), dx, dy)
	case nSamples < 2:
		return 0, 0, fmt.Errorf("neural log-probability: %d importance samples, want at least 2", nSamples)
	}
	q, err := n.proposal(ctx, x, min(nSamples, fitSamples), rng)
	if err != nil {
		return 0, 0, err
	}
	// Draw every proposal first (one sequential use of rng), then evaluate
	// the energies in batches on the graph.
	props := make([]float64, nSamples*dy)
	q.Sample(rng, nSamples, props)
	logW := make([]float64, nSamples) // log q(y_k) until the energies are in
	for k := range nSamples {
		logW[k] = q.LogProb(props[k*dy : (k+1)*dy])
	}
	xs := make([]float64, nSamples*dx)
	for k := range nSamples {
		copy(xs[k*dx:], x)
	}
	energy := make([]float64, nSamples)
	if err := n.energyRows(ctx, xs, props, energy); err != nil {
		return 0, 0, fmt.Errorf("neural log-probability: %w", err)
	}
	for k, e := range energy {
		logW[k] = -e - logW[k]
	}
	maxW := math.Inf(-1)
	for _, v := range logW {
		maxW = math.Max(maxW, v)
	}
	if math.IsInf(maxW, 0) || math.IsNaN(maxW) {
		return 0, 0, fmt.Errorf("neural log-probability: importance weights are not finite")
	}
	// Scaled weights w/max(w) keep the moments in range.
	var s1, s2 float64
	for _, v := range logW {
		w := math.Exp(v - maxW)
		s1 += w
		s2 += w * w
	}
	k := float64(nSamples)
	meanW := s1 / k
	varW := math.Max(0, (s2/k-meanW*meanW)*k/(k-1))
	logZ := maxW + math.Log(meanW)
	return -n.Energy(x, y) - logZ, math.Sqrt(varW/k) / meanW, nil
}

// proposal is the defensive importance-sampling proposal at x:
// ½·N(m, 4S + 10⁻⁶I) + ½·N(0, InitStd²·I), with m and S the mean and
// covariance of fit Langevin samples of π(·|x).
func (n *Model) proposal(ctx context.Context, x []float64, fit int, rng *rand.Rand) (*energy.Mixture, error) {
	dy := n.spec.YDim
	samples := make([]float64, fit*dy)
	if err := n.Sample(ctx, x, fit, rng, samples); err != nil {
		return nil, fmt.Errorf("neural log-probability: %w", err)
	}
	mean := make([]float64, dy)
	for i := 0; i < fit; i++ {
		for d := range dy {
			mean[d] += samples[i*dy+d] / float64(fit)
		}
	}
	cov := mat.NewSymDense(dy, nil)
	for i := 0; i < fit; i++ {
		row := samples[i*dy : (i+1)*dy]
		for a := range dy {
			for b := a; b < dy; b++ {
				cov.SetSym(a, b, cov.At(a, b)+4*(row[a]-mean[a])*(row[b]-mean[b])/float64(fit-1))
			}
		}
	}
	for d := range dy {
		cov.SetSym(d, d, cov.At(d, d)+1e-6)
	}
	var chol mat.Cholesky
	if !chol.Factorize(cov) {
		return nil, fmt.Errorf("neural log-probability: proposal covariance is not positive definite")
	}
	var lower mat.TriDense
	chol.LTo(&lower)
	factors := make([]float64, 2*dy*dy)
	for i := range dy {
		for j := 0; j <= i; j++ {
			factors[i*dy+j] = lower.At(i, j)
		}
		factors[dy*dy+i*dy+i] = n.lv.InitStd
	}
	half := math.Log(0.5)
	return &energy.Mixture{Dim: dy, LogWeights: []float64{half, half}, Means: append(mean, make([]float64, dy)...),
		CovIndex: []int{0, 1}, Chol: factors}, nil
}
