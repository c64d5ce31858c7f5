package points

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSetRowsAliasAndGonumRoundTrip(t *testing.T) {
	s, err := Of([]float64{1, 2, 3, 4, 5, 6}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Row(1); r[0] != 3 || r[1] != 4 || cap(r) != 2 {
		t.Fatalf("row 1 = %v (cap %d)", r, cap(r))
	}
	d := s.Dense()
	d.Set(2, 1, 60)
	if s.Data[5] != 60 {
		t.Error("Dense does not share the storage")
	}
	back := FromMatrix(d.T())
	if back.Rows != 2 || back.Cols != 3 || back.Row(1)[2] != 60 {
		t.Errorf("transpose copied as %+v", back)
	}
	if _, err := Of([]float64{1, 2, 3}, 2, 2); err == nil {
		t.Error("Of accepted 3 values for 2×2")
	}
	var empty Set
	if empty.Dense() != nil {
		t.Error("empty set has a gonum form")
	}
	_ = mat.Matrix(d)
}

func TestStackSliceSelectAppend(t *testing.T) {
	a, b := Set{Rows: 1, Cols: 2, Data: []float64{1, 2}}, Set{Rows: 2, Cols: 2, Data: []float64{3, 4, 5, 6}}
	s, err := VStack(a, b)
	if err != nil || s.Rows != 3 || s.Row(2)[1] != 6 {
		t.Fatalf("VStack = %+v, %v", s, err)
	}
	if _, err := VStack(a, Set{Rows: 1, Cols: 3, Data: []float64{1, 2, 3}}); err == nil {
		t.Error("stacked points of different dimensions")
	}
	if sl := s.Slice(1, 3); sl.Rows != 2 || sl.Row(0)[0] != 3 {
		t.Errorf("Slice = %+v", sl)
	}
	if sel := s.SelectRows([]int{2, 0}); sel.Row(0)[0] != 5 || sel.Row(1)[1] != 2 {
		t.Errorf("SelectRows = %+v", sel)
	}
	g := New(0, 2)
	copy(g.AppendRow(), []float64{7, 8})
	copy(g.AppendRow(), []float64{9, 10})
	if g.Rows != 2 || g.Validate() != nil || g.Row(1)[0] != 9 {
		t.Errorf("AppendRow gave %+v", g)
	}
}
