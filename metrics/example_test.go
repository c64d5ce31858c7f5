package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ebieot/ebieot/metrics"
)

// Conditional scores take the held-out y's as one Points and the model's
// draws as one Points with perRow consecutive rows per held-out row.
func ExampleMeanEnergyScore() {
	const rows, perRow = 3, 500
	rng := rand.New(rand.NewPCG(1, 2))
	heldOut := metrics.Points{Data: []float64{0, 0, 1, 1, -1, 2}, Rows: rows, Cols: 2}
	samples := metrics.Points{Data: make([]float64, rows*perRow*2), Rows: rows * perRow, Cols: 2}
	for i := range rows * perRow {
		x := heldOut.Row(i / perRow) // a model centred on each observation
		samples.Data[2*i] = x[0] + rng.NormFloat64()
		samples.Data[2*i+1] = x[1] + rng.NormFloat64()
	}
	_, es, err := metrics.MeanEnergyScore(context.Background(), 0, samples, perRow, heldOut)
	if err != nil {
		panic(err)
	}
	// For N(y, I) in 2-D the energy score at y is √(π/2)·(1 − 1/√2) ≈ 0.367.
	fmt.Printf("energy score %.2f over %d rows\n", es.Mean, es.N)
	// Output: energy score 0.36 over 3 rows
}

func ExampleMMD2WithMedian() {
	rng := rand.New(rand.NewPCG(3, 4))
	draw := func(n int, shift float64) metrics.Points {
		p := metrics.Points{Data: make([]float64, 2*n), Rows: n, Cols: 2}
		for i := range p.Data {
			p.Data[i] = shift + rng.NormFloat64()
		}
		return p
	}
	model, truth := draw(1024, 0.5), draw(1024, 0)
	mmd, bandwidths, err := metrics.MMD2WithMedian(context.Background(), 0, model, truth)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bandwidths, MMD² %.3f\n", len(bandwidths), mmd)
	// Output: 5 bandwidths, MMD² 0.034
}
