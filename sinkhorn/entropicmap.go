package sinkhorn

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/ebieot/ebieot/internal/parallel"
	"github.com/ebieot/ebieot/internal/vecmath"
	"github.com/ebieot/ebieot/points"
)

// EntropicMap is the out-of-sample entropic OT map of Pooladian and
// Niles-Weed ("Entropic estimation of optimal transport maps", 2021),
// built from a solved problem's target points, weights and potential g:
//
//	T(x) = Σ_j b_j exp((g_j − c(x, y_j))/ε)·y_j / Σ_j b_j exp((g_j − c(x, y_j))/ε),
//
// the mean of the plan's conditional extended to any x through the
// c-transform of g. On the solved problem's own sources it equals
// Result.BarycentricMap. It holds copies of what it needs, so it outlives
// the Result and can be saved (encoding/json) and applied to new points.
type EntropicMap struct {
	Eps  float64   `json:"eps"`
	Cost CostKind  `json:"-"`
	Dim  int       `json:"dim"`
	Y    []float64 `json:"y"`     // m × Dim target points
	G    []float64 `json:"g"`     // m potentials
	LogB []float64 `json:"log_b"` // m log target weights
}

// Map returns the entropic map of a solved point problem (not CostMatrix
// or CostFunc: the map evaluates the cost at new points).
func (r *Result) Map() (*EntropicMap, error) {
	if r.y == nil || r.d == 0 || r.cost == nil {
		return nil, fmt.Errorf("%w: the entropic map needs target points", ErrInvalidProblem)
	}
	switch r.cost.kind {
	case SqEuclidean, HalfSqEuclidean, Euclidean, Rotation:
	default:
		return nil, fmt.Errorf("%w: the entropic map needs a point cost (%s cannot be saved)", ErrInvalidProblem, r.cost.kind)
	}
	m := &EntropicMap{Eps: r.Eps, Cost: r.cost.kind, Dim: r.d, Y: slices.Clone(r.y), G: slices.Clone(r.G), LogB: make([]float64, len(r.B))}
	for j, b := range r.B {
		m.LogB[j] = math.Log(b)
	}
	return m, nil
}

// Apply returns T(x) for every point of x (its dimension must be Dim), on
// threads goroutines (0 = one per CPU).
func (m *EntropicMap) Apply(ctx context.Context, x points.Set, threads int) (points.Set, error) {
	if err := m.validate(); err != nil {
		return points.Set{}, err
	}
	if x.Cols != m.Dim || x.Validate() != nil {
		return points.Set{}, fmt.Errorf("%w: %d-dimensional points for a %d-dimensional map", ErrInvalidProblem, x.Cols, m.Dim)
	}
	out := points.New(x.Rows, m.Dim)
	cost := pointCost(m.Cost, nil)
	nt := len(m.G)
	err := parallel.Blocks(ctx, threads, x.Rows, func(_, lo, hi int) {
		w := make([]float64, nt)
		for i := lo; i < hi; i++ {
			xi := x.Row(i)
			for j := range nt {
				w[j] = m.LogB[j] + (m.G[j]-cost(xi, m.Y[j*m.Dim:(j+1)*m.Dim]))/m.Eps
			}
			mx := slices.Max(w)
			sum := vecmath.ExpShiftSum(w, mx)
			t := out.Row(i)
			for j, p := range w {
				if p != 0 {
					vecmath.Axpy(p/sum, m.Y[j*m.Dim:(j+1)*m.Dim], t)
				}
			}
		}
	})
	return out, err
}

func (m *EntropicMap) validate() error {
	nt := len(m.G)
	switch {
	case m.Dim < 1 || nt == 0 || len(m.Y) != nt*m.Dim || len(m.LogB) != nt:
		return fmt.Errorf("%w: entropic map with %d potentials, %d target values of dimension %d and %d weights", ErrInvalidProblem, nt, len(m.Y), m.Dim, len(m.LogB))
	case !(m.Eps > 0) || math.IsInf(m.Eps, 0):
		return fmt.Errorf("%w: entropic map with ε = %v", ErrInvalidProblem, m.Eps)
	}
	pointCost(m.Cost, nil)
	for _, v := range [][]float64{m.Y, m.G} {
		for _, u := range v {
			if math.IsNaN(u) || math.IsInf(u, 0) {
				return fmt.Errorf("%w: entropic map holds %v", ErrInvalidProblem, u)
			}
		}
	}
	return nil
}

// entropicMapFile is the saved form: the cost by name.
type entropicMapFile struct {
	Format string `json:"format"`
	Cost   string `json:"cost"`
	*mapAlias
}

type mapAlias EntropicMap

// MarshalJSON writes the map with a format name and its cost by name.
func (m *EntropicMap) MarshalJSON() ([]byte, error) {
	return json.Marshal(entropicMapFile{Format: "ebieot-entropic-map", Cost: m.Cost.String(), mapAlias: (*mapAlias)(m)})
}

// UnmarshalJSON reads a saved map and validates it.
func (m *EntropicMap) UnmarshalJSON(b []byte) error {
	f := entropicMapFile{mapAlias: (*mapAlias)(m)}
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f.Format != "ebieot-entropic-map" {
		return fmt.Errorf("%w: format %q is not an ebieot entropic map", ErrInvalidProblem, f.Format)
	}
	k, err := ParseCost(f.Cost)
	if err != nil {
		return err
	}
	m.Cost = k
	return m.validate()
}
