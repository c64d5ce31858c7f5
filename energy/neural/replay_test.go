package neural

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/energy"
)

func TestReplayCapacityFIFO(t *testing.T) {
	b, err := NewReplayBuffer(2, 10, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		if err := b.Push([]float64{float64(i), -float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 10 || b.Cap() != 10 {
		t.Fatalf("Len %d Cap %d, want 10 10", b.Len(), b.Cap())
	}
	// Exactly the 10 newest survive, each row intact.
	seen := map[float64]bool{}
	for i := range b.Len() {
		r := b.data[2*i : 2*i+2]
		if r[1] != -r[0] || r[0] < 15 || r[0] > 24 || seen[r[0]] {
			t.Fatalf("stored row %v", r)
		}
		seen[r[0]] = true
	}
	// restartProb 1 draws only stored rows, uniformly.
	starts := make([]float64, 2*20000)
	n, err := b.Starts(starts, rand.New(rand.NewPCG(1, 1)))
	if err != nil || n != 20000 {
		t.Fatalf("restarted %d of 20000, err %v", n, err)
	}
	count := map[float64]int{}
	for i := 0; i < len(starts); i += 2 {
		if !seen[starts[i]] || starts[i+1] != -starts[i] {
			t.Fatalf("start %v is not a stored row", starts[i:i+2])
		}
		count[starts[i]]++
	}
	// Binomial(20000, 0.1): sd ≈ 42; allow 5 sd.
	for v, c := range count {
		if math.Abs(float64(c)-2000) > 5*42 {
			t.Errorf("row %v drawn %d times, want ≈ 2000", v, c)
		}
	}
}

func TestReplayRestartProbability(t *testing.T) {
	const p, rows = 0.3, 20000
	b, err := NewReplayBuffer(1, 5, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Push([]float64{100, 101, 102}); err != nil {
		t.Fatal(err)
	}
	starts := make([]float64, rows)
	n, err := b.Starts(starts, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	fromBuffer := 0
	for _, v := range starts {
		if v >= 100 {
			fromBuffer++
		}
	}
	if fromBuffer != n {
		t.Errorf("reported %d restarts, found %d", n, fromBuffer)
	}
	if sd := math.Sqrt(p * (1 - p) / rows); math.Abs(float64(n)/rows-p) > 4*sd {
		t.Errorf("restart fraction %v, want %v ± %v", float64(n)/rows, p, 4*sd)
	}
}

// Fresh starts are N(0, initStd²·I): per-coordinate mean, variance and
// the cross-covariance within sampling tolerance.
func TestReplayFreshStarts(t *testing.T) {
	const std, rows = 2.0, 20000
	for _, b := range []*ReplayBuffer{
		mustBuffer(t, 2, 10, 1, std), // empty: restart impossible
		mustBuffer(t, 2, 0, 1, std),  // capacity 0: never stores
	} {
		if err := b.Push([]float64{5, 5}); err != nil {
			t.Fatal(err)
		}
		if b.Cap() > 0 {
			b = mustBuffer(t, 2, 10, 0, std) // restart probability 0
			if err := b.Push([]float64{5, 5}); err != nil {
				t.Fatal(err)
			}
		}
		y := make([]float64, 2*rows)
		n, err := b.Starts(y, rand.New(rand.NewPCG(3, 3)))
		if err != nil || n != 0 {
			t.Fatalf("restarted %d, err %v", n, err)
		}
		var m [2]float64
		for i := 0; i < len(y); i += 2 {
			m[0] += y[i] / rows
			m[1] += y[i+1] / rows
		}
		var v [2]float64
		cov := 0.0
		for i := 0; i < len(y); i += 2 {
			v[0] += (y[i] - m[0]) * (y[i] - m[0]) / rows
			v[1] += (y[i+1] - m[1]) * (y[i+1] - m[1]) / rows
			cov += (y[i] - m[0]) * (y[i+1] - m[1]) / rows
		}
		seMean, seVar := std/math.Sqrt(rows), std*std*math.Sqrt(2.0/rows)
		for d := range 2 {
			if math.Abs(m[d]) > 4*seMean || math.Abs(v[d]-std*std) > 4*seVar {
				t.Errorf("dim %d: mean %v var %v, want 0 ± %v and %v ± %v", d, m[d], v[d], 4*seMean, std*std, 4*seVar)
			}
		}
		if math.Abs(cov) > 4*std*std/math.Sqrt(rows) {
			t.Errorf("cross-covariance %v, want 0", cov)
		}
	}
}

func mustBuffer(t *testing.T, dim, capacity int, p, std float64) *ReplayBuffer {
	t.Helper()
	b, err := NewReplayBuffer(dim, capacity, p, std)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReplayErrors(t *testing.T) {
	for _, args := range []struct {
		dim, capacity int
		p, std        float64
	}{{0, 1, 0.5, 1}, {1, -1, 0.5, 1}, {1, 1, 1.5, 1}, {1, 1, math.NaN(), 1}, {1, 1, 0.5, 0}} {
		if _, err := NewReplayBuffer(args.dim, args.capacity, args.p, args.std); !errors.Is(err, energy.ErrLangevin) {
			t.Errorf("%+v: err = %v", args, err)
		}
	}
	b := mustBuffer(t, 2, 3, 0.5, 1)
	if err := b.Push([]float64{1, 2, 3}); err == nil {
		t.Error("ragged push: no error")
	}
	if _, err := b.Starts(make([]float64, 3), rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("ragged starts: no error")
	}
}
