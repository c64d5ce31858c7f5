package eot_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/eot"
)

// gaussianData is a 1-D problem whose conditional is known: y | x is
// Gaussian with mean −1 + k·x.
func gaussianData() (datasets.GaussianEOT, *datasets.Streams) {
	g := datasets.DefaultGaussianEOT(1, 1)
	return g, g.Streams(rand.New(rand.NewPCG(1, 2)), 300, 1000, 1000)
}

// Train fits a model from data in the user's units and returns it with its
// scaler and training record; Save writes it as a model file. With the
// default configuration it chooses its hyperparameters by cross-validated
// likelihood; a small grid keeps this example fast.
func ExampleTrain() {
	truth, data := gaussianData()
	cfg, err := eot.DefaultConfig("gmm")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Select = eot.Selection{Potentials: []int{1, 2}, Tilts: []int{1}, LearningRates: []float64{1e-2}, MaxSteps: 1500}
	cfg.Seed, cfg.Threads = 7, 1
	model, err := eot.Train(context.Background(), data, cfg)
	if err != nil {
		log.Fatal(err)
	}
	best := model.Training.Selection.Candidates[0]
	fmt.Printf("chose N=%d M=%d, %d steps\n", best.Potentials, best.CostComponents, model.Training.Steps)

	// The conditional mean at x = 1, from samples, against the truth.
	x := datasets.Matrix{Rows: 1, Cols: 1, Data: []float64{1}}
	ys, err := model.Sample(context.Background(), x, 4000, 1)
	if err != nil {
		log.Fatal(err)
	}
	mean := 0.0
	for _, v := range ys.Data {
		mean += v / float64(ys.Rows)
	}
	want := make([]float64, 1)
	truth.CondMean(x.Data, want)
	fmt.Printf("E[y | x=1]: model %.1f, truth %.1f\n", mean, want[0])
	// Output:
	// chose N=2 M=1, 1400 steps
	// E[y | x=1]: model -0.8, truth -0.8
}

// Trained.LogProb scores pairs in the user's units, exactly for the GMM
// model; the mean negative log-density of held-out pairs is the held-out
// NLL that eval reports.
func ExampleTrained_LogProb() {
	truth, data := gaussianData()
	cfg, _ := eot.DefaultConfig("gmm")
	cfg.Spec.Potentials, cfg.Spec.CostComponents, cfg.Covariance = 1, 1, eot.CovarianceDiag
	cfg.Fit.Steps, cfg.Fit.LRCost, cfg.Fit.LRPotential = 3000, 1e-2, 1e-2
	cfg.Select.Off, cfg.Seed, cfg.Threads = true, 7, 1
	model, err := eot.Train(context.Background(), data, cfg)
	if err != nil {
		log.Fatal(err)
	}
	held := truth.Streams(rand.New(rand.NewPCG(3, 4)), 2000, 0, 0)
	lp, _, exact, err := model.LogProb(context.Background(), held.PairX, held.PairY, eot.LogProbOptions{})
	if err != nil {
		log.Fatal(err)
	}
	nll, best := 0.0, 0.0
	for i, v := range lp {
		nll -= v / float64(len(lp))
		best -= truth.LogProb(held.PairX.Row(i), held.PairY.Row(i)) / float64(len(lp))
	}
	fmt.Printf("exact %v; held-out NLL %.2f, the true conditional's %.2f\n", exact, nll, best)
	fmt.Println("within 0.05 nats:", math.Abs(nll-best) < 0.05)
	// Output:
	// exact true; held-out NLL 0.63, the true conditional's 0.63
	// within 0.05 nats: true
}

// Fit is the training loop alone, for a model built by hand in the model's
// (here: raw) coordinates; Train wraps it with the scaler, the validation
// split and the training record.
func ExampleFit() {
	_, data := gaussianData()
	spec := energy.Spec{Kind: energy.KindGMM, XDim: 1, YDim: 1, Eps: 1, Potentials: 2, CostComponents: 1}
	model, err := eot.NewModel(spec, data, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		log.Fatal(err)
	}
	opts := eot.DefaultOptions(energy.KindGMM)
	opts.Steps, opts.LRCost, opts.LRPotential, opts.Threads = 2000, 1e-2, 1e-2, 1
	res, err := eot.Fit(context.Background(), model, data, nil, opts)
	if err != nil {
		log.Fatal(err)
	}
	last := res.History[len(res.History)-1]
	fmt.Printf("%s; %d history rows; the loss fell from %.1f to %.1f\n", res.Stopped, len(res.History), res.History[0].Total, last.Total)
	// Output:
	// completed; 20 history rows; the loss fell from 0.7 to 0.6
}
