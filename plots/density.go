package plots

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"
)

// autoBins chooses a histogram's bin count from its sample size: about
// 2·n^(1/3) (Terrell–Scott), between 10 and 60.
func autoBins(n int) int {
	return min(60, max(10, int(math.Ceil(2*math.Cbrt(float64(n))))))
}

// histogramSteps bins the finite values on [lo, hi] and returns the step
// outline of their density: counts over (all finite values × bin width), so
// that values outside the range lower the area instead of piling up at the
// edges.
func histogramSteps(values []float64, lo, hi float64, bins int) plotter.XYs {
	if !(hi > lo) {
		d := math.Max(math.Abs(lo)*0.05, 0.5)
		lo, hi = lo-d, hi+d
	}
	counts := make([]float64, bins)
	n := 0
	w := (hi - lo) / float64(bins)
	for _, v := range values {
		if !finite(v) {
			continue
		}
		n++
		if v < lo || v > hi {
			continue
		}
		k := min(int((v-lo)/w), bins-1)
		counts[k]++
	}
	steps := make(plotter.XYs, 0, 2*bins)
	for k, c := range counts {
		d := c / (float64(n) * w)
		steps = append(steps, plotter.XY{X: lo + float64(k)*w, Y: d}, plotter.XY{X: lo + float64(k+1)*w, Y: d})
	}
	return steps
}

// silverman is Silverman's rule-of-thumb bandwidth, 0.9·min(sd, IQR/1.34)
// ·n^(−1/5), falling back to whichever spread is positive when one is zero
// (a sample that is mostly one value), and to a small width when both are.
func silverman(v []float64) float64 {
	n := float64(len(v))
	var mean, m2 float64
	for i, x := range v {
		d := x - mean
		mean += d / float64(i+1)
		m2 += d * (x - mean)
	}
	sd := math.Sqrt(m2 / math.Max(n-1, 1))
	s := slices.Clone(v)
	slices.Sort(s)
	iqr := (quantileSorted(s, 0.75) - quantileSorted(s, 0.25)) / 1.34
	spread := math.Min(sd, iqr)
	if spread <= 0 {
		spread = math.Max(sd, iqr)
	}
	if spread <= 0 {
		spread = math.Max(math.Abs(mean)*1e-3, 1e-3)
	}
	return 0.9 * spread * math.Pow(n, -0.2)
}

// kde evaluates a Gaussian kernel density estimate of the finite values at
// m points on [lo, hi]. The values are first binned on a grid much finer
// than the bandwidth, which keeps the cost independent of the sample size.
func kde(values []float64, bw, lo, hi float64, m int) plotter.XYs {
	v := make([]float64, 0, len(values))
	for _, x := range values {
		if finite(x) {
			v = append(v, x)
		}
	}
	if bw == 0 {
		bw = silverman(v)
	}
	const fine = 2048
	a, b := lo-4*bw, hi+4*bw
	fw := (b - a) / fine
	// A kernel narrower than the binning would show the bins.
	bw = math.Max(bw, 1.5*fw)
	weights := make([]float64, fine)
	for _, x := range v {
		if x < a || x >= b {
			continue
		}
		weights[min(int((x-a)/fw), fine-1)]++
	}
	norm := 1 / (float64(len(v)) * bw * math.Sqrt(2*math.Pi))
	reach := int(math.Ceil(4 * bw / fw))
	out := make(plotter.XYs, m)
	for i := range out {
		x := lo + (hi-lo)*float64(i)/float64(m-1)
		c := int((x - a) / fw)
		var d float64
		for k := max(0, c-reach); k <= min(fine-1, c+reach); k++ {
			if weights[k] == 0 {
				continue
			}
			z := (x - (a + (float64(k)+0.5)*fw)) / bw
			d += weights[k] * math.Exp(-0.5*z*z)
		}
		out[i] = plotter.XY{X: x, Y: d * norm}
	}
	return out
}

// PIT returns the probability integral transform of every observed value
// under a model's draws: for row i and coordinate j, the rank of
// observed[i·dim+j] among the perRow draws[(i·perRow+k)·dim+j] (the number
// below it, ties counting half), as (rank + ½)/(perRow + 1). When the
// observed value is one more draw from the model's conditional, each
// value is uniform on (0, 1); a U-shaped histogram means over-confident
// predictions, a hump over-dispersed ones, a slope a bias. perRow = 99
// makes the 100 possible ranks fall evenly into 10 or 20 bins.
func PIT(draws []float64, perRow int, observed []float64, dim int) ([]float64, error) {
	if dim < 1 || perRow < 1 || len(observed)%dim != 0 || len(draws) != len(observed)*perRow {
		return nil, fmt.Errorf("%w: PIT of %d observed values in rows of %d against %d draws, %d per row", ErrInput, len(observed), dim, len(draws), perRow)
	}
	rows := len(observed) / dim
	out := make([]float64, 0, len(observed))
	for i := range rows {
		for j := range dim {
			y := observed[i*dim+j]
			if !finite(y) {
				continue
			}
			var below float64
			for k := range perRow {
				switch d := draws[(i*perRow+k)*dim+j]; {
				case d < y:
					below++
				case d == y:
					below += 0.5
				}
			}
			out = append(out, (below+0.5)/float64(perRow+1))
		}
	}
	return out, nil
}
