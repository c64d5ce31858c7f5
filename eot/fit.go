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
	// Checkpoint, if set, is called every LogEvery steps, on the training
	// goroutine, with the number of steps taken in this run; the model's
	// parameters are then those of the last step, safe to read or save.
	Checkpoint func(steps int)

	Seed uint64 // seeds the minibatch draws and any sampling in the model
	// StartStep offsets step numbers when resuming a saved model.
	StartStep int
	// Threads is the number of goroutines the model may use per step
	// (0 = one per CPU); it is passed on through energy.Threaded.
	Threads int
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
	Stopped      Status
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
	t, err := newTrainer(model, train, valid, opts)
	if err != nil {
		return nil, err
	}
	runErr := t.run(ctx, t.o.Steps)
	res := t.finish()
	if runErr != nil {
		return res, runErr
	}
	if res.Stopped == Interrupted {
		return res, fmt.Errorf("fit: interrupted after %d steps: %w", res.Steps, ctx.Err())
	}
	return res, nil
}

// trainer is one training run as a state type whose methods are its steps
// (draw, gradient, update, validate, record), so that a run can be advanced
// in stages: Fit runs it to the end, model selection runs many side by side
// and stops the poor ones early.
type trainer struct {
	o         Options
	model     energy.Model
	pairs     *datasets.Streams
	sources   datasets.Matrix
	targets   datasets.Matrix
	params    []float64
	opt       optim.Optimizer
	sched     lrScheduler
	baseLR    []float64 // of every optimizer group, for the schedule
	validator *validator
	rng       *rand.Rand
	batch     *energy.Batch
	grad      []float64
	best      []float64 // parameters at the best validation (KeepBest)

	res       *Result
	done      int // steps taken
	stopped   bool
	start     time.Time
	window    energy.LossTerms // loss terms summed since the last record
	windowN   int
	lastValid float64
	sinceBest int

	lastReport     time.Time
	lastReportStep int
}

func newTrainer(model energy.Model, train *datasets.Streams, valid *datasets.Streams, opts Options) (*trainer, error) {
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
	t := &trainer{o: o, model: model, pairs: train, sources: train.AllSources(), targets: train.AllTargets(), params: model.Params()}
	if t.sources.Rows == 0 || t.targets.Rows == 0 {
		return nil, fmt.Errorf("fit: %w: need at least one source x and one target y (have %d and %d)", ErrNoData, t.sources.Rows, t.targets.Rows)
	}
	if th, ok := model.(energy.Threaded); ok {
		th.SetThreads(o.Threads)
	}
	groups := Groups(model, o.LRCost, o.LRPotential)
	newOpt := o.NewOptimizer
	if newOpt == nil {
		if newOpt, err = o.Optimizer.Factory(o.Steps); err != nil {
			return nil, fmt.Errorf("fit: %w", err)
		}
	}
	if t.opt, err = newOpt(groups, len(t.params)); err != nil {
		return nil, fmt.Errorf("fit: optimizer: %w", err)
	}
	t.sched, _ = t.opt.(lrScheduler)
	if o.Schedule != ScheduleConstant {
		if t.sched == nil {
			return nil, fmt.Errorf("fit: the optimizer cannot change its learning rate, so schedule %q is not available", o.Schedule)
		}
		for i := 0; !math.IsNaN(t.sched.LR(i)); i++ {
			t.baseLR = append(t.baseLR, t.sched.LR(i))
		}
	}
	t.validator = newValidator(model, valid)
	t.rng = rand.New(rand.NewPCG(o.Seed, 0x6562_6965_6f74)) // "ebieot"
	dx, dy, bs := spec.XDim, spec.YDim, o.BatchSize
	t.batch = &energy.Batch{
		PairX: make([]float64, 0, bs*dx), PairY: make([]float64, 0, bs*dy),
		TargetY: make([]float64, bs*dy), NTarget: bs,
		SourceX: make([]float64, bs*dx), NSource: bs,
	}
	if train.PairX.Rows > 0 {
		t.batch.PairX, t.batch.PairY, t.batch.NPair = t.batch.PairX[:bs*dx], t.batch.PairY[:bs*dy], bs
	}
	t.grad = make([]float64, len(t.params))
	if o.KeepBest && t.validator != nil {
		t.best = make([]float64, len(t.params))
	}
	t.res = &Result{Stopped: Completed, BestValidNLL: math.NaN()}
	t.start = time.Now()
	t.lastReport = t.start
	t.lastValid = math.NaN()
	return t, nil
}

// run takes steps until step until (at most Options.Steps), early stopping
// or cancellation. It returns an error only for a failure; an interruption
// is recorded in the result's status.
func (t *trainer) run(ctx context.Context, until int) error {
	until = min(until, t.o.Steps)
	for !t.stopped && t.done < until {
		if err := ctx.Err(); err != nil {
			t.res.Stopped, t.stopped = Interrupted, true
			break
		}
		step := t.done + 1
		terms, err := t.step(ctx, step)
		if err != nil {
			if ctx.Err() != nil {
				t.res.Stopped, t.stopped = Interrupted, true
				break
			}
			return err
		}
		t.done = step
		t.res.Steps = step
		t.accumulate(terms)
		if err := t.afterStep(ctx, step); err != nil {
			return err
		}
	}
	return nil
}

// step draws one minibatch of each stream, evaluates the loss and its
// gradient and updates the parameters.
func (t *trainer) step(ctx context.Context, step int) (energy.LossTerms, error) {
	b, o := t.batch, t.o
	drawRows(t.rng, t.sources, b.SourceX)
	drawRows(t.rng, t.targets, b.TargetY)
	if b.NPair > 0 {
		drawPairs(t.rng, t.pairs.PairX, t.pairs.PairY, b.PairX, b.PairY)
	}
	terms, err := t.model.LossGrad(ctx, b, t.grad, t.rng)
	if err != nil {
		return terms, fmt.Errorf("fit: step %d: %w", o.StartStep+step, err)
	}
	if !finiteSlice(t.grad) {
		return terms, fmt.Errorf("fit: step %d: gradient is not finite (loss terms %+v); try a smaller learning rate or --clip", o.StartStep+step, terms)
	}
	if o.ClipNorm > 0 {
		clipNorm(t.grad, o.ClipNorm)
	}
	if o.Schedule == ScheduleCosine {
		f := 0.5 * (1 + math.Cos(math.Pi*float64(step-1)/float64(o.Steps)))
		for gi, lr := range t.baseLR {
			if err := t.sched.SetLR(gi, lr*f); err != nil {
				return terms, fmt.Errorf("fit: %w", err)
			}
		}
	}
	if err := t.opt.Step(t.params, t.grad); err != nil {
		return terms, fmt.Errorf("fit: step %d: optimizer: %w", o.StartStep+step, err)
	}
	return terms, nil
}

func (t *trainer) accumulate(terms energy.LossTerms) {
	t.window.Paired += terms.Paired
	t.window.Target += terms.Target
	t.window.LogPartition += terms.LogPartition
	t.window.Total += terms.Total
	t.windowN++
}

// afterStep validates when due, records the history and reports progress,
// and applies the patience rule.
func (t *trainer) afterStep(ctx context.Context, step int) error {
	o := t.o
	last := step == o.Steps
	validNow := t.validator != nil && (last || (o.ValidEvery > 0 && step%o.ValidEvery == 0))
	if validNow {
		if err := t.validate(ctx, step); err != nil {
			if ctx.Err() != nil {
				t.res.Stopped, t.stopped = Interrupted, true
				return nil
			}
			return err
		}
	}
	if step%o.LogEvery == 0 || last || validNow {
		v := math.NaN()
		if validNow {
			v = t.lastValid
		}
		t.logRow(step, v)
		if step%o.LogEvery == 0 || last {
			t.report(step)
			t.window, t.windowN = energy.LossTerms{}, 0
			if o.Checkpoint != nil && !last {
				o.Checkpoint(step)
			}
		}
	}
	if validNow && o.Patience > 0 && t.sinceBest >= o.Patience {
		t.res.Stopped, t.stopped = EarlyStopped, true
	}
	return nil
}

// validate scores the validation pairs and keeps the best parameters.
func (t *trainer) validate(ctx context.Context, step int) error {
	v, err := t.validator.nll(ctx, t.rng)
	if err != nil {
		return fmt.Errorf("fit: step %d: validation: %w", t.o.StartStep+step, err)
	}
	t.lastValid = v
	if math.IsNaN(t.res.BestValidNLL) || v < t.res.BestValidNLL {
		t.res.BestValidNLL, t.res.BestStep, t.sinceBest = v, t.o.StartStep+step, 0
		if t.best != nil {
			copy(t.best, t.params)
		}
	} else {
		t.sinceBest++
	}
	return nil
}

// logRow appends a history row with the mean loss terms since the last
// record.
func (t *trainer) logRow(step int, validNLL float64) {
	e := LogEntry{Step: t.o.StartStep + step, ValidNLL: validNLL, Paired: math.NaN(), Target: math.NaN(), LogPartition: math.NaN(), Total: math.NaN()}
	if t.windowN > 0 {
		n := float64(t.windowN)
		e.Paired, e.Target, e.LogPartition, e.Total = t.window.Paired/n, t.window.Target/n, t.window.LogPartition/n, t.window.Total/n
	}
	t.res.History = append(t.res.History, e)
}

func (t *trainer) report(step int) {
	if t.o.Progress == nil {
		return
	}
	now := time.Now()
	p := Progress{Step: t.o.StartStep + step, LastStep: t.o.StartStep + t.o.Steps, ValidNLL: t.lastValid, BestValidNLL: t.res.BestValidNLL, Elapsed: now.Sub(t.start)}
	if t.windowN > 0 {
		n := float64(t.windowN)
		p.Terms = energy.LossTerms{Paired: t.window.Paired / n, Target: t.window.Target / n, LogPartition: t.window.LogPartition / n, Total: t.window.Total / n}
	}
	if dt := now.Sub(t.lastReport).Seconds(); dt > 0 {
		p.StepsPerSecond = float64(step-t.lastReportStep) / dt
	}
	t.lastReport, t.lastReportStep = now, step
	t.o.Progress(p)
}

// finish records the last partial window of an early end, restores the
// best parameters (KeepBest) and returns the result.
func (t *trainer) finish() *Result {
	if t.windowN > 0 && t.res.Stopped != Completed {
		t.logRow(t.res.Steps, math.NaN())
		t.report(t.res.Steps)
		t.window, t.windowN = energy.LossTerms{}, 0
	}
	if t.best != nil && t.res.BestStep > 0 {
		copy(t.params, t.best)
	}
	t.res.Elapsed = time.Since(t.start)
	return t.res
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
