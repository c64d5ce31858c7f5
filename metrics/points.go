package metrics

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebieot/ebieot/points"
)

// Errors callers can branch on; every error returned by this package wraps
// one of them.
var (
	// ErrShape reports point sets whose sizes or dimensions disagree.
	ErrShape = errors.New("metrics: shape mismatch")
	// ErrTooFew reports a point set too small for the requested estimator
	// (an unbiased within-set term needs two points, a covariance two rows).
	ErrTooFew = errors.New("metrics: too few points")
	// ErrInvalid reports an invalid parameter or value (a bandwidth that is
	// not positive and finite, a level outside (0, 1), a non-finite point).
	ErrInvalid = errors.New("metrics: invalid argument")
)

// Points is a set of Rows points in R^Cols stored row-major in Data: the
// module's shared point-set type. Functions here alias the caller's storage
// and never modify it.
type Points = points.Set

// checkPoints reports whether the shape and the storage agree, the
// dimension is positive and every value is finite: a NaN would silently
// poison every sum it enters.
func checkPoints(p Points) error {
	if p.Rows < 0 || p.Cols < 1 || len(p.Data) != p.Rows*p.Cols {
		return fmt.Errorf("%w: %d points of dimension %d stored in %d values", ErrShape, p.Rows, p.Cols, len(p.Data))
	}
	for i, v := range p.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: point %d coordinate %d is %v", ErrInvalid, i/p.Cols, i%p.Cols, v)
		}
	}
	return nil
}

// validatePair checks two sets that are compared with each other.
func validatePair(x, y Points, minRows int) error {
	if err := checkPoints(x); err != nil {
		return fmt.Errorf("first set: %w", err)
	}
	if err := checkPoints(y); err != nil {
		return fmt.Errorf("second set: %w", err)
	}
	if x.Cols != y.Cols {
		return fmt.Errorf("%w: dimensions %d and %d", ErrShape, x.Cols, y.Cols)
	}
	if x.Rows < minRows || y.Rows < minRows {
		return fmt.Errorf("%w: %d and %d points, need at least %d in each set", ErrTooFew, x.Rows, y.Rows, minRows)
	}
	return nil
}

// validateConditional checks the layout shared by the conditional scores:
// heldOut has one observed y per row and samples holds perRow model samples
// for each of them, rows [i*perRow, (i+1)*perRow) belonging to held-out row i.
func validateConditional(samples Points, perRow int, heldOut Points, minPerRow int) error {
	if err := validatePair(samples, heldOut, 0); err != nil {
		return err
	}
	if perRow < minPerRow {
		return fmt.Errorf("%w: %d samples per held-out row, need at least %d", ErrTooFew, perRow, minPerRow)
	}
	if heldOut.Rows == 0 {
		return fmt.Errorf("%w: no held-out rows", ErrTooFew)
	}
	if samples.Rows != heldOut.Rows*perRow {
		return fmt.Errorf("%w: %d samples for %d held-out rows × %d samples each", ErrShape, samples.Rows, heldOut.Rows, perRow)
	}
	return nil
}

func squaredDistance(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for k, v := range a {
		t := v - b[k]
		s += t * t
	}
	return s
}
