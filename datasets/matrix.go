package datasets

import "github.com/ebieot/ebieot/points"

// Matrix is a dense row-major matrix of float64 whose rows are samples: the
// module's shared point-set type, so that data read here passes to sinkhorn
// and metrics as it is.
type Matrix = points.Set

// NewMatrix returns a zero matrix of the given shape.
func NewMatrix(rows, cols int) Matrix { return points.New(rows, cols) }

// VStack returns the rows of a followed by the rows of b. Both must have the
// same number of columns unless one of them has no rows.
func VStack(a, b Matrix) (Matrix, error) { return points.VStack(a, b) }
