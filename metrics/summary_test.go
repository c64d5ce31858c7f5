package metrics

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	s, err := Summarize([]float64{1, 2, 3, 6})
	if err != nil {
		t.Fatal(err)
	}
	// mean 3, squared deviations 4+1+0+9 = 14, sd² = 14/3, se = √(14/3/4).
	if s.Mean != 3 || s.N != 4 || math.Abs(s.StdErr-math.Sqrt(14.0/12)) > 1e-15 {
		t.Fatalf("summary %+v", s)
	}
	one, err := Summarize([]float64{2.5})
	if err != nil || one.Mean != 2.5 || !math.IsNaN(one.StdErr) {
		t.Fatalf("single value: %+v, %v", one, err)
	}
	if _, err := Summarize(nil); !errors.Is(err, ErrTooFew) {
		t.Fatalf("empty: err = %v", err)
	}
	// Large offsets: the two-pass standard error stays exact.
	big, _ := Summarize([]float64{1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 6})
	if math.Abs(big.StdErr-s.StdErr) > 1e-9 {
		t.Fatalf("offset data: stderr %v, want %v", big.StdErr, s.StdErr)
	}
}

func TestNLLIsMeanOfNegatedLogProbs(t *testing.T) {
	logp := []float64{-1.25, -0.5, -3, 0.75, -2}
	s, err := NLL(logp)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range logp {
		sum += v
	}
	if want := -sum / float64(len(logp)); math.Abs(s.Mean-want) > 1e-15 {
		t.Fatalf("NLL mean %v, want −mean(log p) = %v", s.Mean, want)
	}
	pos, _ := Summarize(logp)
	if s.StdErr != pos.StdErr || s.N != len(logp) {
		t.Fatalf("NLL %+v: standard error must equal that of the log-probs %+v", s, pos)
	}
	if _, err := NLL(nil); !errors.Is(err, ErrTooFew) {
		t.Fatalf("empty: err = %v", err)
	}
}

func TestSummaryJSONWritesNullForNaN(t *testing.T) {
	s, err := Summarize([]float64{2.5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"mean":2.5,"n":1,"stderr":null}` {
		t.Fatalf("JSON %s", b)
	}
}
