package metrics

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// DefaultMedianPairs is the number of pairs MedianDistance looks at when
// its caller passes maxPairs ≤ 0: every pair of up to 1449 points.
const DefaultMedianPairs = 1 << 20

// MedianDistance returns the median Euclidean distance between distinct
// points of ref (for an even count, the mean of the two middle distances).
// Pairs of identical points are skipped: they carry no scale information and
// would give a zero bandwidth on data with repeated rows.
//
// When ref has more than maxPairs pairs (maxPairs ≤ 0 means
// DefaultMedianPairs), the median is taken over maxPairs pairs (i, j), i ≠ j,
// drawn uniformly with replacement by a PCG generator with a fixed seed, so
// the result is still a deterministic function of ref.
func MedianDistance(ref Points, maxPairs int) (float64, error) {
	if err := ref.Validate(); err != nil {
		return 0, fmt.Errorf("median distance: %w", err)
	}
	if ref.Rows < 2 {
		return 0, fmt.Errorf("median distance: %w: %d points, need 2", ErrTooFew, ref.Rows)
	}
	d2 := positivePairSqDistances(ref, maxPairs)
	if len(d2) == 0 {
		return 0, fmt.Errorf("median distance: %w: all %d points coincide", ErrInvalid, ref.Rows)
	}
	// Squared distances order like distances; take roots only of the middle.
	k := len(d2) / 2
	upper := math.Sqrt(vecmath.SelectKth(d2, k))
	if len(d2)%2 == 1 {
		return upper, nil
	}
	lower := math.Sqrt(slices.Max(d2[:k])) // selectKth left the k smallest in d2[:k]
	return 0.5 * (lower + upper), nil
}

// positivePairSqDistances returns the nonzero squared distances between
// distinct points of ref: of all pairs i < j when there are at most
// maxPairs of them (maxPairs ≤ 0 means DefaultMedianPairs), else of maxPairs
// pairs drawn as MedianDistance describes.
func positivePairSqDistances(ref Points, maxPairs int) []float64 {
	if maxPairs <= 0 {
		maxPairs = DefaultMedianPairs
	}
	n := ref.Rows
	var d2 []float64
	if all := n * (n - 1) / 2; all <= maxPairs {
		d2 = make([]float64, 0, all)
		for i := range n {
			xi := ref.Row(i)
			for j := i + 1; j < n; j++ {
				if s := squaredDistance(xi, ref.Row(j)); s > 0 {
					d2 = append(d2, s)
				}
			}
		}
	} else {
		rng := rand.New(rand.NewPCG(0x6d656469616e, 0x7061697273)) // fixed: "median", "pairs"
		d2 = make([]float64, 0, maxPairs)
		for range maxPairs {
			i := rng.IntN(n)
			j := rng.IntN(n - 1)
			if j >= i {
				j++
			}
			if s := squaredDistance(ref.Row(i), ref.Row(j)); s > 0 {
				d2 = append(d2, s)
			}
		}
	}
	return d2
}

// MedianBandwidths returns the five bandwidths s·2^{-2}, …, s·2^{2} with s
// the median pairwise distance of ref (see MedianDistance), the kernel of the
// paper's MMD.
func MedianBandwidths(ref Points, maxPairs int) ([]float64, error) {
	s, err := MedianDistance(ref, maxPairs)
	if err != nil {
		return nil, err
	}
	return []float64{s / 4, s / 2, s, 2 * s, 4 * s}, nil
}

// MMD2 returns the squared maximum mean discrepancy between the samples x
// and y under the kernel k(u,v) = mean_b exp(−‖u−v‖²/(2σ_b²)) over the given
// bandwidths σ_b:
//
//	MMD² = 1/(n(n−1)) Σ_{i≠j} k(x_i,x_j) + 1/(m(m−1)) Σ_{i≠j} k(y_i,y_j) − 2/(nm) Σ_{i,j} k(x_i,y_j)
//
// The within-set terms are U-statistics (diagonal excluded) and the cross
// term is the full mean, so the estimate of a zero population MMD² scatters
// around zero and can be slightly negative. Each set needs two points.
func MMD2(ctx context.Context, threads int, x, y Points, bandwidths []float64) (float64, error) {
	if err := validatePair(x, y, 2); err != nil {
		return 0, fmt.Errorf("mmd: %w", err)
	}
	k, err := newRBFMixture(bandwidths)
	if err != nil {
		return 0, fmt.Errorf("mmd: %w", err)
	}
	xx, err := k.pairSum(ctx, threads, x, x, true)
	if err != nil {
		return 0, fmt.Errorf("mmd: %w", err)
	}
	yy, err := k.pairSum(ctx, threads, y, y, true)
	if err != nil {
		return 0, fmt.Errorf("mmd: %w", err)
	}
	xy, err := k.pairSum(ctx, threads, x, y, false)
	if err != nil {
		return 0, fmt.Errorf("mmd: %w", err)
	}
	n, m := float64(x.Rows), float64(y.Rows)
	nb := float64(len(bandwidths))
	// pairSum counts each unordered within-set pair once.
	return (2*xx/(n*(n-1)) + 2*yy/(m*(m-1)) - 2*xy/(n*m)) / nb, nil
}

// MMD2WithMedian is MMD2 with MedianBandwidths(y, DefaultMedianPairs): the
// reference set is y, the real (held-out or ground-truth) sample, so that
// every model evaluated against the same y is measured with the same kernel.
// It returns the bandwidths it used.
func MMD2WithMedian(ctx context.Context, threads int, x, y Points) (float64, []float64, error) {
	bw, err := MedianBandwidths(y, 0)
	if err != nil {
		return 0, nil, fmt.Errorf("mmd bandwidths: %w", err)
	}
	v, err := MMD2(ctx, threads, x, y, bw)
	return v, bw, err
}

// rbfMixture evaluates Σ_b exp(−c_b·d²) for c_b = 1/(2σ_b²).
type rbfMixture struct {
	coef []float64 // sorted ascending
	// chain: the bandwidths halve exactly from one to the next, so that
	// c_{b+1} = 4·c_b and exp(−c_{b+1}d²) = exp(−c_b d²)⁴. One exp and two
	// squarings per extra bandwidth replace an exp each (the median
	// bandwidths s·2^{-2..2} are such a chain; the powers cost ~1e-13
	// relative error).
	chain bool
}

func newRBFMixture(bandwidths []float64) (*rbfMixture, error) {
	if len(bandwidths) == 0 {
		return nil, fmt.Errorf("%w: no bandwidths", ErrInvalid)
	}
	sorted := slices.Clone(bandwidths)
	for _, s := range sorted {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("%w: bandwidth %v must be positive and finite", ErrInvalid, s)
		}
	}
	slices.Sort(sorted)
	slices.Reverse(sorted) // widest first
	k := &rbfMixture{coef: make([]float64, len(sorted)), chain: true}
	for b, s := range sorted {
		k.coef[b] = 1 / (2 * s * s)
		if math.IsInf(k.coef[b], 0) {
			// 0·Inf at d² = 0 would turn the kernel into NaN.
			return nil, fmt.Errorf("%w: bandwidth %v is too small to square", ErrInvalid, s)
		}
		if b > 0 && sorted[b-1] != 2*s {
			k.chain = false
		}
	}
	return k, nil
}

// pairSum returns Σ_{i,j} Σ_b exp(−c_b‖a_i − b_j‖²), over i < j when upper
// (a and b are then the same set) and over all pairs otherwise.
func (k *rbfMixture) pairSum(ctx context.Context, threads int, a, b Points, upper bool) (float64, error) {
	parts := make([]float64, blockCount(a.Rows))
	err := forBlocks(ctx, threads, len(parts), func(blk int) {
		lo, hi := blk*blockRows, min((blk+1)*blockRows, a.Rows)
		d2 := make([]float64, b.Rows)
		var arg []float64
		if !k.chain {
			arg = make([]float64, b.Rows)
		}
		var acc float64
		for i := lo; i < hi; i++ {
			j0 := 0
			if upper {
				j0 = i + 1
			}
			acc += k.rowSum(a.Row(i), b, j0, d2, arg)
		}
		parts[blk] = acc
	})
	if err != nil {
		return 0, err
	}
	return sumInOrder(parts), nil
}

// rowSum returns Σ_{j ≥ j0} Σ_b exp(−c_b‖ai − b_j‖²). d2 and arg are
// scratch rows of length b.Rows. The arguments of a row are gathered first
// and exponentiated in one tight loop (vecmath.ExpTo, about twice as fast as
// math.Exp), which lets the CPU overlap the independent evaluations.
func (k *rbfMixture) rowSum(ai []float64, b Points, j0 int, d2, arg []float64) float64 {
	d2 = d2[:b.Rows-j0]
	// In a chain only −c_0·d² is needed: fold −c_0 into the distance pass.
	scale := -1.0
	if k.chain {
		scale = -k.coef[0]
	}
	if b.Cols == 2 {
		// The benchmark case: unrolled distance.
		a0, a1 := ai[0], ai[1]
		data := b.Data[2*j0 : 2*b.Rows]
		for j := range d2 {
			t0, t1 := a0-data[2*j], a1-data[2*j+1]
			d2[j] = scale * (t0*t0 + t1*t1)
		}
	} else {
		for j := range d2 {
			d2[j] = scale * squaredDistance(ai, b.Row(j0+j))
		}
	}
	var acc float64
	if k.chain {
		vecmath.ExpTo(d2, d2)
		steps := len(k.coef) - 1
		if steps == 4 {
			// The median bandwidths: the loop below, unrolled.
			for _, u := range d2 {
				u4 := u * u
				u4 *= u4
				u16 := u4 * u4
				u16 *= u16
				u64 := u16 * u16
				u64 *= u64
				u256 := u64 * u64
				u256 *= u256
				acc += u + u4 + u16 + u64 + u256
			}
			return acc
		}
		for _, u := range d2 {
			s := u
			for range steps {
				u *= u
				u *= u
				s += u
			}
			acc += s
		}
		return acc
	}
	arg = arg[:len(d2)]
	for _, c := range k.coef {
		for j, v := range d2 {
			arg[j] = c * v // d2 holds −‖·‖²
		}
		vecmath.ExpTo(arg, arg)
		for _, u := range arg {
			acc += u
		}
	}
	return acc
}
