package metrics

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteKernel is the kernel mean written out with one exp per bandwidth.
func bruteKernel(u, v []float64, bw []float64) float64 {
	var s float64
	for _, sigma := range bw {
		s += math.Exp(-squaredDistance(u, v) / (2 * sigma * sigma))
	}
	return s / float64(len(bw))
}

func bruteMMD2(x, y Points, bw []float64) float64 {
	var xx, yy, xy float64
	for i := range x.Rows {
		for j := range x.Rows {
			if i != j {
				xx += bruteKernel(x.Row(i), x.Row(j), bw)
			}
		}
		for j := range y.Rows {
			xy += bruteKernel(x.Row(i), y.Row(j), bw)
		}
	}
	for i := range y.Rows {
		for j := range y.Rows {
			if i != j {
				yy += bruteKernel(y.Row(i), y.Row(j), bw)
			}
		}
	}
	n, m := float64(x.Rows), float64(y.Rows)
	return xx/(n*(n-1)) + yy/(m*(m-1)) - 2*xy/(n*m)
}

var testBandwidthSets = map[string][]float64{
	"halving chain":   {0.25, 0.5, 1, 2, 4},
	"unordered chain": {2, 0.5, 4, 1, 0.25},
	"short chain":     {0.5, 1, 2},
	"general":         {0.3, 0.7, 1.9},
	"single":          {0.8},
}

func TestMMD2MatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for _, dim := range []int{1, 2, 5} {
		mean := make([]float64, dim)
		sd := make([]float64, dim)
		for k := range dim {
			sd[k] = 1
		}
		// 70 rows span three blocks, the last one partial.
		x := gaussianPoints(rng, 70, mean, sd)
		mean[0] = 0.5
		y := gaussianPoints(rng, 45, mean, sd)
		for name, bw := range testBandwidthSets {
			got, err := MMD2(ctx, 0, x, y, bw)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteMMD2(x, y, bw)
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("dim %d, %s: MMD2 = %.17g, brute force %.17g", dim, name, got, want)
			}
		}
	}
}

// Comparing a set with itself gives a closed form: the cross term includes
// the diagonal k(x,x) = 1, so MMD² = 2U − 2((n−1)U + 1)/n = −2(1−U)/n with U
// the within-set U-statistic.
func TestMMD2OfSetWithItself(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := gaussianPoints(rng, 300, []float64{0, 0}, []float64{1, 2})
	bw := []float64{0.25, 0.5, 1, 2, 4}
	var u float64
	for i := range x.Rows {
		for j := range x.Rows {
			if i != j {
				u += bruteKernel(x.Row(i), x.Row(j), bw)
			}
		}
	}
	n := float64(x.Rows)
	u /= n * (n - 1)
	want := -2 * (1 - u) / n
	got, err := MMD2(context.Background(), 0, x, x, bw)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-13 {
		t.Fatalf("MMD2(x, 0, x) = %.17g, want −2(1−U)/n = %.17g", got, want)
	}
	if got >= 0 || got < -2/n {
		t.Fatalf("MMD2(x, 0, x) = %g, want in [−2/n, 0)", got)
	}
}

// gaussianKernelMean is E exp(−‖U‖²/(2σ²)) for U ~ N(m, v·I) in dim
// dimensions: (σ²/(σ²+v))^{dim/2} · exp(−‖m‖²/(2(σ²+v))).
func gaussianKernelMean(m2, v, sigma float64, dim int) float64 {
	s2 := sigma * sigma
	return math.Pow(s2/(s2+v), float64(dim)/2) * math.Exp(-m2/(2*(s2+v)))
}

// populationMMD2 is the MMD² between N(μ1, s1²I) and N(μ2, s2²I) under the
// bandwidth mixture: X−X′ ~ N(0, 2s1²I), Y−Y′ ~ N(0, 2s2²I),
// X−Y ~ N(μ1−μ2, (s1²+s2²)I).
func populationMMD2(shift2, s1, s2 float64, dim int, bw []float64) float64 {
	var v float64
	for _, sigma := range bw {
		v += gaussianKernelMean(0, 2*s1*s1, sigma, dim) + gaussianKernelMean(0, 2*s2*s2, sigma, dim) -
			2*gaussianKernelMean(shift2, s1*s1+s2*s2, sigma, dim)
	}
	return v / float64(len(bw))
}

// The estimator is unbiased: the mean of independent estimates must agree
// with the population value within 4 standard errors of that mean.
func TestMMD2AgainstGaussianClosedForm(t *testing.T) {
	const reps, n = 16, 600
	bw := []float64{0.25, 0.5, 1, 2, 4}
	cases := []struct {
		name        string
		mu2, s1, s2 float64
	}{
		{"equal laws", 0, 1, 1},
		{"shifted", 0.4, 1, 1},
		{"shifted and wider", 0.3, 1, 1.3},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range cases {
		want := populationMMD2(2*c.mu2*c.mu2, c.s1, c.s2, 2, bw)
		est := make([]float64, reps)
		for r := range est {
			x := gaussianPoints(rng, n, []float64{0, 0}, []float64{c.s1, c.s1})
			y := gaussianPoints(rng, n, []float64{c.mu2, c.mu2}, []float64{c.s2, c.s2})
			v, err := MMD2(context.Background(), 0, x, y, bw)
			if err != nil {
				t.Fatal(err)
			}
			est[r] = v
		}
		mean, sd := meanSD(est)
		tol := 4 * sd / math.Sqrt(reps)
		if math.Abs(mean-want) > tol {
			t.Errorf("%s: mean estimate %.3g ± %.2g, population MMD² %.3g", c.name, mean, tol, want)
		}
		if c.mu2 != 0 && !(want > 4*tol) {
			t.Errorf("%s: population MMD² %.3g not resolved by the test (tolerance %.2g)", c.name, want, tol)
		}
	}
}

func TestMMD2IdenticalBitsForAnyThreadCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := gaussianPoints(rng, 500, []float64{0, 0, 0}, []float64{1, 1, 1})
	y := gaussianPoints(rng, 333, []float64{0.1, 0, 0}, []float64{1, 1, 1})
	bw, err := MedianBandwidths(y, 0)
	if err != nil {
		t.Fatal(err)
	}
	var first float64
	for i, procs := range []int{1, 2, 3, 7} {
		v, err := MMD2(context.Background(), procs, x, y, bw)
		if err != nil {
			t.Fatal(err)
		}
		e, err := EnergyDistance(context.Background(), procs, x, y)
		if err != nil {
			t.Fatal(err)
		}
		v += e
		if i == 0 {
			first = v
		} else if math.Float64bits(v) != math.Float64bits(first) {
			t.Fatalf("%d threads: %.17g, 1 thread: %.17g", procs, v, first)
		}
	}
}

func TestMedianDistance(t *testing.T) {
	line := func(v ...float64) Points { return Points{Data: v, Rows: len(v), Cols: 1} }
	cases := []struct {
		p    Points
		want float64
	}{
		{line(0, 1, 3), 2},      // distances 1, 3, 2
		{line(0, 1, 3, 7), 3.5}, // 1 3 7 2 6 4: mean of 3 and 4
		// Zero distances skipped: (0,1)×4 = 1, (0,5)×2 = 5, (1,5)×2 = 4
		// → 1 1 1 1 4 4 5 5 → (1+4)/2.
		{line(0, 0, 1, 1, 5), 2.5},
		{Points{Data: []float64{0, 0, 3, 4}, Rows: 2, Cols: 2}, 5},
	}
	for i, c := range cases {
		got, err := MedianDistance(c.p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("case %d: median %v, want %v", i, got, c.want)
		}
	}
	bw, err := MedianBandwidths(line(0, 1, 3), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bw, []float64{0.5, 1, 2, 4, 8}) {
		t.Errorf("bandwidths %v, want s·2^{-2..2} with s = 2", bw)
	}
	if _, err := MedianDistance(line(2, 2, 2), 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("coinciding points: err = %v, want ErrInvalid", err)
	}
}

// Above maxPairs the median comes from a fixed-seed subsample: it must be
// reproducible and close to the exact median (the sample median of 20 000
// pairs has a relative standard error near 1%).
func TestMedianDistanceSubsample(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := gaussianPoints(rng, 800, []float64{0, 0}, []float64{1, 3})
	exact, err := MedianDistance(p, 800*799/2)
	if err != nil {
		t.Fatal(err)
	}
	a, err := MedianDistance(p, 20000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MedianDistance(p, 20000)
	if a != b {
		t.Fatalf("subsampled median not reproducible: %v vs %v", a, b)
	}
	if math.Abs(a-exact) > 0.04*exact {
		t.Fatalf("subsampled median %v, exact %v", a, exact)
	}
	if a == exact {
		t.Fatalf("subsampled median equals the exact one bit for bit: subsampling not exercised")
	}
}
func TestMMD2Errors(t *testing.T) {
	ctx := context.Background()
	two := Points{Data: []float64{0, 0, 1, 1}, Rows: 2, Cols: 2}
	cases := []struct {
		name string
		x, y Points
		bw   []float64
		want error
	}{
		{"dimension mismatch", two, Points{Data: []float64{0, 1, 2}, Rows: 3, Cols: 1}, []float64{1}, ErrShape},
		{"storage mismatch", Points{Data: []float64{0, 0, 1}, Rows: 2, Cols: 2}, two, []float64{1}, ErrShape},
		{"one point", Points{Data: []float64{0, 0}, Rows: 1, Cols: 2}, two, []float64{1}, ErrTooFew},
		{"zero bandwidth", two, two, []float64{1, 0}, ErrInvalid},
		{"no bandwidth", two, two, nil, ErrInvalid},
		{"underflowing bandwidth", two, two, []float64{1e-200}, ErrInvalid},
		{"NaN point", Points{Data: []float64{0, math.NaN(), 1, 1}, Rows: 2, Cols: 2}, two, []float64{1}, ErrInvalid},
	}
	for _, c := range cases {
		if _, err := MMD2(ctx, 0, c.x, c.y, c.bw); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := MMD2(cancelled, 0, two, two, []float64{1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestMMD2WithMedianUsesSecondSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := gaussianPoints(rng, 100, []float64{0, 0}, []float64{5, 5})
	y := gaussianPoints(rng, 120, []float64{0, 0}, []float64{1, 1})
	v, bw, err := MMD2WithMedian(context.Background(), 0, x, y)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := MedianBandwidths(y, 0)
	if !slices.Equal(bw, want) {
		t.Fatalf("bandwidths %v, want the median bandwidths of y %v", bw, want)
	}
	if direct := bruteMMD2(x, y, bw); math.Abs(v-direct) > 1e-12 {
		t.Fatalf("MMD2WithMedian %v, brute force %v", v, direct)
	}
}
