package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
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
separate files (--paired, --sources, --targets), standardises both sides and trains.

With the gmm model and no hyperparameter flags, fit chooses them itself: the potential
starts at a Gaussian mixture fitted by EM to every y (the best model that ignores x), its
number of components and covariance kind are chosen by cross-validated likelihood of the
y's, and the cost's tilts, the learning rates and the number of steps by 5-fold
cross-validated likelihood of the pairs (successive halving over the candidates, run in
parallel over --threads); the winner is refitted on all pairs. A flag given explicitly
is used as given and not searched; --select=false turns the search off (then --valid-frac
of the pairs stops training early). The model file keeps the leaderboard (see describe),
and fit says plainly when the model does not beat the x-blind marginal or a
linear-Gaussian regression on the pairs.

--preset swissroll-gmm (or swissroll-nn) reproduces the paper's Swiss-roll settings.
Ctrl-C stops training and still writes the model. --resume continues a saved model on
(new or the same) data with its own architecture and scaler.

--stream fits a file larger than memory: while --data (CSV or Parquet) is read in one
pass, each stream keeps a uniform random sample of at most --stream-rows rows (reservoir
sampling, seeded by --seed), and training draws its minibatches from those samples. With
streams shorter than --stream-rows this is the ordinary fit; otherwise the minibatches
are uniform draws from a uniform subsample, which for a sample of 10⁵ rows per stream
differs from drawing from the whole file only in the reuse of rows across steps.`,
		Flags: append(append(streamFlags(), sampledFlags()...),
			&cli.StringFlag{Name: "model", Value: energy.KindGMM, Usage: "model kind: gmm (closed form) or nn (neural, Langevin)"},
			&cli.StringFlag{Name: "preset", Usage: "start from a named configuration: " + strings.Join(eot.PresetNames(), ", ") + " (other flags override it)"},
			&cli.BoolFlag{Name: "select", Value: true, Usage: "gmm: choose the hyperparameters not given by cross-validated likelihood"},
			&cli.StringFlag{Name: "init", DefaultText: "marginal", Usage: "gmm: potential initialisation: marginal (EM on every y, cost near zero) or targets (components on target rows, A = --a-init, the paper's)"},
			&cli.StringFlag{Name: "cost", DefaultText: "learned", Usage: "gmm: the cost c(x,y): learned (log-sum-exp of learned tilts), quadratic (fixed ½‖x−y‖², the Schrödinger bridge; needs as many x as y columns, in one unit) or inner (fixed −⟨x,y⟩). A fixed cost needs no pairs and keeps the data's units, in which --eps is given"},
			&cli.Float64Flag{Name: "eps", DefaultText: "1", Usage: "entropic temperature ε (learned gmm cost: a convention only, the fit does not depend on it; fixed cost: in the data's squared units, the variance the bridge adds per unit time)"},
			&cli.IntFlag{Name: "potentials", DefaultText: "chosen", Usage: "gmm: mixture components N of the potential"},
			&cli.IntFlag{Name: "cost-components", DefaultText: "chosen", Usage: "gmm: exponential tilts M of the cost"},
			&cli.StringFlag{Name: "cost-hidden", Usage: "hidden layer sizes of the cost network, e.g. 128,128 (gmm: the b(x) head, default linear; nn: the MLP on [x,y], default 256)"},
			&cli.StringFlag{Name: "weight-hidden", Usage: "gmm: hidden sizes of the log v(x) head (default: as --cost-hidden)"},
			&cli.StringFlag{Name: "covariance", DefaultText: "chosen", Usage: "gmm: covariances of the potential, diag or full"},
			&cli.BoolFlag{Name: "full-cov", Usage: "gmm: the same as --covariance full"},
			&cli.Float64Flag{Name: "a-init", DefaultText: "0.1", Usage: "gmm with --init targets: initial diagonal of the covariances A_n"},
			&cli.StringFlag{Name: "potential-hidden", Usage: "nn: hidden sizes of the potential MLP (default 256,256)"},
			&cli.IntFlag{Name: "langevin-steps", Value: 100, Usage: "nn: Langevin steps T"},
			&cli.Float64Flag{Name: "langevin-step-size", Value: 0.05, Usage: "nn: Langevin step size η"},
			&cli.Float64Flag{Name: "langevin-noise", Value: 0.005, Usage: "nn: Langevin noise σ"},
			&cli.IntFlag{Name: "steps", DefaultText: "gmm: chosen; nn: 1000", Usage: "optimisation steps"},
			&cli.IntFlag{Name: "batch", Value: 128, Usage: "rows drawn from each stream per step"},
			&cli.Float64Flag{Name: "lr-cost", DefaultText: "gmm: chosen; nn: 5e-4", Usage: "learning rate of the cost"},
			&cli.Float64Flag{Name: "lr-potential", DefaultText: "gmm: chosen; nn: 2e-4", Usage: "learning rate of the potential"},
			&cli.StringFlag{Name: "adam-betas", DefaultText: "gmm: 0.9,0.999; nn: 0.2,0.99", Usage: "Adam β1,β2"},
			&cli.StringFlag{Name: "optimizer", Value: "adam", Usage: "adam, adamw, signum, softsignum, muon or softmuon (Muon-type: weight matrices at --matrix-lr, the rest AdamW)"},
			&cli.StringFlag{Name: "lr-schedule", Value: eot.ScheduleConstant, Usage: "learning-rate schedule: constant or cosine (decay to 0)"},
			&cli.Float64Flag{Name: "weight-decay", Usage: "weight decay (decoupled except for adam)"},
			&cli.Float64Flag{Name: "momentum", DefaultText: "signum: 0.9; muon: 0.95", Usage: "momentum of the sign and Muon methods"},
			&cli.Float64Flag{Name: "alpha-sign", Value: 0.9, Usage: "softsignum/softmuon: fraction of the steps in the sign phase"},
			&cli.Float64Flag{Name: "tmax", DefaultText: "softsignum: 20; softmuon: 1e9", Usage: "softsignum/softmuon: temperature clamp"},
			&cli.Float64Flag{Name: "matrix-lr", Value: 0.02, Usage: "muon/softmuon: learning rate of the weight matrices"},
			&cli.Float64Flag{Name: "clip", Usage: "clip the gradient's L2 norm (0 = off)"},
			&cli.Float64Flag{Name: "valid-frac", DefaultText: "0.1", Usage: "fraction of the pairs held out for validation (without selection)"},
			&cli.IntFlag{Name: "valid-every", DefaultText: "gmm: 100; nn: 500", Usage: "steps between validations"},
			&cli.IntFlag{Name: "patience", DefaultText: "gmm: 10; nn: never", Usage: "stop after this many validations without improvement (0 = never)"},
			&cli.BoolFlag{Name: "keep-best", Value: true, Usage: "keep the parameters of the best validation"},
			&cli.Float64Flag{Name: "checkpoint-every", Value: 60, Usage: "save the model being trained to OUT.checkpoint.json every this many seconds, for --resume after a crash (0 = never); removed when the run finishes"},
			&cli.Uint64Flag{Name: "seed", Value: 42, Usage: "random seed (initialisation, splits, minibatches)"},
			&cli.StringFlag{Name: "resume", Usage: "continue training this model file"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "model file to write (JSON)"},
		),
		Action: runFit,
	})
}

func runFit(c *cli.Context) error {
	if err := checkOutputs(paths(c, "out"), paths(c, "data", "paired", "sources", "targets", "class-prior")); err != nil {
		return err
	}
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
	cfg, err := configFromFlags(c, kind, streams, prev)
	if err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	if !quiet(c) {
		fmt.Fprintf(stderr, "data: %d pairs, %d sources, %d targets; model %s\n",
			streams.PairX.Rows, streams.SourceX.Rows, streams.TargetY.Rows, kind)
	}
	if !quiet(c) {
		cfg.Select.Progress = func(p eot.SelectProgress) {
			if p.Stage == "marginal" {
				fmt.Fprintf(stderr, "selection: potential chosen among %d x-blind mixtures by %d-fold CV of the y's: %s (NLL %.4f)\n", p.Candidates, p.Folds, p.Best, p.BestNLL)
				return
			}
			fmt.Fprintf(stderr, "selection: rung %d/%d, %d of %d candidates × %d folds at step %d; best %s, CV NLL %.4f (%.0fs)\n",
				p.Rung, p.Rungs, p.Left, p.Candidates, p.Folds, p.Step, p.Best, p.BestNLL, p.Elapsed.Seconds())
		}
	}
	progress, finish := newProgress(c, stderr, cfg.Fit)
	cfg.Fit.Progress = progress
	checkpoint := ""
	if every := c.Float64("checkpoint-every"); every > 0 {
		checkpoint = siblingPath(c.String("out"), "checkpoint")
		last := time.Now()
		cfg.Checkpoint = func(t *eot.Trained) {
			if time.Since(last).Seconds() < every {
				return
			}
			last = time.Now()
			if err := t.Save(checkpoint); err != nil && !quiet(c) {
				fmt.Fprintf(stderr, "warning: checkpoint: %v\n", err)
			}
		}
	}
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
	if err != nil && keepsCompleteModel(out, c.String("resume")) {
		// An interrupted run must not replace a finished model.
		out = siblingPath(out, "interrupted")
	}
	if saveErr := trained.Save(out); saveErr != nil {
		return saveErr
	}
	res := trained.Result
	if err != nil {
		return fmt.Errorf("%w; the model after %d steps was saved to %s (continue it with --resume %s)", err, res.Steps, out, out)
	}
	if checkpoint != "" {
		os.Remove(checkpoint) // the run finished: its checkpoint is stale
	}
	if lb := trained.Training.Selection; lb != nil {
		w := lb.Candidates
		switch {
		case lb.Fallback != "":
			fmt.Fprintf(stderr, "warning: no model selection: %s\n", lb.Fallback)
		case !lb.BeatsBaselines:
			// Said even with --quiet: a model that does not beat its
			// baselines must not look like one that does.
			fmt.Fprintf(stderr, "warning: %s (chose %s, %d steps)\n", lb.Verdict, w[0], trained.Training.Steps)
		case !quiet(c):
			fmt.Fprintf(stderr, "chose %s, %d steps (CV NLL %.4f ± %.4f); %s\n", w[0], trained.Training.Steps, w[0].NLL.Mean, w[0].NLL.StdErr, lb.Verdict)
		}
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

// configFromFlags turns the fit flags into a training configuration: the
// preset's or the kind's defaults, overridden by every flag given. Flags
// left unset stay unset, so that the model selection searches them.
func configFromFlags(c *cli.Context, kind string, s *datasets.Streams, prev *eot.Trained) (eot.Config, error) {
	var cfg eot.Config
	var err error
	if prev != nil {
		// A resumed model keeps its architecture and, unless flags say
		// otherwise, its training settings.
		cfg = prev.ResumeConfig()
		cfg.Fit.Steps = 0
	} else if name := c.String("preset"); name != "" {
		if cfg, err = eot.Preset(name); err != nil {
			return cfg, fmt.Errorf("--preset: %w", err)
		}
		if c.IsSet("model") && cfg.Spec.Kind != kind {
			return cfg, usagef("--preset %s is a %s configuration; it cannot be used with --model %s", name, cfg.Spec.Kind, kind)
		}
		kind = cfg.Spec.Kind
	} else if cfg, err = eot.DefaultConfig(kind); err != nil {
		return cfg, err
	}
	if err := specFromFlags(c, &cfg, s); err != nil {
		return cfg, err
	}
	o := &cfg.Fit
	if c.IsSet("steps") {
		o.Steps = c.Int("steps")
		if o.Steps < 1 {
			return cfg, usagef("--steps %d must be positive", o.Steps)
		}
	}
	o.BatchSize, o.Schedule = c.Int("batch"), c.String("lr-schedule")
	o.Optimizer = eot.OptimizerConfig{Name: c.String("optimizer"), AdamBetas: o.Optimizer.AdamBetas, WeightDecay: c.Float64("weight-decay"),
		Momentum: c.Float64("momentum"), AlphaSign: c.Float64("alpha-sign"), TMax: c.Float64("tmax"), MatrixLR: c.Float64("matrix-lr")}
	o.ClipNorm, o.KeepBest = c.Float64("clip"), c.Bool("keep-best")
	if c.IsSet("valid-every") {
		o.ValidEvery = c.Int("valid-every")
	}
	if c.IsSet("patience") {
		o.Patience = c.Int("patience")
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"lr-cost", &o.LRCost}, {"lr-potential", &o.LRPotential}} {
		if c.IsSet(f.name) {
			if v := c.Float64(f.name); !(v > 0) || math.IsInf(v, 0) {
				return cfg, usagef("--%s %v must be positive and finite", f.name, v)
			}
			*f.dst = c.Float64(f.name)
		}
	}
	if c.IsSet("adam-betas") {
		b, err := parseFloats(c.String("adam-betas"))
		if err != nil || len(b) != 2 {
			return cfg, usagef("--adam-betas %q: want two numbers like 0.9,0.999", c.String("adam-betas"))
		}
		o.Optimizer.AdamBetas = [2]float64{b[0], b[1]}
	}
	if c.IsSet("valid-frac") {
		cfg.ValidFrac = c.Float64("valid-frac")
	}
	if !(cfg.ValidFrac >= 0 && cfg.ValidFrac < 1) {
		return cfg, usagef("--valid-frac %v must be in [0, 1)", cfg.ValidFrac)
	}
	if c.IsSet("select") {
		cfg.Select.Off = !c.Bool("select")
	}
	if c.IsSet("init") {
		switch v := c.String("init"); v {
		case "marginal":
			cfg.Init = eot.InitMarginal
		case "targets":
			cfg.Init = eot.InitTargets
		default:
			return cfg, usagef("--init %q: want marginal or targets", v)
		}
	}
	// The paper's initialisation has no search: its defaults are the
	// Swiss-roll preset's sizes, steps and learning rates.
	if prev != nil {
		if cfg.Fit.Steps == 0 {
			// Finish the planned run.
			left := prev.Training.Planned - prev.Training.Steps
			if left <= 0 {
				return cfg, usagef("--resume %s: the model finished its %d planned steps; give --steps N to train N more", c.String("resume"), prev.Training.Steps)
			}
			cfg.Fit.Steps = left
		}
		if err := refuseArchitectureFlags(c); err != nil {
			return cfg, err
		}
	} else if cfg.Init == eot.InitTargets && kind == energy.KindGMM && c.String("preset") == "" {
		p, _ := eot.Preset(eot.PresetSwissRollGMM)
		cfg.Spec.Potentials = firstSet(cfg.Spec.Potentials, p.Spec.Potentials)
		cfg.Spec.CostComponents = firstSet(cfg.Spec.CostComponents, p.Spec.CostComponents)
		cfg.Fit.Steps = firstSet(cfg.Fit.Steps, p.Fit.Steps)
		cfg.Fit.LRCost = firstSetF(cfg.Fit.LRCost, p.Fit.LRCost)
		cfg.Fit.LRPotential = firstSetF(cfg.Fit.LRPotential, p.Fit.LRPotential)
		if !c.IsSet("valid-every") {
			cfg.Fit.ValidEvery = 500
		}
		if !c.IsSet("patience") {
			cfg.Fit.Patience = 0
		}
	}
	cfg.Seed, cfg.Threads = c.Uint64("seed"), threads(c)
	return cfg, nil
}

// siblingPath is path with a tag before its extension: m.json → m.TAG.json.
func siblingPath(path, tag string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "." + tag + ext
}

// keepsCompleteModel reports whether out already holds a model file that
// finished its training and is not the one being resumed: an interrupted
// run then saves beside it.
func keepsCompleteModel(out, resume string) bool {
	if resume != "" {
		if same, err := sameFile(out, resume); err == nil && same {
			return false
		}
	}
	prev, err := eot.Load(out)
	return err == nil && prev.Training.Stopped != eot.Interrupted
}

// sameFile reports whether two paths name one file (or, for paths that do
// not exist, the same cleaned absolute path).
func sameFile(a, b string) (bool, error) {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb), nil
	}
	pa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	pb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	return pa == pb, nil
}

// refuseArchitectureFlags rejects flags that a resumed model cannot honour:
// its architecture is in the model file.
func refuseArchitectureFlags(c *cli.Context) error {
	for _, name := range []string{"model", "preset", "init", "eps", "potentials", "cost-components", "cost-hidden", "weight-hidden",
		"covariance", "full-cov", "a-init", "potential-hidden", "langevin-steps", "langevin-step-size", "langevin-noise", "select", "valid-frac", "cost"} {
		if c.IsSet(name) {
			return usagef("--%s cannot be changed with --resume: the model file fixes it (drop the flag, or fit a new model)", name)
		}
	}
	return nil
}

func firstSet(v, def int) int {
	if v != 0 {
		return v
	}
	return def
}

func firstSetF(v, def float64) float64 {
	if v != 0 {
		return v
	}
	return def
}

// specFromFlags sets the architecture flags given into cfg.Spec.
func specFromFlags(c *cli.Context, cfg *eot.Config, s *datasets.Streams) error {
	spec := &cfg.Spec
	spec.XDim, spec.YDim = s.XDim(), s.YDim()
	if c.IsSet("eps") {
		spec.Eps = c.Float64("eps")
		if !(spec.Eps >= 1e-100 && spec.Eps <= 1e100) {
			return usagef("--eps %v: want a positive value between 1e-100 and 1e100", spec.Eps)
		}
	}
	if c.IsSet("cost") {
		switch v := c.String("cost"); v {
		case energy.CostLearned:
			spec.Cost = ""
		case energy.CostQuadratic, energy.CostInner:
			if spec.Kind != energy.KindGMM {
				return usagef("--cost %s is available with --model gmm only", v)
			}
			if s.XDim() != s.YDim() {
				return usagef("--cost %s compares x with y, so it needs as many x columns as y columns (have %d x and %d y columns)", v, s.XDim(), s.YDim())
			}
			spec.Cost = v
		default:
			return usagef("--cost %q: want learned, quadratic or inner", v)
		}
	}
	if c.IsSet("cost-hidden") {
		h, err := parseSizes("cost-hidden", c.String("cost-hidden"))
		if err != nil {
			return err
		}
		spec.CostHidden = h
	}
	switch spec.Kind {
	case energy.KindGMM:
		for _, f := range []struct {
			name string
			dst  *int
		}{{"potentials", &spec.Potentials}, {"cost-components", &spec.CostComponents}} {
			if c.IsSet(f.name) {
				if v := c.Int(f.name); v < 1 {
					return usagef("--%s %d must be positive", f.name, v)
				}
				*f.dst = c.Int(f.name)
			}
		}
		if c.IsSet("a-init") {
			spec.AInit = c.Float64("a-init")
		}
		switch {
		case c.IsSet("covariance") && c.IsSet("full-cov"):
			return usagef("give --covariance or --full-cov, not both")
		case c.IsSet("full-cov"):
			spec.FullCov = c.Bool("full-cov")
			cfg.Covariance = map[bool]string{false: eot.CovarianceDiag, true: eot.CovarianceFull}[spec.FullCov]
		case c.IsSet("covariance"):
			switch v := c.String("covariance"); v {
			case eot.CovarianceDiag, eot.CovarianceFull:
				cfg.Covariance, spec.FullCov = v, v == eot.CovarianceFull
			default:
				return usagef("--covariance %q: want diag or full", v)
			}
		}
		if c.IsSet("weight-hidden") {
			h, err := parseSizes("weight-hidden", c.String("weight-hidden"))
			if err != nil {
				return err
			}
			spec.WeightHidden = h
		}
	case energy.KindNeural:
		if c.IsSet("potential-hidden") {
			h, err := parseSizes("potential-hidden", c.String("potential-hidden"))
			if err != nil {
				return err
			}
			spec.PotentialHidden = h
		}
		l := energy.DefaultLangevin()
		if spec.Langevin != nil {
			l = *spec.Langevin
		}
		if c.IsSet("langevin-steps") {
			l.Steps = c.Int("langevin-steps")
		}
		if c.IsSet("langevin-step-size") {
			l.StepSize = c.Float64("langevin-step-size")
		}
		if c.IsSet("langevin-noise") {
			l.Noise = c.Float64("langevin-noise")
		}
		spec.Langevin = &l
	}
	return spec.Validate()
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
			return nil, usagef("--%s %q: want positive integers separated by commas", flag, s)
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
