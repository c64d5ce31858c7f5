// Package points holds the one point-set type the module's packages share:
// n points of dimension d stored row-major in one []float64, the layout of
// OTT-JAX's PointCloud and of gonum's mat.Dense. The data sets of package
// datasets, the clouds that sinkhorn transports and the samples that
// metrics compares are all Sets, so values pass between them without
// copies or conversions.
package points

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Set is Rows points of dimension Cols, row-major: point i is
// Data[i·Cols : (i+1)·Cols]. Rows may be zero.
type Set struct {
	Rows, Cols int
	Data       []float64 // len(Data) == Rows*Cols
}

// New returns a zero set of the given shape.
func New(rows, cols int) Set {
	return Set{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// Of returns the set of n points of dimension d stored in data, without
// copying; it checks that the lengths agree.
func Of(data []float64, n, d int) (Set, error) {
	s := Set{Rows: n, Cols: d, Data: data}
	return s, s.Validate()
}

// Row returns point i as a slice that aliases the storage.
func (s Set) Row(i int) []float64 { return s.Data[i*s.Cols : (i+1)*s.Cols : (i+1)*s.Cols] }

// Validate reports whether the shape and the storage agree.
func (s Set) Validate() error {
	if s.Rows < 0 || s.Cols < 0 || len(s.Data) != s.Rows*s.Cols {
		return fmt.Errorf("points: %d×%d set has %d values", s.Rows, s.Cols, len(s.Data))
	}
	return nil
}

// Slice returns points [lo, hi) as a set aliasing s.
func (s Set) Slice(lo, hi int) Set {
	return Set{Rows: hi - lo, Cols: s.Cols, Data: s.Data[lo*s.Cols : hi*s.Cols : hi*s.Cols]}
}

// SelectRows returns a new set holding the points idx of s, in that order.
func (s Set) SelectRows(idx []int) Set {
	out := New(len(idx), s.Cols)
	for k, i := range idx {
		copy(out.Row(k), s.Row(i))
	}
	return out
}

// AppendRow grows s by one zero point and returns it; the storage grows
// geometrically, for readers that do not know the count in advance.
func (s *Set) AppendRow() []float64 {
	n := len(s.Data)
	s.Data = append(s.Data, make([]float64, s.Cols)...)
	s.Rows++
	return s.Data[n : n+s.Cols : n+s.Cols]
}

// VStack returns the points of a followed by those of b, in new storage.
// Both must have the same dimension unless one of them is empty.
func VStack(a, b Set) (Set, error) {
	switch {
	case a.Rows == 0:
		return Set{Rows: b.Rows, Cols: b.Cols, Data: append([]float64(nil), b.Data...)}, nil
	case b.Rows == 0:
		return Set{Rows: a.Rows, Cols: a.Cols, Data: append([]float64(nil), a.Data...)}, nil
	case a.Cols != b.Cols:
		return Set{}, fmt.Errorf("points: stack %d-dimensional points on %d-dimensional ones", b.Cols, a.Cols)
	}
	data := make([]float64, 0, len(a.Data)+len(b.Data))
	data = append(append(data, a.Data...), b.Data...)
	return Set{Rows: a.Rows + b.Rows, Cols: a.Cols, Data: data}, nil
}

// Dense returns s as a gonum matrix sharing its storage, for the linear
// algebra of gonum/mat and gonum/stat. An empty set has no gonum form and
// gives nil.
func (s Set) Dense() *mat.Dense {
	if s.Rows == 0 || s.Cols == 0 {
		return nil
	}
	return mat.NewDense(s.Rows, s.Cols, s.Data)
}

// FromMatrix copies any gonum matrix into a new set.
func FromMatrix(m mat.Matrix) Set {
	r, c := m.Dims()
	s := New(r, c)
	for i := range r {
		row := s.Row(i)
		for j := range c {
			row[j] = m.At(i, j)
		}
	}
	return s
}
