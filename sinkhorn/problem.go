package sinkhorn

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors that callers may branch on (with errors.Is).
var (
	// ErrInvalidProblem reports inconsistent shapes, weights or costs.
	ErrInvalidProblem = errors.New("sinkhorn: invalid problem")
	// ErrInvalidOptions reports a bad option value.
	ErrInvalidOptions = errors.New("sinkhorn: invalid options")
)

// CostKind selects the ground cost between a source point x and a target
// point y.
type CostKind int

const (
	// SqEuclidean is ‖x − y‖².
	SqEuclidean CostKind = iota
	// HalfSqEuclidean is ½‖x − y‖², the cost of the Sinkhorn divergence
	// used for evaluation.
	HalfSqEuclidean
	// Euclidean is ‖x − y‖.
	Euclidean
	// Rotation is the Swiss-roll benchmark's cost min(‖x − R₊y‖, ‖x − R₋y‖)
	// with R± the rotations of the plane by ±90°; points must be 2-D.
	Rotation
	// CostFunc uses Problem.Func.
	CostFunc
	// CostMatrix uses the precomputed Problem.C (n×m, row-major); X and Y
	// are then optional (needed only for barycentric maps).
	CostMatrix
)

var costNames = [...]string{"sqeuclidean", "half-sqeuclidean", "euclidean", "rotation", "func", "matrix"}

// String returns the name used by the command line.
func (k CostKind) String() string {
	if k >= 0 && int(k) < len(costNames) {
		return costNames[k]
	}
	return fmt.Sprintf("CostKind(%d)", int(k))
}

// ParseCost returns the point cost named s (one of sqeuclidean,
// half-sqeuclidean, euclidean, rotation).
func ParseCost(s string) (CostKind, error) {
	for k, name := range costNames[:CostFunc] {
		if s == name {
			return CostKind(k), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown cost %q (want sqeuclidean, half-sqeuclidean, euclidean or rotation)", ErrInvalidProblem, s)
}

// Problem is an entropic OT problem between n source points and m target
// points of dimension D, stored row-major. Nil weights are uniform; weights
// are normalised to sum 1, may contain zeros, and points with zero weight get
// zero plan mass and potentials given by the c-transform of the others.
type Problem struct {
	X    []float64 // n×D source points
	Y    []float64 // m×D target points
	N, M int
	D    int
	A, B []float64 // source and target weights (nil = uniform)

	Cost CostKind
	// Func is the cost for Cost == CostFunc. It must be safe for concurrent
	// use and must not retain its arguments.
	Func func(x, y []float64) float64
	// C is the n×m cost matrix for Cost == CostMatrix. It is read, never
	// modified, and is referenced (not copied) by the result.
	C []float64
}

// validate checks shapes, weights and costs and returns normalised weights.
func (p *Problem) validate() (a, b []float64, err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidProblem}, args...)...)
	}
	if p == nil {
		return nil, nil, bad("nil problem")
	}
	if p.N <= 0 || p.M <= 0 {
		return nil, nil, bad("need at least one source and one target point (n=%d, m=%d)", p.N, p.M)
	}
	points := p.Cost != CostMatrix || p.X != nil || p.Y != nil
	if points {
		if p.D <= 0 {
			return nil, nil, bad("dimension %d", p.D)
		}
		if len(p.X) != p.N*p.D || len(p.Y) != p.M*p.D {
			return nil, nil, bad("%d source and %d target values for n=%d, m=%d, d=%d", len(p.X), len(p.Y), p.N, p.M, p.D)
		}
		for i, v := range p.X {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, bad("source point %d coordinate %d is %v", i/p.D, i%p.D, v)
			}
		}
		for i, v := range p.Y {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, bad("target point %d coordinate %d is %v", i/p.D, i%p.D, v)
			}
		}
	}
	switch p.Cost {
	case SqEuclidean, HalfSqEuclidean, Euclidean:
	case Rotation:
		if p.D != 2 {
			return nil, nil, bad("the rotation cost needs 2-D points, have d=%d", p.D)
		}
	case CostFunc:
		if p.Func == nil {
			return nil, nil, bad("cost function is nil")
		}
	case CostMatrix:
		if len(p.C) != p.N*p.M {
			return nil, nil, bad("cost matrix has %d values for %d×%d", len(p.C), p.N, p.M)
		}
		for k, v := range p.C {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, bad("cost[%d][%d] is %v", k/p.M, k%p.M, v)
			}
		}
	default:
		return nil, nil, bad("unknown cost kind %d", int(p.Cost))
	}
	if a, err = normalise(p.A, p.N, "source"); err != nil {
		return nil, nil, err
	}
	if b, err = normalise(p.B, p.M, "target"); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

func normalise(w []float64, n int, which string) ([]float64, error) {
	out := make([]float64, n)
	if w == nil {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out, nil
	}
	if len(w) != n {
		return nil, fmt.Errorf("%w: %d %s weights for %d points", ErrInvalidProblem, len(w), which, n)
	}
	var s float64
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %s weight %d is %v", ErrInvalidProblem, which, i, v)
		}
		s += v
	}
	if s == 0 {
		return nil, fmt.Errorf("%w: %s weights are all zero", ErrInvalidProblem, which)
	}
	for i, v := range w {
		out[i] = v / s
	}
	return out, nil
}

// pointCost returns the cost between two points for the point-based kinds.
func pointCost(kind CostKind, f func(x, y []float64) float64) func(x, y []float64) float64 {
	switch kind {
	case SqEuclidean:
		return sqDist
	case HalfSqEuclidean:
		return func(x, y []float64) float64 { return 0.5 * sqDist(x, y) }
	case Euclidean:
		return func(x, y []float64) float64 { return math.Sqrt(sqDist(x, y)) }
	case Rotation:
		return rotationCost
	default:
		return f
	}
}

func sqDist(x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for k, v := range x {
		d := v - y[k]
		s += d * d
	}
	return s
}

// rotationCost is min(‖x − R₊y‖, ‖x − R₋y‖) with R₊y = (−y₂, y₁) and
// R₋y = (y₂, −y₁).
func rotationCost(x, y []float64) float64 {
	p1, p2 := x[0]+y[1], x[1]-y[0]
	m1, m2 := x[0]-y[1], x[1]+y[0]
	return math.Sqrt(math.Min(p1*p1+p2*p2, m1*m1+m2*m2))
}
