package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/eot"
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
	var prev *eot.Trained
	kind := c.String("model")
	if path := c.String("resume"); path != "" {
		if prev, err = eot.Load(path); err != nil {
			return err
		}
		kind = prev.Spec().Kind
	}
	cfg, err := configFromFlags(c, kind, streams)
	if err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	if !quiet(c) {
		fmt.Fprintf(stderr, "data: %d pairs (%d for validation), %d sources, %d targets; model %s\n",
			streams.PairX.Rows, validationPairs(streams.PairX.Rows, cfg.ValidFrac), streams.SourceX.Rows, streams.TargetY.Rows, kind)
	}
	progress, finish := newProgress(c, stderr, cfg.Fit)
	cfg.Fit.Progress = progress
	var trained *eot.Trained
	if prev != nil {
		trained, err = eot.Resume(c.Context, prev, streams, cfg)
	} else {
		trained, err = eot.Train(c.Context, streams, cfg)
	}
	finish()
	if trained == nil {
		return err
	}
	out := c.String("out")
	if saveErr := trained.Save(out); saveErr != nil {
		return saveErr
	}
	res := trained.Result
	if err != nil {
		return fmt.Errorf("%w; the model after %d steps was saved to %s", err, res.Steps, out)
	}
	if !quiet(c) {
		fmt.Fprintf(stderr, "%s after %d steps in %.1fs", res.Stopped, res.Steps, res.Elapsed.Seconds())
		if v := trained.Training.BestValidNLL; v != nil {
			fmt.Fprintf(stderr, "; best validation NLL %.4f at step %d (standardised units)", *v, res.BestStep)
		}
		fmt.Fprintln(stderr)
	}
	fmt.Fprintf(c.App.Writer, "wrote %s\n", out)
	return nil
}

// validationPairs is how many of n pairs a split with fraction frac holds
// out (datasets.SplitPairs' count).
func validationPairs(n int, frac float64) int {
	if !(frac > 0) || n == 0 {
		return 0
	}
	return min(int(math.Round(frac*float64(n))), n-1)
}

// configFromFlags turns the fit flags into a training configuration: the
// kind's defaults, overridden by every flag given.
func configFromFlags(c *cli.Context, kind string, s *datasets.Streams) (eot.Config, error) {
	cfg, err := eot.DefaultConfig(kind)
	if err != nil {
		return cfg, err
	}
	if cfg.Spec, err = specFromFlags(c, kind, s); err != nil {
		return cfg, err
	}
	o := &cfg.Fit
	o.Steps, o.BatchSize, o.Schedule = c.Int("steps"), c.Int("batch"), c.String("lr-schedule")
	o.Optimizer = eot.OptimizerConfig{Name: c.String("optimizer"), AdamBetas: o.Optimizer.AdamBetas, WeightDecay: c.Float64("weight-decay"),
		Momentum: c.Float64("momentum"), AlphaSign: c.Float64("alpha-sign"), TMax: c.Float64("tmax"), MatrixLR: c.Float64("matrix-lr")}
	o.ClipNorm, o.ValidEvery, o.Patience, o.KeepBest = c.Float64("clip"), c.Int("valid-every"), c.Int("patience"), c.Bool("keep-best")
	if c.IsSet("lr-cost") {
		o.LRCost = c.Float64("lr-cost")
	}
	if c.IsSet("lr-potential") {
		o.LRPotential = c.Float64("lr-potential")
	}
	if c.IsSet("adam-betas") {
		b, err := parseFloats(c.String("adam-betas"))
		if err != nil || len(b) != 2 {
			return cfg, fmt.Errorf("--adam-betas %q: want two numbers like 0.9,0.999", c.String("adam-betas"))
		}
		o.Optimizer.AdamBetas = [2]float64{b[0], b[1]}
	}
	cfg.ValidFrac = c.Float64("valid-frac")
	if !(cfg.ValidFrac >= 0 && cfg.ValidFrac < 1) {
		return cfg, fmt.Errorf("--valid-frac %v must be in [0, 1)", cfg.ValidFrac)
	}
	cfg.Seed, cfg.Threads = c.Uint64("seed"), threads(c)
	return cfg, nil
}

func specFromFlags(c *cli.Context, kind string, s *datasets.Streams) (energy.Spec, error) {
	spec := energy.Spec{Kind: kind, XDim: s.XDim(), YDim: s.YDim(), Eps: c.Float64("eps")}
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
