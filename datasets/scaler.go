package datasets

import (
	"errors"
	"fmt"
	"math"
)

// Standardizer maps each column v to (v − Mean) / Std. Std is the population
// standard deviation (divisor n) of the fitted values; a column that is
// constant (spread below 1e-12 of its largest magnitude, i.e. rounding noise)
// or has no values gets Std = 1, so it is only centred and never divided by
// zero.
type Standardizer struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

// constantTolerance is the relative spread under which a column counts as
// constant: a mean of identical values can be off by a few ulps, and
// dividing by that residue would blow the column up.
const constantTolerance = 1e-12

// FitStandardizer fits a Standardizer on the rows of m.
func FitStandardizer(m Matrix) Standardizer {
	var s Standardizer
	s.Fit(m)
	return s
}

// Fit sets the mean and standard deviation of every column of m.
func (s *Standardizer) Fit(m Matrix) { *s = fitParts(m.Cols, m) }

// fitParts fits on the rows of several matrices without stacking them.
func fitParts(cols int, parts ...Matrix) Standardizer {
	var s Standardizer
	var scale []float64
	s.Mean, s.Std, scale = columnMoments(cols, parts...)
	for j := range s.Std {
		if !(s.Std[j] > constantTolerance*scale[j]) {
			s.Std[j] = 1
		}
	}
	return s
}

// columnMoments returns the mean, the population standard deviation and the
// largest magnitude of every column over the rows of all parts, which must
// have cols columns. It uses the corrected two-pass algorithm: the second
// pass also sums the residuals, which removes the rounding error of the
// first-pass mean; that matters for columns with a large offset and a small
// spread.
//
// Any finite values give a finite mean and deviation: a column whose sums
// overflow (magnitudes above about 1e150, whose squares do) is computed
// again on its values divided by a power of two near its largest
// magnitude, and the results are scaled back.
func columnMoments(cols int, parts ...Matrix) (mean, std, scale []float64) {
	mean, std, scale = make([]float64, cols), make([]float64, cols), make([]float64, cols)
	rows := 0
	for _, m := range parts {
		rows += m.Rows
		for i := range m.Rows {
			for j, v := range m.Row(i) {
				mean[j] += v
				scale[j] = math.Max(scale[j], math.Abs(v))
			}
		}
	}
	if rows == 0 {
		return mean, std, scale
	}
	n := float64(rows)
	for j := range cols {
		mean[j] /= n
	}
	resid := make([]float64, cols)
	for _, m := range parts {
		for i := range m.Rows {
			for j, v := range m.Row(i) {
				r := v - mean[j]
				resid[j] += r
				std[j] += r * r
			}
		}
	}
	for j := range cols {
		mean[j] += resid[j] / n
		std[j] = math.Sqrt(max(0, std[j]-resid[j]*resid[j]/n) / n)
		if !finite(mean[j]) || !finite(std[j]) {
			mean[j], std[j] = scaledMoments(j, scale[j], rows, parts)
		}
	}
	return mean, std, scale
}

// scaledMoments is columnMoments for column j of values so large that its
// sums overflow: the values are divided by a power of two 2^e ≥ their
// largest magnitude scale, so that they lie in [−1, 1] and no sum can
// overflow. The division is exact except for values that become
// subnormal, which are below 2^−1022 of the largest and do not matter.
func scaledMoments(j int, scale float64, rows int, parts []Matrix) (mean, std float64) {
	_, e := math.Frexp(scale) // scale = f·2^e with f in [0.5, 1)
	var sum float64
	for _, m := range parts {
		for i := range m.Rows {
			sum += math.Ldexp(m.Data[i*m.Cols+j], -e)
		}
	}
	n := float64(rows)
	mu := sum / n
	var ss, resid float64
	for _, m := range parts {
		for i := range m.Rows {
			r := math.Ldexp(m.Data[i*m.Cols+j], -e) - mu
			resid += r
			ss += r * r
		}
	}
	mu += resid / n
	sd := math.Sqrt(max(0, ss-resid*resid/n) / n)
	// Both are at most scale in exact arithmetic; rounding may push one
	// past the largest float64.
	clamp := func(v float64) float64 { return math.Max(-math.MaxFloat64, math.Min(math.MaxFloat64, v)) }
	return clamp(math.Ldexp(mu, e)), clamp(math.Ldexp(sd, e))
}

// Dim is the number of columns the standardizer applies to.
func (s Standardizer) Dim() int { return len(s.Mean) }

// Validate checks a standardizer that came from outside (a model file):
// matching lengths, finite means and finite positive deviations.
func (s Standardizer) Validate() error {
	if len(s.Mean) != len(s.Std) {
		return fmt.Errorf("standardizer has %d means but %d deviations", len(s.Mean), len(s.Std))
	}
	for j := range s.Mean {
		if math.IsNaN(s.Mean[j]) || math.IsInf(s.Mean[j], 0) {
			return fmt.Errorf("standardizer mean %d is %v", j+1, s.Mean[j])
		}
		if !(s.Std[j] > 0) || math.IsInf(s.Std[j], 0) {
			return fmt.Errorf("standardizer deviation %d is %v; want finite and positive", j+1, s.Std[j])
		}
	}
	return nil
}

// Transform returns the standardised copy of m. m must have Dim columns.
func (s Standardizer) Transform(m Matrix) Matrix {
	out := Matrix{Rows: m.Rows, Cols: m.Cols, Data: append([]float64(nil), m.Data...)}
	s.TransformInPlace(out)
	return out
}

// TransformInPlace standardises m in place. m must have Dim columns.
func (s Standardizer) TransformInPlace(m Matrix) {
	s.mustFit(m)
	for i := range m.Rows {
		s.TransformRow(m.Row(i))
	}
}

// TransformRow standardises one point in place. For the finite data a
// standardizer was fitted on the result is finite, even for values near
// the float64 limits, where v − Mean alone can overflow.
func (s Standardizer) TransformRow(v []float64) {
	for j := range v {
		d := v[j] - s.Mean[j]
		if math.IsInf(d, 0) {
			// Fit keeps Std above 1e-12 of the column's magnitude, so
			// both quotients are moderate.
			v[j] = v[j]/s.Std[j] - s.Mean[j]/s.Std[j]
			continue
		}
		v[j] = d / s.Std[j]
	}
}

// Inverse returns the copy of m mapped back to the original units.
func (s Standardizer) Inverse(m Matrix) Matrix {
	out := Matrix{Rows: m.Rows, Cols: m.Cols, Data: append([]float64(nil), m.Data...)}
	s.InverseInPlace(out)
	return out
}

// InverseInPlace maps m back to the original units in place.
func (s Standardizer) InverseInPlace(m Matrix) {
	s.mustFit(m)
	for i := range m.Rows {
		s.InverseRow(m.Row(i))
	}
}

// InverseRow maps one point back to the original units in place.
func (s Standardizer) InverseRow(v []float64) {
	for j := range v {
		r := v[j]*s.Std[j] + s.Mean[j]
		if math.IsInf(r, 0) {
			// v·Std may overflow while v·Std + Mean does not: a fused
			// multiply-add rounds only once, at the end.
			r = math.FMA(v[j], s.Std[j], s.Mean[j])
		}
		v[j] = r
	}
}

// LogDetJacobian is Σ log Std, the log-volume change of the inverse map:
// a density in original units is the standardised density times
// exp(−LogDetJacobian()).
func (s Standardizer) LogDetJacobian() float64 {
	var sum float64
	for _, v := range s.Std {
		sum += math.Log(v)
	}
	return sum
}

// mustFit panics when m does not have the standardizer's width: that is a
// programming error (shapes from files are checked by Validate and the
// readers), and silently misaligned columns would corrupt every result.
func (s Standardizer) mustFit(m Matrix) {
	if m.Rows > 0 && m.Cols != len(s.Mean) {
		panic(fmt.Sprintf("datasets: standardizer for %d columns applied to %d columns", len(s.Mean), m.Cols))
	}
}

// Scaler holds the standardisation of both sides of a data set.
type Scaler struct {
	X Standardizer `json:"x"`
	Y Standardizer `json:"y"`
}

// FitScaler fits X on every available x (the unpaired sources and the pairs'
// x's) and Y on every available y, which estimates each marginal from as
// many samples as there are.
func FitScaler(s *Streams) Scaler {
	return Scaler{X: fitParts(s.XDim(), s.SourceX, s.PairX), Y: fitParts(s.YDim(), s.TargetY, s.PairY)}
}

// Validate checks both sides.
func (sc Scaler) Validate() error {
	if err := sc.X.Validate(); err != nil {
		return fmt.Errorf("x scaler: %w", err)
	}
	if err := sc.Y.Validate(); err != nil {
		return fmt.Errorf("y scaler: %w", err)
	}
	return nil
}

// ErrScalerShape reports a scaler fitted on data of other dimensions.
var ErrScalerShape = errors.New("scaler does not match the data dimensions")

// Check reports whether the scaler fits the dimensions of s; call it before
// Apply when the scaler and the data come from different files.
func (sc Scaler) Check(s *Streams) error {
	if sc.X.Dim() != s.XDim() || sc.Y.Dim() != s.YDim() {
		return fmt.Errorf("%w: scaler for %d → %d dimensions, data %d → %d", ErrScalerShape, sc.X.Dim(), sc.Y.Dim(), s.XDim(), s.YDim())
	}
	return nil
}

// Apply returns standardised copies of every stream of s. The dimensions
// must agree (Check); a mismatch is a programming error and panics.
func (sc Scaler) Apply(s *Streams) *Streams {
	return &Streams{
		XNames:  append([]string(nil), s.XNames...),
		YNames:  append([]string(nil), s.YNames...),
		PairX:   sc.X.Transform(s.PairX),
		PairY:   sc.Y.Transform(s.PairY),
		SourceX: sc.X.Transform(s.SourceX),
		TargetY: sc.Y.Transform(s.TargetY),
	}
}

// IdentityScaler leaves both sides in their original units (mean 0, std 1
// for every column): for data already on a sensible scale, or to reproduce
// a published setting that works in raw units.
func IdentityScaler(dx, dy int) Scaler {
	ones := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	return Scaler{
		X: Standardizer{Mean: make([]float64, dx), Std: ones(dx)},
		Y: Standardizer{Mean: make([]float64, dy), Std: ones(dy)},
	}
}
