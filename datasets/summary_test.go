package datasets

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	got := Summarize([]string{"a", "b"}, mat(3, 2, 1, 5, 2, 5, 3, 5), NewMatrix(0, 2), mat(1, 2, 6, 5))
	// a = {1,2,3,6}: mean 3, population variance 3.5. b is constant.
	want := []ColumnSummary{
		{Name: "a", N: 4, Mean: 3, Std: math.Sqrt(3.5), Min: 1, Max: 6},
		{Name: "b", N: 4, Mean: 5, Std: 0, Min: 5, Max: 5},
	}
	for j := range want {
		g, w := got[j], want[j]
		if g.Name != w.Name || g.N != w.N || math.Abs(g.Mean-w.Mean) > 1e-15 || math.Abs(g.Std-w.Std) > 1e-15 || g.Min != w.Min || g.Max != w.Max {
			t.Errorf("column %d: %+v, want %+v", j, g, w)
		}
	}
	empty := Summarize([]string{"z"}, NewMatrix(0, 1))
	if empty[0].N != 0 || !math.IsNaN(empty[0].Mean) || !math.IsNaN(empty[0].Max) {
		t.Errorf("empty column: %+v", empty[0])
	}
}
