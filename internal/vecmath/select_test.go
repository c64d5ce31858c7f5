package vecmath

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSelectKthMatchesSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(60)
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(rng.IntN(8)) // many ties
			if trial%2 == 0 {
				v[i] = rng.NormFloat64()
			}
		}
		sorted := slices.Sorted(slices.Values(v))
		k := rng.IntN(n)
		if got := SelectKth(v, k); got != sorted[k] {
			t.Fatalf("trial %d: k=%d got %v, want %v", trial, k, got, sorted[k])
		}
		for i := range v {
			if (i < k && v[i] > v[k]) || (i > k && v[i] < v[k]) {
				t.Fatalf("trial %d: not partitioned around %d: %v", trial, k, v)
			}
		}
	}
}
