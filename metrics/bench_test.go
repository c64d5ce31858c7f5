package metrics

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkMMD2 is the Swiss-roll evaluation size: 1024 vs 1024 points in
// 2-D with the five median bandwidths.
func BenchmarkMMD2(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := gaussianPoints(rng, 1024, []float64{0, 0}, []float64{1, 1})
	y := gaussianPoints(rng, 1024, []float64{0.2, 0}, []float64{1, 1})
	bw, err := MedianBandwidths(y, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MMD2(context.Background(), 0, x, y, bw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMMD2General uses bandwidths that are not a halving chain: one
// exp per bandwidth.
func BenchmarkMMD2General(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := gaussianPoints(rng, 1024, []float64{0, 0}, []float64{1, 1})
	y := gaussianPoints(rng, 1024, []float64{0.2, 0}, []float64{1, 1})
	bw := []float64{0.3, 0.6, 1.1, 2.3, 4.7}
	for b.Loop() {
		if _, err := MMD2(context.Background(), 0, x, y, bw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMedianBandwidths(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	y := gaussianPoints(rng, 1024, []float64{0.2, 0}, []float64{1, 1})
	for b.Loop() {
		if _, err := MedianBandwidths(y, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMMD2Weather is the weather shape: 500 vs 500 points in 94-d.
func BenchmarkMMD2Weather(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	mean, sd := make([]float64, 94), make([]float64, 94)
	for k := range sd {
		sd[k] = 1
	}
	x := gaussianPoints(rng, 500, mean, sd)
	y := gaussianPoints(rng, 500, mean, sd)
	bw, err := MedianBandwidths(y, 0)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := MMD2(context.Background(), 0, x, y, bw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEnergyDistance(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := gaussianPoints(rng, 1024, []float64{0, 0}, []float64{1, 1})
	y := gaussianPoints(rng, 1024, []float64{0.2, 0}, []float64{1, 1})
	for b.Loop() {
		if _, err := EnergyDistance(context.Background(), 0, x, y); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPerGroupFrechetWeather is the weather evaluation shape: 100
// held-out locations, 31 observed days and 31 model samples each, 94-d.
func BenchmarkPerGroupFrechetWeather(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	mean, sd := make([]float64, 94), make([]float64, 94)
	for k := range sd {
		sd[k] = 1
	}
	samples, held := make([]Points, 100), make([]Points, 100)
	for g := range samples {
		samples[g] = gaussianPoints(rng, 31, mean, sd)
		held[g] = gaussianPoints(rng, 31, mean, sd)
	}
	for b.Loop() {
		if _, err := PerGroupFrechet(context.Background(), 0, samples, held); err != nil {
			b.Fatal(err)
		}
	}
}
