package eot

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/sinkhorn"
)

func rotCost(x, y []float64) float64 {
	p1, p2 := x[0]+y[1], x[1]-y[0] // x − R₊y, R₊y = (−y₂, y₁)
	m1, m2 := x[0]-y[1], x[1]+y[0] // x − R₋y
	return math.Sqrt(math.Min(p1*p1+p2*p2, m1*m1+m2*m2))
}

// TestSwissRollBenchmarkFollowsTheRecipe replays docs/method.md §7.1 by hand for
// one pair with the same random stream and expects the same numbers.
func TestSwissRollBenchmarkFollowsTheRecipe(t *testing.T) {
	got, err := SwissRollBenchmark(context.Background(), rand.New(rand.NewPCG(3, 4)), 1, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := datasets.StandardNormal(rng, 64, 2), datasets.SwissRollY(rng, 64)
	res, err := sinkhorn.Solve(context.Background(), &sinkhorn.Problem{X: x.Data, Y: y.Data, N: 64, M: 64, D: 2, Cost: sinkhorn.Rotation},
		sinkhorn.Options{Eps: 0.05, Tol: 1e-9, MaxIter: 1000, Annealing: sinkhorn.AnnealOff, Threads: 1})
	if res == nil {
		t.Fatal(err)
	}
	pr := res.SamplePairs(rng, 1)[0]
	if !slices.Equal(got.PairX.Row(0), x.Row(pr.I)) || !slices.Equal(got.PairY.Row(0), y.Row(pr.J)) {
		t.Errorf("pair (%v, %v), by hand (%v, %v)", got.PairX.Row(0), got.PairY.Row(0), x.Row(pr.I), y.Row(pr.J))
	}
}

func TestSwissRollBenchmarkShapesAndPairing(t *testing.T) {
	const p, q, r = 200, 50, 70
	s, err := SwissRollBenchmark(context.Background(), rand.New(rand.NewPCG(1, 2)), p, q, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.PairX.Rows != p || s.SourceX.Rows != q || s.TargetY.Rows != r ||
		!slices.Equal(s.XNames, []string{"x1", "x2"}) || !slices.Equal(s.YNames, []string{"y1", "y2"}) {
		t.Fatalf("shapes %d/%d/%d, names %v %v", s.PairX.Rows, s.SourceX.Rows, s.TargetY.Rows, s.XNames, s.YNames)
	}
	again, err := SwissRollBenchmark(context.Background(), rand.New(rand.NewPCG(1, 2)), p, q, r)
	if err != nil || !slices.Equal(s.PairX.Data, again.PairX.Data) || !slices.Equal(s.PairY.Data, again.PairY.Data) ||
		!slices.Equal(s.TargetY.Data, again.TargetY.Data) {
		t.Fatal("same seed, different data")
	}
	// OT pairs are much cheaper under the rotation cost than the same points
	// paired at random (shifted by one): with 200 pairs the means differ by
	// many standard errors.
	var paired, shuffled float64
	for i := range p {
		paired += rotCost(s.PairX.Row(i), s.PairY.Row(i))
		shuffled += rotCost(s.PairX.Row(i), s.PairY.Row((i+1)%p))
	}
	paired /= p
	shuffled /= p
	if paired > 0.6*shuffled {
		t.Errorf("mean rotation cost of pairs %v, of shuffled pairs %v", paired, shuffled)
	}
	// Paired y's lie on the roll: radius in [1.5π, 4.5π]/7.5 up to the noise.
	for i := range p {
		rad := math.Hypot(s.PairY.Row(i)[0], s.PairY.Row(i)[1])
		if rad < datasets.SwissRollTMin/datasets.SwissRollScale-0.5 || rad > datasets.SwissRollTMax/datasets.SwissRollScale+0.5 {
			t.Fatalf("paired y %v off the roll", s.PairY.Row(i))
		}
	}
	if _, err := SwissRollBenchmark(context.Background(), rand.New(rand.NewPCG(1, 2)), -1, 0, 0); err == nil {
		t.Error("negative size accepted")
	}
}

// TestSwissRollConditional: samples are the targets row x0 favours, so they
// are closer to x0 under the rotation cost than marginal samples, differ
// between probes, and k = 1 gives marginal samples.
func TestSwissRollConditional(t *testing.T) {
	ctx := context.Background()
	const n = 100
	marg := datasets.SwissRollY(rand.New(rand.NewPCG(9, 9)), n)
	means := map[[2]float64][]float64{}
	for _, x0 := range [][2]float64{{-2, 0}, {2, 2}} {
		got, err := SwissRollConditional(ctx, rand.New(rand.NewPCG(5, 6)), x0[:], n, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows != n || got.Cols != 2 {
			t.Fatalf("%d×%d samples", got.Rows, got.Cols)
		}
		var cond, base float64
		mean := make([]float64, 2)
		for i := range n {
			cond += rotCost(x0[:], got.Row(i)) / n
			base += rotCost(x0[:], marg.Row(i)) / n
			mean[0] += got.Row(i)[0] / n
			mean[1] += got.Row(i)[1] / n
		}
		if cond > 0.8*base {
			t.Errorf("x0 = %v: mean rotation cost to conditional samples %v, to marginal samples %v", x0, cond, base)
		}
		means[x0] = mean
	}
	a, b := means[[2]float64{-2, 0}], means[[2]float64{2, 2}]
	if math.Hypot(a[0]-b[0], a[1]-b[1]) < 0.3 {
		t.Errorf("conditional means at two probes are too close: %v, %v", a, b)
	}
	// k = 1: the only target is kept, so the samples are the marginal draws.
	one, err := SwissRollConditional(ctx, rand.New(rand.NewPCG(7, 7)), []float64{0, 0}, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 5 {
		_ = datasets.StandardNormal(rng, 0, 2)
		if want := datasets.SwissRollY(rng, 1); !slices.Equal(one.Row(i), want.Row(0)) {
			t.Fatalf("k=1 sample %d = %v, want %v", i, one.Row(i), want.Row(0))
		}
	}
	if _, err := SwissRollConditional(ctx, rng, []float64{0}, 5, 64); err == nil {
		t.Error("1-D probe accepted")
	}
	if _, err := SwissRollConditional(ctx, rng, []float64{0, 0}, 5, 0); err == nil {
		t.Error("k = 0 accepted")
	}
}
