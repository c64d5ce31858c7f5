package metrics

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func bruteEnergyDistance(x, y Points) float64 {
	mean := func(a, b Points, skipDiagonal bool) float64 {
		var s float64
		var n int
		for i := range a.Rows {
			for j := range b.Rows {
				if skipDiagonal && i == j {
					continue
				}
				s += math.Sqrt(squaredDistance(a.Row(i), b.Row(j)))
				n++
			}
		}
		return s / float64(n)
	}
	return 2*mean(x, y, false) - mean(x, x, true) - mean(y, y, true)
}

func TestEnergyDistanceMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, dim := range []int{1, 3} {
		mean, sd := make([]float64, dim), make([]float64, dim)
		for k := range sd {
			sd[k] = 1
		}
		x := gaussianPoints(rng, 77, mean, sd)
		mean[0] = 1
		y := gaussianPoints(rng, 40, mean, sd)
		got, err := EnergyDistance(context.Background(), 0, x, y)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteEnergyDistance(x, y); !relClose(got, want, 1e-13) {
			t.Errorf("dim %d: energy distance %.17g, brute force %.17g", dim, got, want)
		}
	}
}

// absNormalMean is E|U| for U ~ N(m, v).
func absNormalMean(m, v float64) float64 {
	s := math.Sqrt(v)
	return s*math.Sqrt(2/math.Pi)*math.Exp(-m*m/(2*v)) + m*math.Erf(m/(s*math.Sqrt2))
}

// In 1-D the population energy distance between normals follows from
// E|U| for U ~ N(m, v): the mean of independent unbiased estimates must match
// it within 4 standard errors.
func TestEnergyDistanceAgainstNormalClosedForm(t *testing.T) {
	const reps, n = 16, 400
	m1, s1, m2, s2 := 0.0, 1.0, 1.0, 2.0
	want := 2*absNormalMean(m1-m2, s1*s1+s2*s2) - absNormalMean(0, 2*s1*s1) - absNormalMean(0, 2*s2*s2)
	rng := rand.New(rand.NewPCG(33, 34))
	est := make([]float64, reps)
	for r := range est {
		x := gaussianPoints(rng, n, []float64{m1}, []float64{s1})
		y := gaussianPoints(rng, n, []float64{m2}, []float64{s2})
		v, err := EnergyDistance(context.Background(), 0, x, y)
		if err != nil {
			t.Fatal(err)
		}
		est[r] = v
	}
	mean, sd := meanSD(est)
	if tol := 4 * sd / math.Sqrt(reps); math.Abs(mean-want) > tol || !(want > 4*tol) {
		t.Fatalf("mean estimate %.4g ± %.2g, population energy distance %.4g", mean, tol, want)
	}
}

func bruteEnergyScore(samples Points, y []float64) float64 {
	m := samples.Rows
	var toObs, spread float64
	for i := range m {
		toObs += math.Sqrt(squaredDistance(samples.Row(i), y))
		for j := range m {
			if i != j {
				spread += math.Sqrt(squaredDistance(samples.Row(i), samples.Row(j)))
			}
		}
	}
	return toObs/float64(m) - 0.5*spread/float64(m*(m-1))
}

func TestEnergyScoreMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	samples := gaussianPoints(rng, 50, []float64{0, 1, 2}, []float64{1, 2, 0.5})
	y := []float64{0.3, -1, 2}
	got, err := EnergyScore(samples, y)
	if err != nil {
		t.Fatal(err)
	}
	if want := bruteEnergyScore(samples, y); !relClose(got, want, 1e-13) {
		t.Fatalf("energy score %.17g, brute force %.17g", got, want)
	}
}

// normalCRPS is the CRPS of N(0, 1) at y (Gneiting & Raftery 2007):
// y(2Φ(y) − 1) + 2φ(y) − 1/√π.
func normalCRPS(y float64) float64 {
	phi := math.Exp(-y*y/2) / math.Sqrt(2*math.Pi)
	cdf := 0.5 * math.Erfc(-y/math.Sqrt2)
	return y*(2*cdf-1) + 2*phi - 1/math.Sqrt(math.Pi)
}

// In 1-D the energy score is the CRPS. Each row's estimate is unbiased, so
// the mean difference to the closed form over independent rows must vanish
// within 4 standard errors; the rows also check the held-out layout.
func TestMeanEnergyScoreAgainstCRPS(t *testing.T) {
	const rows, perRow = 300, 100
	rng := rand.New(rand.NewPCG(37, 38))
	held := gaussianPoints(rng, rows, []float64{0}, []float64{1.3})
	samples := gaussianPoints(rng, rows*perRow, []float64{0}, []float64{1})
	scores, summary, err := MeanEnergyScore(context.Background(), 0, samples, perRow, held)
	if err != nil {
		t.Fatal(err)
	}
	diff := make([]float64, rows)
	for i := range rows {
		one, err := EnergyScore(samples.Slice(i*perRow, (i+1)*perRow), held.Row(i))
		if err != nil {
			t.Fatal(err)
		}
		if one != scores[i] {
			t.Fatalf("row %d: %v from MeanEnergyScore, %v alone", i, scores[i], one)
		}
		diff[i] = scores[i] - normalCRPS(held.Data[i])
	}
	m, sd := meanSD(diff)
	if tol := 4 * sd / math.Sqrt(rows); math.Abs(m) > tol {
		t.Fatalf("mean energy score − CRPS = %.3g, tolerance %.2g", m, tol)
	}
	if want, _ := Summarize(scores); summary != want {
		t.Fatalf("summary %+v, want %+v", summary, want)
	}
}

func TestEnergyScoreErrors(t *testing.T) {
	two := Points{Data: []float64{0, 0, 1, 1}, Rows: 2, Cols: 2}
	if _, err := EnergyScore(two, []float64{0}); !errors.Is(err, ErrShape) {
		t.Errorf("wrong observation length: err = %v", err)
	}
	if _, err := EnergyScore(two.Slice(0, 1), []float64{0, 0}); !errors.Is(err, ErrTooFew) {
		t.Errorf("one sample: err = %v", err)
	}
	if _, err := EnergyScore(two, []float64{0, math.Inf(1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("infinite observation: err = %v", err)
	}
	held := Points{Data: []float64{0, 0}, Rows: 1, Cols: 2}
	if _, _, err := MeanEnergyScore(context.Background(), 0, two, 3, held); !errors.Is(err, ErrShape) {
		t.Errorf("2 samples for 1 row × 3: err = %v", err)
	}
	if _, err := EnergyDistance(context.Background(), 0, two, held); !errors.Is(err, ErrTooFew) {
		t.Errorf("energy distance with one point: err = %v", err)
	}
}
