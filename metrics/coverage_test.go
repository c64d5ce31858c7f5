package metrics

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestCoverageFromScoresCounts(t *testing.T) {
	// k = 4 draws per row: covered at α when fewer than 5α draws score higher.
	draws := []float64{
		1, 2, 3, 4, // row 0, y scores 3.5: one draw higher
		1, 2, 3, 4, // row 1, y scores 0: four higher
		5, 5, 5, 5, // row 2, y scores 5: ties are not higher → zero
	}
	got, err := CoverageFromScores(draws, 4, []float64{3.5, 0, 5}, []float64{0.1, 0.5, 0.9})
	if err != nil {
		t.Fatal(err)
	}
	// α = 0.1: bound 0.5 → rows with rank 0 (row 2); α = 0.5: 2.5 → ranks 0, 1;
	// α = 0.9: 4.5 → all.
	want := []float64{1.0 / 3, 2.0 / 3, 1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("coverage %v, want %v", got, want)
		}
	}
	for _, bad := range [][]float64{{0}, {1}, {math.NaN()}, nil} {
		if _, err := CoverageFromScores(draws, 4, []float64{3.5, 0, 5}, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("levels %v: err = %v", bad, err)
		}
	}
	if _, err := CoverageFromScores(draws, 5, []float64{3.5, 0, 5}, []float64{0.5}); !errors.Is(err, ErrShape) {
		t.Errorf("wrong layout: err = %v", err)
	}
}

// correlatedDraws fills n rows of y = μ_i + scale·L z in 2-D with a fixed
// correlated L; row i uses mean means[i/perRow].
func correlatedDraws(rng *rand.Rand, means []float64, perRow int, scale float64) Points {
	const l00, l10, l11 = 1.0, 0.8, 0.4
	n := len(means) / 2 * perRow
	p := Points{Data: make([]float64, 2*n), Rows: n, Cols: 2}
	for i := range n {
		m := means[2*(i/perRow):]
		z0, z1 := rng.NormFloat64(), rng.NormFloat64()
		p.Data[2*i] = m[0] + scale*l00*z0
		p.Data[2*i+1] = m[1] + scale*(l10*z0+l11*z1)
	}
	return p
}

// Draws from the true conditional must cover at the nominal rate: the rank
// argument makes the probability ⌈α(k+1)⌉/(k+1), so the empirical coverage
// over n rows must lie within 4 binomial standard errors of that. Wider
// draws must over-cover and narrower ones under-cover.
func TestMahalanobisCoverageCalibration(t *testing.T) {
	const rows, perRow = 2000, 40
	k := perRow - perRow/2
	rng := rand.New(rand.NewPCG(51, 52))
	means := make([]float64, 2*rows)
	for i := range means {
		means[i] = 3 * rng.NormFloat64() // every row its own conditional
	}
	held := correlatedDraws(rng, means, 1, 1)
	levels := DefaultCoverageLevels()
	for _, c := range []struct {
		name  string
		scale float64
		check func(level, got, exact, tol float64) bool
	}{
		{"true conditional", 1, func(_, got, exact, tol float64) bool { return math.Abs(got-exact) <= tol }},
		{"over-dispersed ×1.5", 1.5, func(level, got, _, _ float64) bool { return got > level+0.5*(1-level) }},
		{"over-confident ×0.6", 0.6, func(level, got, _, _ float64) bool { return got < level-0.15 }},
	} {
		samples := correlatedDraws(rng, means, perRow, c.scale)
		got, err := MahalanobisCoverage(context.Background(), 0, samples, perRow, held, levels)
		if err != nil {
			t.Fatal(err)
		}
		for l, a := range levels {
			exact := math.Ceil(a*float64(k+1)) / float64(k+1)
			tol := 4 * math.Sqrt(exact*(1-exact)/rows)
			if !c.check(a, got[l], exact, tol) {
				t.Errorf("%s: coverage at %.2f is %.4f (exact rate %.4f ± %.4f)", c.name, a, got[l], exact, tol)
			}
		}
	}
}

// With exact log-densities as scores (no fitting), a calibrated sampler in
// 1-D covers at the nominal rate too.
func TestCoverageFromLogDensityScores(t *testing.T) {
	const rows, perRow = 3000, 19
	rng := rand.New(rand.NewPCG(53, 54))
	logDensity := func(y, mu float64) float64 { return -0.5 * (y - mu) * (y - mu) }
	draws := make([]float64, rows*perRow)
	held := make([]float64, rows)
	for i := range rows {
		mu := rng.NormFloat64()
		held[i] = logDensity(mu+rng.NormFloat64(), mu)
		for j := range perRow {
			draws[i*perRow+j] = logDensity(mu+rng.NormFloat64(), mu)
		}
	}
	got, err := CoverageFromScores(draws, perRow, held, []float64{0.5, 0.9})
	if err != nil {
		t.Fatal(err)
	}
	for l, a := range []float64{0.5, 0.9} {
		exact := math.Ceil(a*(perRow+1)) / (perRow + 1)
		if tol := 4 * math.Sqrt(exact*(1-exact)/rows); math.Abs(got[l]-exact) > tol {
			t.Errorf("coverage at %.2f is %.4f, exact rate %.4f ± %.4f", a, got[l], exact, tol)
		}
	}
}

func TestMahalanobisCoverageDegenerateDraws(t *testing.T) {
	// Fewer fitting draws than dimensions and identical draws must still
	// give a result, through the ridge and the Euclidean fallback.
	const dim, perRow = 6, 6
	rng := rand.New(rand.NewPCG(55, 56))
	held := gaussianPoints(rng, 3, make([]float64, dim), []float64{1, 1, 1, 1, 1, 1})
	samples := gaussianPoints(rng, 3*perRow, make([]float64, dim), []float64{1, 1, 1, 1, 1, 1})
	for k := range perRow * dim {
		samples.Data[k] = 0.5 // row 0: all draws equal
	}
	if _, err := MahalanobisCoverage(context.Background(), 0, samples, perRow, held, []float64{0.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := MahalanobisCoverage(context.Background(), 0, samples.Slice(0, 9), 3, held, []float64{0.5}); !errors.Is(err, ErrTooFew) {
		t.Fatalf("3 draws per row: err = %v", err)
	}
}
