package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/energy/neural"
	"github.com/ebieot/ebieot/eot"
)

// Defaults per model kind: the authors' presets (method.md §4, §5, §8).
type fitDefaults struct {
	lrCost, lrPotential float64
	betas               [2]float64
}

var (
	gmmDefaults    = fitDefaults{lrCost: 3e-4, lrPotential: 1e-3, betas: [2]float64{0.9, 0.999}}
	neuralDefaults = fitDefaults{lrCost: 5e-4, lrPotential: 2e-4, betas: [2]float64{0.2, 0.99}}
)

func fitCommand() *cli.Command {
	return newCommand(&cli.Command{
		Name:  "fit",
		Usage: "fit an EBiEOT model of π(y|x) from paired and unpaired data",
		Description: `Reads one CSV (--data with --x-cols/--y-cols: a row with every y cell empty is an
unpaired source, a row with every x cell empty an unpaired target, a full row a pair) or
separate files (--paired, --sources, --targets), standardises both sides, holds out
--valid-frac of the pairs for validation and trains with Adam (two learning rates: cost and
potential). Ctrl-C stops training and still writes the model. --resume continues a saved
model on (new or the same) data with its own architecture and scaler.`,
		Flags: append(streamFlags(),
			&cli.StringFlag{Name: "model", Value: energy.KindGMM, Usage: "model kind: gmm (closed form) or nn (neural, Langevin)"},
			&cli.Float64Flag{Name: "eps", Value: 1, Usage: "entropic temperature ε"},
			&cli.IntFlag{Name: "potentials", Value: 50, Usage: "gmm: mixture components N of the potential"},
			&cli.IntFlag{Name: "cost-components", Value: 25, Usage: "gmm: exponential tilts M of the cost"},
			&cli.StringFlag{Name: "cost-hidden", Usage: "hidden layer sizes of the cost network, e.g. 128,128 (gmm: the b(x) head, default linear; nn: the MLP on [x,y], default 256)"},
			&cli.StringFlag{Name: "weight-hidden", Usage: "gmm: hidden sizes of the log v(x) head (default: as --cost-hidden)"},
			&cli.BoolFlag{Name: "full-cov", Usage: "gmm: full covariances A_n (Cholesky factor) instead of diagonal"},
			&cli.Float64Flag{Name: "a-init", Value: 0.1, Usage: "gmm: initial diagonal of the covariances A_n"},
			&cli.StringFlag{Name: "potential-hidden", Usage: "nn: hidden sizes of the potential MLP (default 256,256)"},
			&cli.IntFlag{Name: "langevin-steps", Value: 100, Usage: "nn: Langevin steps T"},
			&cli.Float64Flag{Name: "langevin-step-size", Value: 0.05, Usage: "nn: Langevin step size η"},
			&cli.Float64Flag{Name: "langevin-noise", Value: 0.005, Usage: "nn: Langevin noise σ"},
			&cli.IntFlag{Name: "steps", Value: 25000, Usage: "optimisation steps"},
			&cli.IntFlag{Name: "batch", Value: 128, Usage: "rows drawn from each stream per step"},
			&cli.Float64Flag{Name: "lr-cost", Usage: "learning rate of the cost (default gmm 3e-4, nn 5e-4)"},
			&cli.Float64Flag{Name: "lr-potential", Usage: "learning rate of the potential (default gmm 1e-3, nn 2e-4)"},
			&cli.StringFlag{Name: "adam-betas", Usage: "Adam β1,β2 (default gmm 0.9,0.999; nn 0.2,0.99)"},
			&cli.StringFlag{Name: "optimizer", Value: "adam", Usage: "adam, adamw, signum, softsignum, muon or softmuon (Muon-type: weight matrices at --matrix-lr, the rest AdamW)"},
			&cli.StringFlag{Name: "lr-schedule", Value: eot.ScheduleConstant, Usage: "learning-rate schedule: constant or cosine (decay to 0)"},
			&cli.Float64Flag{Name: "weight-decay", Usage: "weight decay (decoupled except for adam)"},
			&cli.Float64Flag{Name: "momentum", Usage: "momentum of the sign and Muon methods (default 0.9 and 0.95)"},
			&cli.Float64Flag{Name: "alpha-sign", Value: 0.9, Usage: "softsignum/softmuon: fraction of the steps in the sign phase"},
			&cli.Float64Flag{Name: "tmax", Usage: "softsignum/softmuon: temperature clamp (default 20 and 1e9)"},
			&cli.Float64Flag{Name: "matrix-lr", Value: 0.02, Usage: "muon/softmuon: learning rate of the weight matrices"},
			&cli.Float64Flag{Name: "clip", Usage: "clip the gradient's L2 norm (0 = off)"},
			&cli.Float64Flag{Name: "valid-frac", Value: 0.1, Usage: "fraction of the pairs held out for validation"},
			&cli.IntFlag{Name: "valid-every", Value: 500, Usage: "steps between validations"},
			&cli.IntFlag{Name: "patience", Usage: "stop after this many validations without improvement (0 = never)"},
			&cli.BoolFlag{Name: "keep-best", Value: true, Usage: "keep the parameters of the best validation"},
			&cli.Uint64Flag{Name: "seed", Value: 42, Usage: "random seed (initialisation, splits, minibatches)"},
			&cli.StringFlag{Name: "resume", Usage: "continue training this model file"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "model file to write (JSON)"},
		),
		Action: runFit,
	})
}

func runFit(c *cli.Context) error {
	streams, err := readStreams(c)
	if err != nil {
		return err
	}
	seed := c.Uint64("seed")
	rng := rand.New(rand.NewPCG(seed, 1))

	var (
		model    energy.Model
		scaler   datasets.Scaler
		previous *eot.ModelFile
	)
	if path := c.String("resume"); path != "" {
		previous, model, err = eot.LoadModel(path)
		if err != nil {
			return err
		}
		if err := sameColumns(previous, streams); err != nil {
			return fmt.Errorf("--resume %s: %w", path, err)
		}
		scaler = previous.Scaler
	} else {
		scaler = datasets.FitScaler(streams)
	}
	scaled := scaler.Apply(streams)
	train, valid := scaled, (*datasets.Streams)(nil)
	if f := c.Float64("valid-frac"); f > 0 {
		if f >= 1 {
			return fmt.Errorf("--valid-frac %v must be below 1", f)
		}
		train, valid = datasets.SplitPairs(scaled, f, rng)
	}
	if model == nil {
		spec, err := specFromFlags(c, streams)
		if err != nil {
			return err
		}
		if model, err = newModel(spec, train, rng); err != nil {
			return err
		}
	}
	kind := model.Spec().Kind
	def := gmmDefaults
	if kind == energy.KindNeural {
		def = neuralDefaults
	}
	opts := eot.Options{
		Steps: c.Int("steps"), BatchSize: c.Int("batch"),
		LRCost: def.lrCost, LRPotential: def.lrPotential, Schedule: c.String("lr-schedule"),
		Optimizer: eot.OptimizerConfig{Name: c.String("optimizer"), AdamBetas: def.betas, WeightDecay: c.Float64("weight-decay"),
			Momentum: c.Float64("momentum"), AlphaSign: c.Float64("alpha-sign"), TMax: c.Float64("tmax"), MatrixLR: c.Float64("matrix-lr")},
		ClipNorm: c.Float64("clip"), ValidEvery: c.Int("valid-every"), Patience: c.Int("patience"),
		KeepBest: c.Bool("keep-best"), Seed: seed,
	}
	if c.IsSet("lr-cost") {
		opts.LRCost = c.Float64("lr-cost")
	}
	if c.IsSet("lr-potential") {
		opts.LRPotential = c.Float64("lr-potential")
	}
	if c.IsSet("adam-betas") {
		b, err := parseFloats(c.String("adam-betas"))
		if err != nil || len(b) != 2 {
			return fmt.Errorf("--adam-betas %q: want two numbers like 0.9,0.999", c.String("adam-betas"))
		}
		opts.Optimizer.AdamBetas = [2]float64{b[0], b[1]}
	}
	if previous != nil {
		opts.StartStep = previous.Training.Steps
	}
	stderr := c.App.ErrWriter
	if !quiet(c) {
		fmt.Fprintf(stderr, "data: %d pairs (%d for validation), %d sources, %d targets; model %s, %d parameters\n",
			streams.PairX.Rows, pairsIn(valid), streams.SourceX.Rows, streams.TargetY.Rows, kind, len(model.Params()))
	}
	progress, finish := newProgress(c, stderr, opts)
	opts.Progress = progress
	res, fitErr := eot.Fit(c.Context, model, train, valid, opts)
	finish()
	if res == nil {
		return fitErr
	}
	if fitErr != nil && !errors.Is(fitErr, context.Canceled) {
		return fitErr
	}
	tr := eot.Training{
		Steps: opts.StartStep + res.Steps, Seed: seed, DataDigest: eot.DataDigest(streams),
		Paired: train.PairX.Rows, Sources: streams.SourceX.Rows, Targets: streams.TargetY.Rows, Validation: pairsIn(valid),
		BatchSize: opts.BatchSize, LRCost: opts.LRCost, LRPotential: opts.LRPotential, Optimizer: opts.Optimizer, Schedule: opts.Schedule,
		BestStep: res.BestStep, Stopped: res.Stopped, Seconds: res.Elapsed.Seconds(), History: res.History,
	}
	if previous != nil {
		tr.History = append(append([]eot.LogEntry(nil), previous.Training.History...), res.History...)
		tr.Seconds += previous.Training.Seconds
	}
	if !math.IsNaN(res.BestValidNLL) {
		v := res.BestValidNLL
		tr.BestValidNLL = &v
	}
	out := c.String("out")
	if err := eot.NewModelFile(model, streams.XNames, streams.YNames, scaler, tr).Save(out); err != nil {
		return err
	}
	if fitErr != nil {
		return fmt.Errorf("%w; the model after %d steps was saved to %s", fitErr, res.Steps, out)
	}
	if !quiet(c) {
		fmt.Fprintf(stderr, "%s after %d steps in %.1fs", res.Stopped, res.Steps, res.Elapsed.Seconds())
		if tr.BestValidNLL != nil {
			fmt.Fprintf(stderr, "; best validation NLL %.4f at step %d (standardised units)", *tr.BestValidNLL, res.BestStep)
		}
		fmt.Fprintln(stderr)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", out)
	return nil
}

func pairsIn(s *datasets.Streams) int {
	if s == nil {
		return 0
	}
	return s.PairX.Rows
}

// sameColumns checks that data for a resumed model has the model's columns.
func sameColumns(f *eot.ModelFile, s *datasets.Streams) error {
	if strings.Join(f.XNames, ",") != strings.Join(s.XNames, ",") || strings.Join(f.YNames, ",") != strings.Join(s.YNames, ",") {
		return fmt.Errorf("the model was trained on x=%v y=%v, the data has x=%v y=%v", f.XNames, f.YNames, s.XNames, s.YNames)
	}
	return nil
}

func specFromFlags(c *cli.Context, s *datasets.Streams) (energy.Spec, error) {
	spec := energy.Spec{Kind: c.String("model"), XDim: s.XDim(), YDim: s.YDim(), Eps: c.Float64("eps")}
	var err error
	if spec.CostHidden, err = parseSizes("cost-hidden", c.String("cost-hidden")); err != nil {
		return spec, err
	}
	switch spec.Kind {
	case energy.KindGMM:
		spec.Potentials, spec.CostComponents = c.Int("potentials"), c.Int("cost-components")
		spec.FullCov, spec.AInit = c.Bool("full-cov"), c.Float64("a-init")
		if c.IsSet("weight-hidden") {
			if spec.WeightHidden, err = parseSizes("weight-hidden", c.String("weight-hidden")); err != nil {
				return spec, err
			}
		}
	case energy.KindNeural:
		if spec.PotentialHidden, err = parseSizes("potential-hidden", c.String("potential-hidden")); err != nil {
			return spec, err
		}
		l := energy.DefaultLangevin()
		l.Steps, l.StepSize, l.Noise = c.Int("langevin-steps"), c.Float64("langevin-step-size"), c.Float64("langevin-noise")
		spec.Langevin = &l
	}
	if err := spec.Validate(); err != nil {
		return spec, err
	}
	return spec, nil
}

// newModel initialises a model of spec from the (standardised) training
// data.
func newModel(spec energy.Spec, train *datasets.Streams, rng *rand.Rand) (energy.Model, error) {
	switch spec.Kind {
	case energy.KindGMM:
		t := train.AllTargets()
		return gmm.New(spec, t.Data, t.Rows, rng)
	case energy.KindNeural:
		return neural.New(spec, rng)
	}
	return nil, fmt.Errorf("%w: unknown model kind %q", energy.ErrSpec, spec.Kind)
}

// parseSizes reads a comma list of positive layer sizes; "" is none.
func parseSizes(flag, s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--%s %q: want positive integers separated by commas", flag, s)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// newProgress returns the training progress callback: a bar on a terminal,
// plain lines every ~10% (and at least every 30 s) otherwise, nothing with
// --quiet. finish ends the bar.
func newProgress(c *cli.Context, w io.Writer, opts eot.Options) (func(eot.Progress), func()) {
	if quiet(c) {
		return nil, func() {}
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(opts.Steps,
			progressbar.OptionSetWriter(w), progressbar.OptionSetWidth(30),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("steps"),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
		return func(p eot.Progress) {
				bar.Describe(progressLine(p))
				bar.Set(p.Step - opts.StartStep)
			}, func() {
				bar.Finish()
			}
	}
	every := max(opts.Steps/10, 1)
	lastStep, lastTime := 0, time.Now()
	return func(p eot.Progress) {
		done := p.Step - opts.StartStep
		if done-lastStep >= every || done == opts.Steps || time.Since(lastTime) > 30*time.Second {
			fmt.Fprintf(w, "step %d/%d  %s\n", p.Step, p.LastStep, progressLine(p))
			lastStep, lastTime = done, time.Now()
		}
	}, func() {}
}

func progressLine(p eot.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "paired %.4f  target %.4f", p.Terms.Paired, p.Terms.Target)
	if !math.IsNaN(p.Terms.LogPartition) {
		fmt.Fprintf(&b, "  logZ %.4f  loss %.4f", p.Terms.LogPartition, p.Terms.Total)
	}
	if !math.IsNaN(p.ValidNLL) {
		fmt.Fprintf(&b, "  valid NLL %.4f", p.ValidNLL)
	}
	fmt.Fprintf(&b, "  %.3g steps/s", p.StepsPerSecond)
	return b.String()
}
