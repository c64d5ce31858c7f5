package metrics

import (
	"encoding/json"
	"fmt"
	"math"
)

// Summary is the mean of N values with its standard error
// sd/√N (sd with the N−1 denominator). StdErr is NaN when N == 1.
type Summary struct {
	Mean, StdErr float64
	N            int
}

func (s Summary) String() string { return fmt.Sprintf("%.6g ± %.2g (n=%d)", s.Mean, s.StdErr, s.N) }

// MarshalJSON writes {"mean", "stderr", "n"}, with null for a value JSON
// cannot hold (the NaN standard error of a single value, an infinite mean).
func (s Summary) MarshalJSON() ([]byte, error) {
	num := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	return json.Marshal(map[string]any{"mean": num(s.Mean), "stderr": num(s.StdErr), "n": s.N})
}

// Summarize returns the mean and standard error of values. Infinite values
// (a log-density of −Inf, say) are kept and make the summary infinite or NaN;
// an empty slice is an error.
func Summarize(values []float64) (Summary, error) {
	n := len(values)
	if n == 0 {
		return Summary{}, fmt.Errorf("summarize: %w: no values", ErrTooFew)
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	mean := sum / float64(n)
	if n == 1 {
		return Summary{Mean: mean, StdErr: math.NaN(), N: 1}, nil
	}
	// Two passes: the one-pass formula cancels badly for large means.
	var ss float64
	for _, v := range values {
		d := v - mean
		ss += d * d
	}
	return Summary{Mean: mean, StdErr: math.Sqrt(ss / float64(n-1) / float64(n)), N: n}, nil
}

// NLL summarises a conditional negative log-likelihood from the model's log
// π(y_i|x_i) on held-out pairs: the mean of −log π with its standard error.
func NLL(logProbs []float64) (Summary, error) {
	neg := make([]float64, len(logProbs))
	for i, v := range logProbs {
		neg[i] = -v
	}
	s, err := Summarize(neg)
	if err != nil {
		return Summary{}, fmt.Errorf("nll: %w", err)
	}
	return s, nil
}
