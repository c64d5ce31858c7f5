package eot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/optim"
)

// OptimizerFactory builds the optimizer for a model's parameter groups. The
// learner passes two groups, "cost" and "potential", in that order.
type OptimizerFactory func(groups []optim.Group, nParams int) (optim.Optimizer, error)

// Options control training.
type Options struct {
	Steps       int     // optimisation steps (> 0)
	BatchSize   int     // rows drawn from each of the three pools per step
	LRCost      float64 // learning rate of the cost parameters
	LRPotential float64 // learning rate of the potential parameters
	// Optimizer selects the optimizer (default Adam, β = (0.9, 0.999));
	// NewOptimizer, if set, overrides it.
	Optimizer    OptimizerConfig
	NewOptimizer OptimizerFactory
	ClipNorm     float64 // clip the gradient's global L2 norm to this (0 = off)
	// Schedule of the learning rates over the run: ScheduleConstant (the
	// paper's) or ScheduleCosine (decay to 0 by the last step, which
	// removes the optimizer's noise from the final parameters).
	Schedule string

	// Validation: every ValidEvery steps (and after the last step) the mean
	// conditional NLL of the validation pairs is computed, if the model can
	// score them. Patience > 0 stops after that many validations without an
	// improvement; KeepBest restores the parameters of the best validation.
	ValidEvery int
	Patience   int
	KeepBest   bool

	// LogEvery: steps between progress reports (0 = 100).
	LogEvery int
	// Progress, if set, receives a report every LogEvery steps and after the
	// last one. It runs on the training goroutine: keep it cheap.
	Progress func(Progress)

	Seed uint64 // seeds the minibatch draws and any sampling in the model
	// StartStep offsets step numbers when resuming a saved model.
	StartStep int
}

// Progress is a periodic training report. Loss terms are means over the
// steps since the previous report.
type Progress struct {
	Step, LastStep int
	Terms          energy.LossTerms
	ValidNLL       float64 // latest validation NLL (NaN if none yet)
	BestValidNLL   float64
	StepsPerSecond float64
	Elapsed        time.Duration
}

// LogEntry is one row of the training history kept in model files.
type LogEntry struct {
	Step         int     `json:"step"`
	Paired       float64 `json:"paired"`
	Target       float64 `json:"target"`
	LogPartition float64 `json:"log_partition"`
	Total        float64 `json:"total"`
	ValidNLL     float64 `json:"valid_nll"`
}

// Result summarises a training run.
type Result struct {
	Steps        int // steps taken in this run
	BestStep     int // step of the best validation (0 if none)
	BestValidNLL float64
	Stopped      string // "completed", "early stopping" or "interrupted"
	History      []LogEntry
	Elapsed      time.Duration
}

// Learning-rate schedules.
const (
	ScheduleConstant = "constant"
	ScheduleCosine   = "cosine"
)

// lrScheduler is implemented by every optimizer in package optim; schedules
// need it. LR returns NaN past the last group.
type lrScheduler interface {
	SetLR(group int, lr float64) error
	LR(group int) float64
}

// ErrNoData is returned when a stream needed by the objective is empty.
var ErrNoData = errors.New("not enough data")

func (o *Options) withDefaults() (Options, error) {
	out := *o
	if out.Steps <= 0 {
		return out, fmt.Errorf("steps %d must be positive", out.Steps)
	}
	if out.BatchSize <= 0 {
		return out, fmt.Errorf("batch size %d must be positive", out.BatchSize)
	}
	for _, lr := range []float64{out.LRCost, out.LRPotential} {
		if !(lr > 0) || math.IsInf(lr, 0) {
			return out, fmt.Errorf("learning rate %v must be positive and finite", lr)
		}
	}
	if out.ClipNorm < 0 || math.IsNaN(out.ClipNorm) {
		return out, fmt.Errorf("gradient clip %v must be ≥ 0", out.ClipNorm)
	}
	if out.LogEvery <= 0 {
		out.LogEvery = 100
	}
	if out.ValidEvery < 0 || out.Patience < 0 {
		return out, fmt.Errorf("validation interval and patience must be ≥ 0")
	}
	switch out.Schedule {
	case "":
		out.Schedule = ScheduleConstant
	case ScheduleConstant, ScheduleCosine:
	default:
		return out, fmt.Errorf("unknown learning-rate schedule %q (want %q or %q)", out.Schedule, ScheduleConstant, ScheduleCosine)
	}
	return out, nil
}

// Groups partitions a model's parameters into the learner's two optimizer
// groups: cost parameters at lrCost, potential parameters at lrPotential.
func Groups(m energy.Model, lrCost, lrPotential float64) []optim.Group {
	groups := []optim.Group{{Name: "cost", LR: lrCost}, {Name: "potential", LR: lrPotential}}
	for _, b := range m.Blocks() {
		g := &groups[0]
		if b.Role == energy.RolePotential {
			g = &groups[1]
		}
		g.Segments = append(g.Segments, optim.Segment{Name: b.Name, Offset: b.Offset, Len: b.Len, Rows: b.Rows, Cols: b.Cols})
	}
	return groups
}

// Fit trains model on the standardised training streams. valid holds
// validation pairs (may be nil or empty). On cancellation of ctx it stops
// at the end of the current step and returns the result so far together
// with an error wrapping ctx.Err(); the model then holds the current (or,
// with KeepBest, the best) parameters, ready to be saved.
func Fit(ctx context.Context, model energy.Model, train *datasets.Streams, valid *datasets.Streams, opts Options) (*Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	spec := model.Spec()
	if err := train.Validate(); err != nil {
		return nil, fmt.Errorf("fit: training data: %w", err)
	}
	if train.XDim() != spec.XDim || train.YDim() != spec.YDim {
		return nil, fmt.Errorf("fit: data is %d → %d dimensional, model %d → %d", train.XDim(), train.YDim(), spec.XDim, spec.YDim)
	}
	sources, targets := train.AllSources(), train.AllTargets()
	if sources.Rows == 0 || targets.Rows == 0 {
		return nil, fmt.Errorf("fit: %w: need at least one source x and one target y (have %d and %d)", ErrNoData, sources.Rows, targets.Rows)
	}
	params := model.Params()
	groups := Groups(model, o.LRCost, o.LRPotential)
	newOpt := o.NewOptimizer
	if newOpt == nil {
		if newOpt, err = o.Optimizer.Factory(o.Steps); err != nil {
			return nil, fmt.Errorf("fit: %w", err)
		}
	}
	opt, err := newOpt(groups, len(params))
	if err != nil {
		return nil, fmt.Errorf("fit: optimizer: %w", err)
	}

	var baseLR []float64 // of every optimizer group, for the schedule
	sched, _ := opt.(lrScheduler)
	if o.Schedule != ScheduleConstant {
		if sched == nil {
			return nil, fmt.Errorf("fit: the optimizer cannot change its learning rate, so schedule %q is not available", o.Schedule)
		}
		for i := 0; !math.IsNaN(sched.LR(i)); i++ {
			baseLR = append(baseLR, sched.LR(i))
		}
	}
	validator := newValidator(model, valid)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6562_6965_6f74)) // "ebieot"
	dx, dy, bs := spec.XDim, spec.YDim, o.BatchSize
	batch := &energy.Batch{
		PairX: make([]float64, 0, bs*dx), PairY: make([]float64, 0, bs*dy),
		TargetY: make([]float64, bs*dy), NTarget: bs,
		SourceX: make([]float64, bs*dx), NSource: bs,
	}
	if train.PairX.Rows > 0 {
		batch.PairX, batch.PairY, batch.NPair = batch.PairX[:bs*dx], batch.PairY[:bs*dy], bs
	}
	grad := make([]float64, len(params))
	var best []float64
	if o.KeepBest && validator != nil {
		best = make([]float64, len(params))
	}

	res := &Result{Stopped: "completed", BestValidNLL: math.NaN()}
	start := time.Now()
	lastReport, lastReportStep := start, 0
	var window energy.LossTerms
	windowN := 0
	lastValid := math.NaN()
	sinceBest := 0
	report := func(step int) {
		if o.Progress == nil {
			return
		}
		now := time.Now()
		p := Progress{Step: o.StartStep + step, LastStep: o.StartStep + o.Steps, ValidNLL: lastValid, BestValidNLL: res.BestValidNLL, Elapsed: now.Sub(start)}
		if windowN > 0 {
			n := float64(windowN)
			p.Terms = energy.LossTerms{Paired: window.Paired / n, Target: window.Target / n, LogPartition: window.LogPartition / n, Total: window.Total / n}
		}
		if dt := now.Sub(lastReport).Seconds(); dt > 0 {
			p.StepsPerSecond = float64(step-lastReportStep) / dt
		}
		lastReport, lastReportStep = now, step
		o.Progress(p)
	}
	logRow := func(step int, validNLL float64) {
		e := LogEntry{Step: o.StartStep + step, ValidNLL: validNLL, Paired: math.NaN(), Target: math.NaN(), LogPartition: math.NaN(), Total: math.NaN()}
		if windowN > 0 {
			n := float64(windowN)
			e.Paired, e.Target, e.LogPartition, e.Total = window.Paired/n, window.Target/n, window.LogPartition/n, window.Total/n
		}
		res.History = append(res.History, e)
	}

	for step := 1; step <= o.Steps; step++ {
		if err := ctx.Err(); err != nil {
			res.Stopped = "interrupted"
			break
		}
		drawRows(rng, sources, batch.SourceX)
		drawRows(rng, targets, batch.TargetY)
		if batch.NPair > 0 {
			drawPairs(rng, train.PairX, train.PairY, batch.PairX, batch.PairY)
		}
		terms, err := model.LossGrad(ctx, batch, grad, rng)
		if err != nil {
			if ctx.Err() != nil {
				res.Stopped = "interrupted"
				break
			}
			return res, fmt.Errorf("fit: step %d: %w", o.StartStep+step, err)
		}
		if !finiteSlice(grad) {
			return res, fmt.Errorf("fit: step %d: gradient is not finite (loss terms %+v); try a smaller learning rate or --clip", o.StartStep+step, terms)
		}
		if o.ClipNorm > 0 {
			clipNorm(grad, o.ClipNorm)
		}
		if o.Schedule == ScheduleCosine {
			f := 0.5 * (1 + math.Cos(math.Pi*float64(step-1)/float64(o.Steps)))
			for gi, lr := range baseLR {
				if err := sched.SetLR(gi, lr*f); err != nil {
					return res, fmt.Errorf("fit: %w", err)
				}
			}
		}
		if err := opt.Step(params, grad); err != nil {
			return res, fmt.Errorf("fit: step %d: optimizer: %w", o.StartStep+step, err)
		}
		res.Steps = step
		window.Paired += terms.Paired
		window.Target += terms.Target
		window.LogPartition += terms.LogPartition
		window.Total += terms.Total
		windowN++

		last := step == o.Steps
		validNow := validator != nil && (last || (o.ValidEvery > 0 && step%o.ValidEvery == 0))
		if validNow {
			v, err := validator.nll(ctx, rng)
			if err != nil {
				if ctx.Err() != nil {
					res.Stopped = "interrupted"
					break
				}
				return res, fmt.Errorf("fit: step %d: validation: %w", o.StartStep+step, err)
			}
			lastValid = v
			if math.IsNaN(res.BestValidNLL) || v < res.BestValidNLL {
				res.BestValidNLL, res.BestStep, sinceBest = v, o.StartStep+step, 0
				if best != nil {
					copy(best, params)
				}
			} else {
				sinceBest++
			}
		}
		if step%o.LogEvery == 0 || last || validNow {
			v := math.NaN()
			if validNow {
				v = lastValid
			}
			if step%o.LogEvery == 0 || last {
				logRow(step, v)
				report(step)
				window, windowN = energy.LossTerms{}, 0
			} else {
				logRow(step, v)
			}
		}
		if validNow && o.Patience > 0 && sinceBest >= o.Patience {
			res.Stopped = "early stopping"
			break
		}
	}
	if windowN > 0 && res.Stopped != "completed" {
		logRow(res.Steps, math.NaN())
		report(res.Steps)
	}
	if best != nil && res.BestStep > 0 {
		copy(params, best)
	}
	res.Elapsed = time.Since(start)
	if res.Stopped == "interrupted" {
		return res, fmt.Errorf("fit: interrupted after %d steps: %w", res.Steps, ctx.Err())
	}
	return res, nil
}

// drawRows fills dst with rows of src drawn uniformly with replacement.
func drawRows(rng *rand.Rand, src datasets.Matrix, dst []float64) {
	d := src.Cols
	for k := 0; k < len(dst)/d; k++ {
		copy(dst[k*d:(k+1)*d], src.Row(rng.IntN(src.Rows)))
	}
}

// drawPairs fills dstX, dstY with pairs drawn uniformly with replacement.
func drawPairs(rng *rand.Rand, x, y datasets.Matrix, dstX, dstY []float64) {
	dx, dy := x.Cols, y.Cols
	for k := 0; k < len(dstX)/dx; k++ {
		i := rng.IntN(x.Rows)
		copy(dstX[k*dx:(k+1)*dx], x.Row(i))
		copy(dstY[k*dy:(k+1)*dy], y.Row(i))
	}
}

func finiteSlice(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// clipNorm rescales g so that its L2 norm is at most maxNorm.
func clipNorm(g []float64, maxNorm float64) {
	var s float64
	for _, x := range g {
		s += x * x
	}
	if n := math.Sqrt(s); n > maxNorm {
		f := maxNorm / n
		for i := range g {
			g[i] *= f
		}
	}
}
