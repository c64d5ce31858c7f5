package eot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/internal/parallel"
)

// Train fits a model of π(y|x) to data given in the user's units: it fits
// the scaler (Config.Scaling), holds out Config.ValidFrac of the pairs for
// validation, initialises a model of Config.Spec and trains it with
// Config.Fit. The result converts to and from the user's units and carries
// the training record that model files store.
//
// On cancellation of ctx it returns the model trained so far together with
// an error wrapping ctx.Err(), so that the caller can still save it.
func Train(ctx context.Context, data *datasets.Streams, cfg Config) (*Trained, error) {
	cfg = cfg.clone()
	if err := data.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var scaler datasets.Scaler
	if cfg.Spec.FixedCost() {
		// A fixed cost compares x with y: both keep the file's units, in
		// which ε is given (docs/method.md §9.3).
		cfg.Scaling = Raw
	}
	switch cfg.Scaling {
	case Standardize:
		scaler = datasets.FitScaler(data)
	case Raw:
		scaler = datasets.IdentityScaler(data.XDim(), data.YDim())
	default:
		return nil, fmt.Errorf("train: unknown scaling %d", cfg.Scaling)
	}
	return train(ctx, data, scaler, nil, cfg)
}

// Resume continues training prev on data (the same columns; the data may
// be new) with prev's architecture and scaler and cfg's training loop:
// cfg.Fit.Steps more steps, numbered after prev's.
func Resume(ctx context.Context, prev *Trained, data *datasets.Streams, cfg Config) (*Trained, error) {
	cfg = cfg.clone()
	if err := prev.CheckColumns(data); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	return train(ctx, data, prev.Scaler, prev, cfg)
}

// TrainModel trains a model the caller built (with NewModel or a model
// package's constructor, in the scaler's coordinates) on data in the user's
// units, with cfg's training loop and validation split, and returns it with
// its training record. It is Train for callers that control the
// initialisation, such as a reproduction that must draw it from its own
// random stream.
func TrainModel(ctx context.Context, model energy.Model, data *datasets.Streams, scaler datasets.Scaler, cfg Config) (*Trained, error) {
	cfg = cfg.clone()
	if s := model.Spec(); s.XDim != data.XDim() || s.YDim != data.YDim() {
		return nil, fmt.Errorf("train: the model is %d → %d dimensional, the data %d → %d", s.XDim, s.YDim, data.XDim(), data.YDim())
	}
	return train(ctx, data, scaler, &Trained{Model: model}, cfg)
}

// TrainPairsOnly is Train on the pairs of data alone, in the given scaler's
// coordinates: the unpaired x's and y's are dropped, so the sources and
// targets are the pairs' own. Set against a model trained on everything, it
// measures what the unpaired data add.
func TrainPairsOnly(ctx context.Context, data *datasets.Streams, scaler datasets.Scaler, cfg Config) (*Trained, error) {
	cfg = cfg.clone()
	pairs := &datasets.Streams{XNames: data.XNames, YNames: data.YNames, PairX: data.PairX, PairY: data.PairY,
		SourceX: datasets.NewMatrix(0, data.XDim()), TargetY: datasets.NewMatrix(0, data.YDim())}
	if pairs.PairX.Rows < 2 {
		return nil, fmt.Errorf("pairs-only model: %w: %d pairs, need at least 2", ErrNoData, pairs.PairX.Rows)
	}
	t, err := train(ctx, pairs, scaler, nil, cfg)
	if err != nil {
		return t, fmt.Errorf("pairs-only model: %w", err)
	}
	return t, nil
}

// train is Train and Resume after the scaler is known: prev, if not nil,
// supplies the model and the step count to continue from.
func train(ctx context.Context, data *datasets.Streams, scaler datasets.Scaler, prev *Trained, cfg Config) (*Trained, error) {
	if err := scaler.Check(data); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := checkConstantY(data); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if !(cfg.ValidFrac >= 0 && cfg.ValidFrac < 1) {
		return nil, fmt.Errorf("train: validation fraction %v must be in [0, 1)", cfg.ValidFrac)
	}
	// One generator for the split and then the initialisation, in that
	// order: a model file names the seed, and this makes it reproducible.
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	scaled := scaler.Apply(data)
	var model energy.Model
	var board *Leaderboard
	opts := cfg.Fit
	opts.Seed, opts.Threads = cfg.Seed, cfg.Threads
	marginalInit := prev == nil && cfg.Spec.Kind == energy.KindGMM && cfg.Init == InitMarginal
	fixed := cfg.Spec.FixedCost()
	if prev == nil && cfg.Spec.Kind == energy.KindGMM && !fixed && data.PairX.Rows == 0 {
		return nil, fmt.Errorf("train: %w: no pairs, and a learned cost is learned from pairs; with no pairs, fix the cost (the quadratic cost ½‖x−y‖² for x and y in one unit: --cost quadratic)", ErrNoData)
	}
	// A fixed cost with too few pairs to cross-validate is stopped by the
	// objective on held-out sources and targets instead.
	unpairedValid := marginalInit && fixed && data.PairX.Rows < minSelectPairs
	selecting := marginalInit && !cfg.Select.Off && !unpairedValid
	if selecting {
		// Cross-validation takes the place of the validation split.
		cfg.ValidFrac = 0
	}
	trainSet, valid := scaled, (*datasets.Streams)(nil)
	switch {
	case cfg.ValidFrac > 0 && unpairedValid:
		trainSet, valid = datasets.SplitValidation(scaled, cfg.ValidFrac, rng)
	case cfg.ValidFrac > 0:
		trainSet, valid = datasets.SplitPairs(scaled, cfg.ValidFrac, rng)
	}
	switch {
	case prev != nil:
		model = prev.Model
		opts.StartStep = prev.Training.Steps
	case marginalInit:
		spec := cfg.Spec
		spec.XDim, spec.YDim, spec.EpsFree = data.XDim(), data.YDim(), !fixed
		spec.FullCov = cfg.Covariance == CovarianceFull || (cfg.Covariance == CovarianceAuto && spec.FullCov)
		if fixed {
			spec.CostComponents = 1
		}
		switch {
		case selecting:
			// The widest candidate of the search, once per thread.
			worst := spec
			worst.Potentials = max(worst.Potentials, 50)
			worst.CostComponents = max(worst.CostComponents, 4)
			if err := checkMemory(worst, opts.BatchSize, parallel.Threads(cfg.Threads)); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			c := cfg
			c.Spec = spec
			sel, err := selectGMM(ctx, scaled, c)
			if err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			spec, board = sel.spec, sel.board
			opts.LRCost, opts.LRPotential, opts.Steps = sel.lrCost, sel.lrPot, sel.steps
			// The stopping step comes from the cross-validation.
			opts.ValidEvery, opts.Patience, opts.KeepBest = 0, 0, false
		case unpairedValid:
			if spec.Potentials == 0 || (cfg.Covariance == CovarianceAuto && !cfg.Select.Off) {
				c := cfg
				c.Spec = spec
				sel := c.Select.withDefaults()
				ns := sel.Potentials
				if spec.Potentials > 0 {
					ns = []int{spec.Potentials}
				}
				scores, err := marginalSearch(ctx, trainSet.AllTargets(), ns, covChoices(cfg.Covariance, spec.FullCov), sel.Folds, cfg.Seed, cfg.Threads)
				if err != nil {
					return nil, fmt.Errorf("train: %w", err)
				}
				spec.Potentials, spec.FullCov = scores[0].Potentials, scores[0].FullCov
				board = &Leaderboard{Pairs: data.PairX.Rows, Marginal: scores, Searched: searchedSettings(c),
					Fallback: fmt.Sprintf("%d pairs are too few to cross-validate (need %d): the potential was chosen from the y's and training stopped on the objective of %.0f%% held-out sources and targets",
						data.PairX.Rows, minSelectPairs, 100*cfg.ValidFrac)}
			}
			opts.LRPotential = firstNonZeroF(opts.LRPotential, defaultFixedLR)
			opts.LRCost = firstNonZeroF(opts.LRCost, defaultFixedLR)
			opts.Steps = firstNonZero(opts.Steps, defaultFixedSteps)
		default:
			spec.Potentials = firstNonZero(spec.Potentials, defaultPotentials)
			spec.CostComponents = firstNonZero(spec.CostComponents, defaultTilts)
			opts.LRCost, opts.LRPotential = firstNonZeroF(opts.LRCost, defaultLRCost), firstNonZeroF(opts.LRPotential, defaultLRPot)
			opts.Steps = firstNonZero(opts.Steps, defaultSteps)
		}
		if err := checkMemory(spec, opts.BatchSize, 1); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		mg, err := gmm.FitMarginal(ctx, initSample(trainSet.AllTargets(), rng), spec.Potentials, spec.FullCov, gmm.EMOptions{Threads: cfg.Threads, Restarts: initRestarts}, rng)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if model, err = gmm.NewFromMarginal(spec, mg, 0.01, rng); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	default:
		spec := cfg.Spec
		spec.XDim, spec.YDim = data.XDim(), data.YDim()
		if err := checkMemory(spec, opts.BatchSize, 1); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		var err error
		if model, err = NewModel(spec, trainSet, rng); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	record := func(res *Result) Training {
		tr := Training{
			Steps: opts.StartStep + res.Steps, Planned: opts.StartStep + opts.Steps, Seed: cfg.Seed, DataDigest: DataDigest(data),
			Paired: trainSet.PairX.Rows, Sources: data.SourceX.Rows, Targets: data.TargetY.Rows, Validation: pairsIn(valid),
			BatchSize: opts.BatchSize, LRCost: opts.LRCost, LRPotential: opts.LRPotential, Optimizer: opts.Optimizer, Schedule: opts.Schedule,
			BestStep: res.BestStep, Stopped: res.Stopped, Seconds: res.Elapsed.Seconds(), History: res.History,
			ClipNorm: opts.ClipNorm, ValidFrac: cfg.ValidFrac, ValidEvery: opts.ValidEvery, Patience: opts.Patience, KeepBest: opts.KeepBest,
			Scaling: cfg.Scaling, Selection: board, Covariance: cfg.Covariance,
		}
		if tr.Schedule == "" {
			tr.Schedule = ScheduleConstant
		}
		if marginalInit || (prev != nil && prev.Training.Init == initMarginalName) {
			tr.Init = initMarginalName
		}
		if prev != nil {
			tr.History = append(append([]LogEntry(nil), prev.Training.History...), res.History...)
			tr.Seconds += prev.Training.Seconds
		}
		if !math.IsNaN(res.BestValidNLL) {
			v := res.BestValidNLL
			tr.BestValidNLL = &v
		}
		return tr
	}
	if cfg.Checkpoint != nil {
		started := time.Now()
		opts.Checkpoint = func(steps int) {
			res := &Result{Steps: steps, Stopped: Interrupted, BestValidNLL: math.NaN(), Elapsed: time.Since(started)}
			cfg.Checkpoint(&Trained{Model: model, XNames: data.XNames, YNames: data.YNames, Scaler: scaler, Training: record(res), Result: res})
		}
	}
	var res *Result
	var fitErr error
	if opts.Steps == 0 && board != nil {
		// The search found no step better than the x-blind start.
		res = &Result{Stopped: Completed, BestValidNLL: math.NaN()}
	} else {
		res, fitErr = Fit(ctx, model, trainSet, valid, opts)
	}
	if res == nil {
		return nil, fitErr
	}
	if fitErr != nil && !errors.Is(fitErr, context.Canceled) && !errors.Is(fitErr, context.DeadlineExceeded) {
		return nil, fitErr
	}
	tr := record(res)
	t := &Trained{Model: model, XNames: append([]string(nil), data.XNames...), YNames: append([]string(nil), data.YNames...),
		Scaler: scaler, Training: tr, Result: res}
	return t, fitErr
}

// ErrConstantColumn is wrapped when a y column holds one value in every
// row: no continuous density can be fitted to it.
var ErrConstantColumn = errors.New("eot: constant column")

// checkConstantY rejects y columns with a single value over every available
// y (a constant x column is harmless: the cost ignores it).
func checkConstantY(data *datasets.Streams) error {
	ys := data.AllTargets()
	if ys.Rows < 2 {
		return nil
	}
	for j, name := range data.YNames {
		first, constant := ys.Row(0)[j], true
		for i := 1; i < ys.Rows && constant; i++ {
			constant = ys.Row(i)[j] == first
		}
		if constant {
			return fmt.Errorf("%w: y column %q is %v in every one of the %d rows with a y; no density can be fitted to it, so leave it out of the y columns",
				ErrConstantColumn, name, first, ys.Rows)
		}
	}
	return nil
}

// maxInitRows bounds the rows the initial EM fit uses: a starting point
// needs far fewer rows than the training that follows, and EM's cost grows
// with rows × components × dimension² for full covariances.
const maxInitRows = 20000

// initRestarts is the number of EM runs of the initial fit: the training
// that follows cannot merge or split components, so a poor local optimum
// of EM stays (on the 16-D EOT benchmark with 100 000 points, one seeding
// gave a conditional error, cBW²-UVP, of 4.2 %; the best of four 0.05 %).
const initRestarts = 4

// initSample is ys, or a random subset of maxInitRows of its rows.
func initSample(ys datasets.Matrix, rng *rand.Rand) datasets.Matrix {
	if ys.Rows <= maxInitRows {
		return ys
	}
	pick := rng.Perm(ys.Rows)[:maxInitRows]
	slices.Sort(pick)
	return ys.SelectRows(pick)
}

// initMarginalName marks InitMarginal in model files, where an empty value
// means the paper's initialisation of older files.
const initMarginalName = "marginal"

func pairsIn(s *datasets.Streams) int {
	if s == nil {
		return 0
	}
	return s.PairX.Rows
}
