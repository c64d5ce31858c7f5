package sinkhorn

import (
	"context"
	"math"
	"slices"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// costSource yields cost rows, either from a stored matrix or computed from
// the points on demand (online mode).
type costSource struct {
	n, m, d int
	dense   []float64 // n×m, or nil when rows are computed
	x, y    []float64
	kind    CostKind
	fn      func(x, y []float64) float64
}

func newCostSource(p *Problem) *costSource {
	c := &costSource{n: p.N, m: p.M, d: p.D, x: p.X, y: p.Y, kind: p.Cost}
	if p.Cost == CostMatrix {
		c.dense = p.C
	} else {
		c.fn = pointCost(p.Cost, p.Func)
	}
	return c
}

// row returns C[i, j0:j1], a view of the stored matrix or computed into buf
// (len ≥ j1−j0).
func (c *costSource) row(i, j0, j1 int, buf []float64) []float64 {
	if c.dense != nil {
		return c.dense[i*c.m+j0 : i*c.m+j1]
	}
	buf = buf[:j1-j0]
	d := c.d
	xi := c.x[i*d : (i+1)*d]
	switch {
	case c.kind == SqEuclidean && d == 2:
		// The common low-dimensional case without a call per entry.
		x0, x1 := xi[0], xi[1]
		y := c.y[2*j0 : 2*j1]
		for k := range buf {
			a, b := x0-y[2*k], x1-y[2*k+1]
			buf[k] = a*a + b*b
		}
	case c.kind == SqEuclidean || c.kind == HalfSqEuclidean || c.kind == Euclidean:
		for k := range buf {
			s := sqDist(xi, c.y[(j0+k)*d:(j0+k+1)*d])
			switch c.kind {
			case HalfSqEuclidean:
				s *= 0.5
			case Euclidean:
				s = math.Sqrt(s)
			}
			buf[k] = s
		}
	default:
		for k := range buf {
			buf[k] = c.fn(xi, c.y[(j0+k)*d:(j0+k+1)*d])
		}
	}
	return buf
}

// at returns C_ij.
func (c *costSource) at(i, j int) float64 {
	if c.dense != nil {
		return c.dense[i*c.m+j]
	}
	var one [1]float64
	return c.row(i, j, j+1, one[:])[0]
}

// materialise returns a source backed by the full n×m matrix, computed in
// parallel row blocks.
func (c *costSource) materialise(ctx context.Context, threads int) (*costSource, error) {
	if c.dense != nil {
		return c, nil
	}
	dense := make([]float64, c.n*c.m)
	err := parallelBlocks(ctx, threads, c.n, func(_, i0, i1 int) {
		for i := i0; i < i1; i++ {
			c.row(i, 0, c.m, dense[i*c.m:(i+1)*c.m])
		}
	})
	if err != nil {
		return nil, err
	}
	out := *c
	out.dense = dense
	return &out, nil
}

// spread returns min and max of the cost (one pass over all entries).
func (c *costSource) spread(ctx context.Context, threads int) (lo, hi float64, err error) {
	los := make([]float64, blockCount(threads, c.n))
	his := make([]float64, len(los))
	err = parallelBlocks(ctx, threads, c.n, func(blk, i0, i1 int) {
		buf := make([]float64, c.m)
		l, h := math.Inf(1), math.Inf(-1)
		for i := i0; i < i1; i++ {
			for _, v := range c.row(i, 0, c.m, buf) {
				l = math.Min(l, v)
				h = math.Max(h, v)
			}
		}
		los[blk], his[blk] = l, h
	})
	return slices.Min(los), slices.Max(his), err
}

// maxMedianSample bounds the number of entries the median is taken over.
const maxMedianSample = 1 << 20

// median returns the median of all entries, or of a regular grid of rows and
// columns holding at most maxMedianSample entries.
func (c *costSource) median() float64 {
	rs, cs := 1, 1
	for (c.n/rs)*(c.m/cs) > maxMedianSample {
		if c.n/rs >= c.m/cs {
			rs++
		} else {
			cs++
		}
	}
	vals := make([]float64, 0, ((c.n+rs-1)/rs)*((c.m+cs-1)/cs))
	buf := make([]float64, c.m)
	for i := 0; i < c.n; i += rs {
		row := c.row(i, 0, c.m, buf)
		for j := 0; j < c.m; j += cs {
			vals = append(vals, row[j])
		}
	}
	k := len(vals) / 2
	hi := vecmath.SelectKth(vals, k)
	if len(vals)%2 == 1 {
		return hi
	}
	return 0.5 * (hi + slices.Max(vals[:k]))
}
