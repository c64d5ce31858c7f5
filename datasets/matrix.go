package datasets

import "fmt"

// Matrix is a dense row-major matrix of float64. Rows may be zero.
type Matrix struct {
	Rows, Cols int
	Data       []float64 // len(Data) == Rows*Cols
}

// NewMatrix returns a zero matrix of the given shape.
func NewMatrix(rows, cols int) Matrix {
	return Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// Row returns row i as a slice that aliases the matrix storage.
func (m Matrix) Row(i int) []float64 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// Validate reports whether the shape and the storage agree.
func (m Matrix) Validate() error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("matrix %d×%d has %d values", m.Rows, m.Cols, len(m.Data))
	}
	return nil
}

// SelectRows returns a new matrix holding the rows idx of m, in that order.
func (m Matrix) SelectRows(idx []int) Matrix {
	out := NewMatrix(len(idx), m.Cols)
	for k, i := range idx {
		copy(out.Row(k), m.Row(i))
	}
	return out
}

// VStack returns the rows of a followed by the rows of b. Both must have the
// same number of columns unless one of them has no rows.
func VStack(a, b Matrix) (Matrix, error) {
	switch {
	case a.Rows == 0:
		return Matrix{Rows: b.Rows, Cols: b.Cols, Data: append([]float64(nil), b.Data...)}, nil
	case b.Rows == 0:
		return Matrix{Rows: a.Rows, Cols: a.Cols, Data: append([]float64(nil), a.Data...)}, nil
	case a.Cols != b.Cols:
		return Matrix{}, fmt.Errorf("stack %d-column rows on %d-column rows", b.Cols, a.Cols)
	}
	data := make([]float64, 0, len(a.Data)+len(b.Data))
	data = append(append(data, a.Data...), b.Data...)
	return Matrix{Rows: a.Rows + b.Rows, Cols: a.Cols, Data: data}, nil
}

// appendRow grows m by one zero row and returns it; the storage grows
// geometrically, for readers that do not know the row count in advance.
func (m *Matrix) appendRow() []float64 {
	n := len(m.Data)
	m.Data = append(m.Data, make([]float64, m.Cols)...)
	m.Rows++
	return m.Data[n : n+m.Cols : n+m.Cols]
}
