package eot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/ebieot/ebieot/baseline"
	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/internal/parallel"
	"github.com/ebieot/ebieot/points"
)

// Covariance kinds of Config.Covariance.
const (
	CovarianceAuto = ""     // chosen by cross-validated likelihood (or Spec.FullCov without selection)
	CovarianceDiag = "diag" // diagonal A_n
	CovarianceFull = "full" // full A_n (Cholesky factors)
)

// Initialisations of Config.Init.
const (
	// InitMarginal (the default) fits the potential by EM to every
	// available y and starts the cost heads near zero, so that training
	// starts at the best x-blind model (docs/method.md §9.2).
	InitMarginal = ""
	// InitTargets places the potential's components on random target rows
	// with A_n = AInit·I, as the paper's Swiss-roll preset does.
	InitTargets = "targets"
)

// Selection controls the model selection of Train for EBiEOT-GMM
// (docs/method.md §9.1–9.2): the potential's number of components and
// covariance kind by cross-validated likelihood of every available y, then
// the cost's number of tilts, the learning rates and the number of steps by
// K-fold cross-validated conditional likelihood of the pairs, searched by
// successive halving, each candidate warm-started from the EM marginal of
// its fold. Only the settings left unset in Config are searched: a zero
// Spec.Potentials, Spec.CostComponents, Fit.LRCost, Fit.LRPotential or
// Fit.Steps, and CovarianceAuto.
type Selection struct {
	// Off turns the search off; unset settings then take the defaults of
	// DefaultConfig's documentation.
	Off bool
	// Folds is K (default 5).
	Folds int
	// MaxSteps bounds the steps of a candidate (default 6000).
	MaxSteps int
	// Potentials, Tilts and LearningRates are the grids searched (defaults:
	// 1, 2, 3, 5, 8, 12, 20, 30, 50 components; 1, 2, 4 tilts; cost
	// learning rates 1e-2, 3e-3, 1e-3, 3e-4, each with a potential rate a
	// third of it).
	Potentials    []int
	Tilts         []int
	LearningRates []float64
	// Progress, if set, receives a report after every rung of the search.
	// It runs on the calling goroutine.
	Progress func(SelectProgress)
}

// SelectProgress reports the state of the search.
type SelectProgress struct {
	Stage            string // "marginal" or "conditional"
	Rung, Rungs      int
	Candidates, Left int
	Folds            int
	Step             int     // steps every surviving candidate has taken
	Best             string  // the best candidate so far
	BestNLL          float64 // its cross-validated NLL (standardised units)
	Elapsed          time.Duration
}

// Leaderboard is the record of a model selection, stored in model files.
type Leaderboard struct {
	Folds int `json:"folds"`
	Pairs int `json:"pairs"`
	// Marginal lists the x-blind mixtures tried, by cross-validated NLL of
	// every available y.
	Marginal []MarginalScore `json:"marginal"`
	// Candidates lists every conditional candidate with its cross-validated
	// NLL of the pairs at its best step, best first.
	Candidates []CandidateScore `json:"candidates"`
	// Baselines are cross-validated on the same folds: the x-blind marginal
	// and a linear-Gaussian regression on the pairs.
	MarginalNLL MeanSE `json:"marginal_nll"`
	LinearNLL   MeanSE `json:"linear_nll"`
	// MarginalGain and LinearGain are the baselines' NLL minus the chosen
	// model's, paired over the same validation pairs.
	MarginalGain MeanSE `json:"marginal_gain"`
	LinearGain   MeanSE `json:"linear_gain"`
	// Verdict says in words whether the chosen model beats the baselines;
	// BeatsBaselines is true when it beats both by more than two standard
	// errors of the paired difference.
	Verdict        string `json:"verdict"`
	BeatsBaselines bool   `json:"beats_baselines"`
	// Curve is the winner's cross-validated NLL (mean over the folds'
	// validation pairs, standardised units) at every checkpoint; BestStep
	// is where it is lowest, the number of steps of the refit.
	Curve []CurvePoint `json:"curve,omitempty"`
	// Searched names the settings the search chose (the others were given):
	// potentials, covariance, cost_components, lr_cost, lr_potential, steps.
	Searched []string `json:"searched"`
	// Fallback is set when there were too few pairs to cross-validate and
	// documented defaults were used instead.
	Fallback string  `json:"fallback,omitempty"`
	Seconds  float64 `json:"seconds"`
}

// CurvePoint is one checkpoint of a cross-validation curve.
type CurvePoint struct {
	Step int     `json:"step"`
	NLL  float64 `json:"nll"`
}

// MeanSE is a mean with its standard error (standardised units for NLLs).
type MeanSE struct {
	Mean   float64 `json:"mean"`
	StdErr float64 `json:"stderr"`
}

// MarginalScore is one x-blind mixture of the search.
type MarginalScore struct {
	Potentials int     `json:"potentials"`
	FullCov    bool    `json:"full_cov"`
	NLL        float64 `json:"nll"`
}

// CandidateScore is one conditional candidate of the search.
type CandidateScore struct {
	Potentials     int     `json:"potentials"`
	CostComponents int     `json:"cost_components"`
	FullCov        bool    `json:"full_cov"`
	LRCost         float64 `json:"lr_cost"`
	LRPotential    float64 `json:"lr_potential"`
	NLL            MeanSE  `json:"nll"`
	BestStep       int     `json:"best_step"`
	Steps          int     `json:"steps"` // steps run before it was dropped or stopped
	CPUSeconds     float64 `json:"cpu_seconds"`
}

// String names the candidate's settings.
func (c CandidateScore) String() string {
	cov := "diag"
	if c.FullCov {
		cov = "full"
	}
	return fmt.Sprintf("N=%d M=%d %s lr=%.0e/%.0e", c.Potentials, c.CostComponents, cov, c.LRCost, c.LRPotential)
}

// maxMarginalSearchRows bounds the rows the search over mixtures of the
// potential uses.
const maxMarginalSearchRows = 3000

// minSelectPairs is the fewest pairs the search cross-validates on.
const minSelectPairs = 10

// Defaults when a setting is neither given nor searched.
const (
	defaultPotentials = 10
	defaultTilts      = 1
	defaultLRCost     = 3e-3
	defaultLRPot      = 1e-3
	defaultSteps      = 5000
	fallbackSteps     = 1000
	// A fixed cost trained without pairs: only the potential learns, and
	// the held-out objective stops it.
	defaultFixedLR    = 1e-2
	defaultFixedSteps = 20000
)

func (s Selection) withDefaults() Selection {
	if s.Folds == 0 {
		s.Folds = 5
	}
	if s.MaxSteps == 0 {
		s.MaxSteps = 6000
	}
	if s.Potentials == nil {
		s.Potentials = []int{1, 2, 3, 5, 8, 12, 20, 30, 50}
	}
	if s.Tilts == nil {
		s.Tilts = []int{1, 2, 4}
	}
	if s.LearningRates == nil {
		s.LearningRates = []float64{1e-2, 3e-3, 1e-3, 3e-4}
	}
	return s
}

// selected is what the search decided.
type selected struct {
	spec   energy.Spec
	lrCost float64
	lrPot  float64
	steps  int
	board  *Leaderboard
}

// selectGMM runs the search on the scaled training data and returns the
// settings to refit with. cfg.Spec's dimensions are set.
func selectGMM(ctx context.Context, data *datasets.Streams, cfg Config) (*selected, error) {
	sel := cfg.Select.withDefaults()
	start := time.Now()
	spec := cfg.Spec
	out := &selected{spec: spec, lrCost: cfg.Fit.LRCost, lrPot: cfg.Fit.LRPotential, steps: cfg.Fit.Steps}
	board := &Leaderboard{Pairs: data.PairX.Rows, Searched: searchedSettings(cfg)}
	out.board = board
	ys := data.AllTargets()

	// Stage 1: the potential's mixture, from every available y.
	fulls := covChoices(cfg.Covariance, spec.FullCov)
	ns := sel.Potentials
	if spec.Potentials > 0 {
		ns = []int{spec.Potentials}
	}
	if len(ns) > 1 || len(fulls) > 1 {
		scores, err := marginalSearch(ctx, ys, ns, fulls, sel.Folds, cfg.Seed, cfg.Threads)
		if err != nil {
			return nil, err
		}
		board.Marginal = scores
		best := scores[0]
		spec.Potentials, spec.FullCov = best.Potentials, best.FullCov
		if sel.Progress != nil {
			sel.Progress(SelectProgress{Stage: "marginal", Candidates: len(scores), Left: 1, Folds: sel.Folds,
				Best: fmt.Sprintf("N=%d %s", best.Potentials, covName(best.FullCov)), BestNLL: best.NLL, Elapsed: time.Since(start)})
		}
	} else {
		spec.Potentials, spec.FullCov = ns[0], fulls[0]
	}
	out.spec = spec

	// Stage 2: the conditional, from the pairs.
	if data.PairX.Rows < minSelectPairs {
		board.Fallback = fmt.Sprintf("%d pairs are too few to cross-validate (need %d): used M = %d, learning rates %g / %g and %d steps",
			data.PairX.Rows, minSelectPairs, firstNonZero(spec.CostComponents, defaultTilts), firstNonZeroF(out.lrCost, defaultLRCost),
			firstNonZeroF(out.lrPot, defaultLRPot), firstNonZero(out.steps, fallbackSteps))
		out.spec.CostComponents = firstNonZero(spec.CostComponents, defaultTilts)
		out.lrCost, out.lrPot = firstNonZeroF(out.lrCost, defaultLRCost), firstNonZeroF(out.lrPot, defaultLRPot)
		out.steps = firstNonZero(out.steps, fallbackSteps)
		board.Seconds = time.Since(start).Seconds()
		return out, nil
	}
	cands := conditionalCandidates(spec, cfg, sel)
	s, err := newSearch(ctx, data, cfg, sel, cands)
	if err != nil {
		return nil, err
	}
	if err := s.run(ctx, start); err != nil {
		return nil, err
	}
	board.Folds = s.k
	board.Candidates = s.scores()
	win := s.cands[s.winner()]
	for i, v := range win.curve {
		if v = v / float64(s.pairs); !math.IsNaN(v) && !math.IsInf(v, 0) {
			board.Curve = append(board.Curve, CurvePoint{Step: i * s.every, NLL: v})
		}
	}
	out.spec = win.spec
	out.lrCost, out.lrPot = win.lrCost, win.lrPot
	if out.steps == 0 {
		out.steps = win.bestStep
	}
	model, marg, lin := s.winnerNLL(), s.marginalNLL(), s.linearNLL()
	board.MarginalNLL, board.LinearNLL = meanSE(marg), meanSE(lin)
	board.MarginalGain, board.LinearGain = gain(model, marg), gain(model, lin)
	board.Verdict, board.BeatsBaselines = verdict(model, marg, lin)
	board.Seconds = time.Since(start).Seconds()
	return out, nil
}

// searchedSettings lists what the search may choose: every setting cfg
// leaves unset.
func searchedSettings(cfg Config) []string {
	var out []string
	for _, s := range []struct {
		name  string
		unset bool
	}{
		{"potentials", cfg.Spec.Potentials == 0},
		{"covariance", cfg.Covariance == CovarianceAuto},
		{"cost_components", cfg.Spec.CostComponents == 0},
		{"lr_cost", cfg.Fit.LRCost == 0},
		{"lr_potential", cfg.Fit.LRPotential == 0},
		{"steps", cfg.Fit.Steps == 0},
	} {
		if s.unset {
			out = append(out, s.name)
		}
	}
	return out
}

func covChoices(c string, full bool) []bool {
	switch c {
	case CovarianceDiag:
		return []bool{false}
	case CovarianceFull:
		return []bool{true}
	}
	return []bool{false, true}
}

func covName(full bool) string {
	if full {
		return "full"
	}
	return "diag"
}

func firstNonZero(v, def int) int {
	if v != 0 {
		return v
	}
	return def
}

func firstNonZeroF(v, def float64) float64 {
	if v != 0 {
		return v
	}
	return def
}

// marginalSearch scores every (N, covariance) by K-fold cross-validated
// log-likelihood of ys and returns the scores, best first. Mixtures with
// fewer than ten rows per component, or more parameters than half the
// values of the sample, are skipped.
func marginalSearch(ctx context.Context, ys points.Set, ns []int, fulls []bool, k int, seed uint64, threads int) ([]MarginalScore, error) {
	type job struct {
		n    int
		full bool
	}
	var jobs []job
	for _, full := range fulls {
		for _, n := range ns {
			// At least ten rows per component, and no more parameters than a
			// tenth of the values (for full covariances in many dimensions
			// this also bounds EM's cost, which grows with D²).
			rows := min(ys.Rows, maxMarginalSearchRows)
			if rows*(k-1)/k < 10*n || marginalParamCount(n, ys.Cols, full) > rows*ys.Cols/10 {
				continue
			}
			jobs = append(jobs, job{n, full})
		}
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("model selection: %w: %d target rows are too few for any mixture of the potential", ErrNoData, ys.Rows)
	}
	// Ranking mixtures needs far fewer rows than fitting the winner: a
	// fixed random subset keeps the search's cost bounded on large data.
	if ys.Rows > maxMarginalSearchRows {
		pick := rand.New(rand.NewPCG(seed, 0x7375_6273)).Perm(ys.Rows)[:maxMarginalSearchRows] // "subs"
		slices.Sort(pick)
		ys = ys.SelectRows(pick)
	}
	folds := foldOf(ys.Rows, k, rand.New(rand.NewPCG(seed, 0x6d61_7267))) // "marg"
	nll := make([]float64, len(jobs)*k)
	err := parallel.For(ctx, threads, len(jobs)*k, func(_, t int) error {
		j, f := jobs[t/k], t%k
		train, held := splitRows(ys, folds, f)
		m, err := gmm.FitMarginal(ctx, train, j.n, j.full, gmm.EMOptions{Threads: 1, Iterations: 100}, rand.New(rand.NewPCG(seed, uint64(t))))
		if err != nil {
			nll[t] = math.Inf(1)
			return nil
		}
		s := 0.0
		for _, lp := range m.LogProbs(held) {
			s -= lp
		}
		nll[t] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	var scores []MarginalScore
	for j, jb := range jobs {
		s := 0.0
		for f := range k {
			s += nll[j*k+f]
		}
		if math.IsInf(s, 0) || math.IsNaN(s) {
			continue
		}
		scores = append(scores, MarginalScore{Potentials: jb.n, FullCov: jb.full, NLL: s / float64(ys.Rows)})
	}
	if len(scores) == 0 {
		return nil, fmt.Errorf("model selection: EM failed for every mixture of the potential")
	}
	sort.SliceStable(scores, func(a, b int) bool { return scores[a].NLL < scores[b].NLL })
	return scores, nil
}

func marginalParamCount(n, d int, full bool) int {
	cov := d
	if full {
		cov = d * (d + 1) / 2
	}
	return n * (1 + d + cov)
}

// foldOf assigns each of n rows to one of k folds, in a random order but
// with fold sizes differing by at most one.
func foldOf(n, k int, rng *rand.Rand) []int {
	f := make([]int, n)
	for i, p := range rng.Perm(n) {
		f[p] = i % k
	}
	return f
}

// splitRows returns the rows not in fold f and those in it.
func splitRows(m points.Set, folds []int, f int) (train, held points.Set) {
	var ti, hi []int
	for i, g := range folds {
		if g == f {
			hi = append(hi, i)
		} else {
			ti = append(ti, i)
		}
	}
	return m.SelectRows(ti), m.SelectRows(hi)
}

// candidate is one setting of the conditional search.
type candidate struct {
	spec          energy.Spec
	lrCost, lrPot float64
	alive         bool
	// curve[c] is the sum over every fold's pairs of −log π(y|x) at
	// checkpoint c (step c·every); perPair holds the per-pair values at the
	// best checkpoint.
	curve    []float64
	bestStep int
	bestNLL  float64
	stepsRun int
	cpu      time.Duration
	failed   error
}

func conditionalCandidates(spec energy.Spec, cfg Config, sel Selection) []*candidate {
	tilts := sel.Tilts
	if spec.CostComponents > 0 {
		tilts = []int{spec.CostComponents}
	}
	type lr struct{ c, p float64 }
	var lrs []lr
	switch {
	case cfg.Fit.LRCost > 0 && cfg.Fit.LRPotential > 0:
		lrs = []lr{{cfg.Fit.LRCost, cfg.Fit.LRPotential}}
	default:
		for _, v := range sel.LearningRates {
			c, p := v, v/3
			if cfg.Fit.LRCost > 0 {
				c = cfg.Fit.LRCost
			}
			if cfg.Fit.LRPotential > 0 {
				p = cfg.Fit.LRPotential
			}
			lrs = append(lrs, lr{c, p})
		}
	}
	var out []*candidate
	add := func(s energy.Spec) {
		for _, l := range lrs {
			out = append(out, &candidate{spec: s, lrCost: l.c, lrPot: l.p, alive: true})
		}
	}
	for _, m := range tilts {
		s := spec
		s.CostComponents = m
		add(s)
	}
	// The smallest family that holds the linear-Gaussian regression
	// (one component, one tilt, full covariance, linear heads), unless the
	// user fixed the architecture otherwise.
	if !spec.FixedCost() && cfg.Spec.Potentials == 0 && cfg.Covariance == CovarianceAuto && cfg.Spec.CostComponents == 0 && len(spec.CostHidden) == 0 &&
		!(spec.Potentials == 1 && spec.FullCov) {
		s := spec
		s.Potentials, s.CostComponents, s.FullCov = 1, 1, true
		add(s)
	}
	// Dedupe identical settings (a single grid value everywhere).
	uniq := out[:0]
	for _, c := range out {
		dup := false
		for _, u := range uniq {
			if u.spec.Potentials == c.spec.Potentials && u.spec.CostComponents == c.spec.CostComponents && u.spec.FullCov == c.spec.FullCov &&
				u.lrCost == c.lrCost && u.lrPot == c.lrPot {
				dup = true
			}
		}
		if !dup {
			uniq = append(uniq, c)
		}
	}
	return uniq
}

// search is the successive-halving search over the candidates, each run
// on every fold.
type search struct {
	cfg   Config
	sel   Selection
	k     int
	every int // steps between checkpoints
	max   int // step budget of a candidate
	fixed bool
	cands []*candidate
	folds []*fold
	tasks []*task // candidate-major: tasks[c·k + f]
	pairs int
}

// fold is the data of one cross-validation fold, in the model's
// coordinates.
type fold struct {
	train    *datasets.Streams
	validX   points.Set
	validY   points.Set
	marginal map[[2]int]*gmm.Marginal // by (N, full)
}

// task is one candidate trained on one fold.
type task struct {
	fold        int
	tr          *trainer
	density     energy.Density
	nll         []float64   // per validation pair, at the latest checkpoint
	best        []float64   // per validation pair, at the candidate's best checkpoint
	curvePoints [][]float64 // per-pair values of the checkpoints since the last collect
	cpu         time.Duration
	failed      error // training failed (diverged): the candidate is dropped
}

func newSearch(ctx context.Context, data *datasets.Streams, cfg Config, sel Selection, cands []*candidate) (*search, error) {
	P := data.PairX.Rows
	k := min(sel.Folds, P/2)
	s := &search{cfg: cfg, sel: sel, k: k, every: 50, max: sel.MaxSteps, cands: cands, pairs: P}
	if cfg.Fit.Steps > 0 {
		s.max, s.fixed = cfg.Fit.Steps, true
		s.every = max(1, cfg.Fit.Steps/100)
	}
	assign := foldOf(P, k, rand.New(rand.NewPCG(cfg.Seed, 0x666f_6c64))) // "fold"
	for f := range k {
		var ti, hi []int
		for i, g := range assign {
			if g == f {
				hi = append(hi, i)
			} else {
				ti = append(ti, i)
			}
		}
		fd := &fold{
			train: &datasets.Streams{XNames: data.XNames, YNames: data.YNames,
				PairX: data.PairX.SelectRows(ti), PairY: data.PairY.SelectRows(ti), SourceX: data.SourceX, TargetY: data.TargetY},
			validX: data.PairX.SelectRows(hi), validY: data.PairY.SelectRows(hi), marginal: map[[2]int]*gmm.Marginal{},
		}
		s.folds = append(s.folds, fd)
	}
	// Each fold's EM marginals, one per (N, covariance) among the
	// candidates, from every y but those of the fold's held-out pairs.
	type mkey struct {
		f    int
		key  [2]int
		full bool
	}
	var keys []mkey
	for f := range k {
		for _, c := range cands {
			key := [2]int{c.spec.Potentials, b2i(c.spec.FullCov)}
			if _, ok := s.folds[f].marginal[key]; !ok {
				s.folds[f].marginal[key] = nil
				keys = append(keys, mkey{f, key, c.spec.FullCov})
			}
		}
	}
	marg := make([]*gmm.Marginal, len(keys))
	err := parallel.For(ctx, cfg.Threads, len(keys), func(_, i int) error {
		mk := keys[i]
		m, err := gmm.FitMarginal(ctx, s.folds[mk.f].train.AllTargets(), mk.key[0], mk.full, gmm.EMOptions{Threads: 1},
			rand.New(rand.NewPCG(cfg.Seed, uint64(mk.key[0]))))
		if err != nil {
			return fmt.Errorf("model selection: fold %d: %w", mk.f+1, err)
		}
		marg[i] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, mk := range keys {
		s.folds[mk.f].marginal[mk.key] = marg[i]
	}
	for ci, c := range cands {
		for f, fd := range s.folds {
			m, err := gmm.NewFromMarginal(c.spec, fd.marginal[[2]int{c.spec.Potentials, b2i(c.spec.FullCov)}], 0.01,
				rand.New(rand.NewPCG(cfg.Seed, uint64(ci*k+f))))
			if err != nil {
				return nil, fmt.Errorf("model selection: %w", err)
			}
			o := cfg.Fit
			o.Steps, o.LRCost, o.LRPotential = s.max, c.lrCost, c.lrPot
			o.Seed, o.Threads = cfg.Seed^uint64(f+1)<<32, 1
			o.Progress, o.ValidEvery, o.Patience, o.KeepBest = nil, 0, 0, false
			tr, err := newTrainer(m, fd.train, nil, o)
			if err != nil {
				return nil, fmt.Errorf("model selection: %w", err)
			}
			s.tasks = append(s.tasks, &task{fold: f, tr: tr, density: m, nll: make([]float64, fd.validX.Rows)})
		}
	}
	// Checkpoint 0 is the EM marginal of each fold.
	for _, t := range s.tasks {
		t.score(s.folds[t.fold])
	}
	for ci, c := range cands {
		c.curve = append(c.curve, s.sumCheckpoint(ci))
		c.bestNLL, c.bestStep = c.curve[0]/float64(P), 0
		for f := range k {
			t := s.tasks[ci*k+f]
			t.best = slices.Clone(t.nll)
		}
	}
	return s, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// score evaluates the task's model on its fold's validation pairs.
func (t *task) score(fd *fold) {
	for i := range fd.validX.Rows {
		t.nll[i] = -t.density.LogProb(fd.validX.Row(i), fd.validY.Row(i))
	}
}

func (s *search) sumCheckpoint(ci int) float64 {
	total := 0.0
	for f := range s.k {
		for _, v := range s.tasks[ci*s.k+f].nll {
			total += v
		}
	}
	return total
}

// rungs are the step budgets of successive halving: ×4 from 300 up to the
// cap.
func (s *search) rungs() []int {
	var r []int
	for b := 300; b < s.max; b *= 4 {
		r = append(r, b)
	}
	return append(r, s.max)
}

// run advances the candidates rung by rung, keeping the best third after
// each (ranked by their best cross-validated NLL so far). A candidate also
// stops when its curve has not improved for a while.
func (s *search) run(ctx context.Context, start time.Time) error {
	rungs := s.rungs()
	if s.fixed {
		rungs = []int{s.max}
	}
	for ri, budget := range rungs {
		var live []int
		for ci, c := range s.cands {
			if c.alive {
				live = append(live, ci)
			}
		}
		if len(live) == 0 {
			break
		}
		err := parallel.For(ctx, s.cfg.Threads, len(live)*s.k, func(_, i int) error {
			ci, f := live[i/s.k], i%s.k
			return s.advance(ctx, ci, f, budget)
		})
		if err != nil {
			return err
		}
		for _, ci := range live {
			s.collect(ci)
		}
		// Keep the best third of the live candidates for the next rung.
		sort.SliceStable(live, func(a, b int) bool { return s.cands[live[a]].bestNLL < s.cands[live[b]].bestNLL })
		keep := max(1, (len(live)+2)/3)
		for i, ci := range live {
			c := s.cands[ci]
			if i >= keep || s.stalled(c) || c.failed != nil {
				c.alive = false
			}
		}
		if b := s.cands[live[0]]; !b.alive && !s.stalled(b) && b.failed == nil {
			b.alive = true
		}
		if s.sel.Progress != nil {
			left := 0
			for _, c := range s.cands {
				if c.alive {
					left++
				}
			}
			b := s.cands[live[0]]
			s.sel.Progress(SelectProgress{Stage: "conditional", Rung: ri + 1, Rungs: len(rungs), Candidates: len(s.cands), Left: left,
				Folds: s.k, Step: budget, Best: b.score(s).String(), BestNLL: b.bestNLL, Elapsed: time.Since(start)})
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// stalled reports whether a candidate has gone long past its best step.
func (s *search) stalled(c *candidate) bool {
	return !s.fixed && c.stepsRun >= 2*c.bestStep+1000
}

// advance trains candidate ci on fold f up to step budget, scoring every
// s.every steps; the per-checkpoint sums are combined by collect.
func (s *search) advance(ctx context.Context, ci, f, budget int) error {
	t := s.tasks[ci*s.k+f]
	fd := s.folds[f]
	c := s.cands[ci]
	begin := time.Now()
	for t.tr.done < budget && t.failed == nil {
		if err := t.tr.run(ctx, min(budget, t.tr.done+s.every)); err != nil {
			// A learning rate too large for this data diverges: the
			// candidate is dropped, the search goes on.
			t.failed = fmt.Errorf("%s, fold %d: %w", c.score(s).String(), f+1, err)
			break
		}
		if t.tr.stopped {
			return ctx.Err()
		}
		t.score(fd)
		t.curvePoints = append(t.curvePoints, slices.Clone(t.nll))
	}
	t.cpu += time.Since(begin)
	return nil
}

// collect appends the new checkpoints of candidate ci (summed over the
// folds, which have all reached the same step) to its curve and updates its
// best step.
func (s *search) collect(ci int) {
	c := s.cands[ci]
	first := s.tasks[ci*s.k]
	n := len(first.curvePoints)
	for f := range s.k {
		n = min(n, len(s.tasks[ci*s.k+f].curvePoints))
	}
	for p := range n {
		total := 0.0
		for f := range s.k {
			for _, v := range s.tasks[ci*s.k+f].curvePoints[p] {
				total += v
			}
		}
		c.curve = append(c.curve, total)
		step := (len(c.curve) - 1) * s.every
		v := total / float64(s.pairs)
		better := v < c.bestNLL || math.IsNaN(c.bestNLL)
		if s.fixed {
			better = step == s.max
		}
		if better {
			c.bestNLL, c.bestStep = v, step
			for f := range s.k {
				t := s.tasks[ci*s.k+f]
				copy(t.best, t.curvePoints[p])
			}
		}
	}
	c.stepsRun = first.tr.done
	c.cpu = 0
	for f := range s.k {
		t := s.tasks[ci*s.k+f]
		t.curvePoints = t.curvePoints[:0]
		c.cpu += t.cpu
		if t.failed != nil {
			c.alive, c.failed = false, t.failed
		}
	}
}

// winner is the candidate with the lowest cross-validated NLL.
func (s *search) winner() int {
	best := 0
	for ci, c := range s.cands {
		if c.bestNLL < s.cands[best].bestNLL {
			best = ci
		}
	}
	return best
}

func (c *candidate) score(s *search) CandidateScore {
	return CandidateScore{Potentials: c.spec.Potentials, CostComponents: c.spec.CostComponents, FullCov: c.spec.FullCov,
		LRCost: c.lrCost, LRPotential: c.lrPot, BestStep: c.bestStep, Steps: c.stepsRun, CPUSeconds: c.cpu.Seconds()}
}

// scores returns the leaderboard rows, best first, with standard errors
// over the pooled per-pair NLLs at each candidate's best step.
func (s *search) scores() []CandidateScore {
	out := make([]CandidateScore, len(s.cands))
	for ci, c := range s.cands {
		sc := c.score(s)
		var per []float64
		for f := range s.k {
			per = append(per, s.tasks[ci*s.k+f].best...)
		}
		sc.NLL = meanSE(per)
		out[ci] = sc
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].NLL.Mean < out[b].NLL.Mean })
	return out
}

func meanSE(v []float64) MeanSE {
	n := float64(len(v))
	if n == 0 {
		return MeanSE{Mean: math.NaN(), StdErr: math.NaN()}
	}
	m := 0.0
	for _, x := range v {
		m += x / n
	}
	ss := 0.0
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	se := math.NaN()
	if n > 1 {
		se = math.Sqrt(ss / (n - 1) / n)
	}
	return MeanSE{Mean: m, StdErr: se}
}

// marginalNLL is the cross-validated NLL of the winner's x-blind starting
// point (checkpoint 0), per validation pair in fold order.
func (s *search) marginalNLL() []float64 {
	var per []float64
	w := s.cands[s.winner()]
	for _, fd := range s.folds {
		m := fd.marginal[[2]int{w.spec.Potentials, b2i(w.spec.FullCov)}].Mixture()
		for i := range fd.validY.Rows {
			per = append(per, -m.LogProb(fd.validY.Row(i)))
		}
	}
	return per
}

// linearNLL is the cross-validated NLL of a linear-Gaussian regression on
// each fold's training pairs, per validation pair in fold order (+Inf for a
// fold with too few pairs for the regression).
func (s *search) linearNLL() []float64 {
	var per []float64
	for _, fd := range s.folds {
		tr := fd.train
		lin, err := baseline.FitLinearGaussian(tr.PairX.Data, tr.PairY.Data, tr.PairX.Rows, tr.XDim(), tr.YDim(), baseline.DefaultRidge)
		for i := range fd.validX.Rows {
			v := math.Inf(1)
			if err == nil {
				v = -lin.LogProb(fd.validX.Row(i), fd.validY.Row(i))
			}
			per = append(per, v)
		}
	}
	return per
}

// winnerNLL is the winner's NLL per validation pair in fold order.
func (s *search) winnerNLL() []float64 {
	var per []float64
	w := s.winner()
	for f := range s.k {
		per = append(per, s.tasks[w*s.k+f].best...)
	}
	return per
}

// gain is the mean and standard error of baseline − model over the same
// validation pairs: a paired comparison, so that the spread between pairs,
// which both models share, does not hide the difference.
func gain(model, base []float64) MeanSE {
	d := make([]float64, len(model))
	for i := range model {
		d[i] = base[i] - model[i]
	}
	return meanSE(d)
}

// verdict says in words whether the chosen model beats the two baselines
// on the same folds: by more than two standard errors of the paired
// difference.
func verdict(model, marginal, linear []float64) (string, bool) {
	gm, gl := gain(model, marginal), gain(model, linear)
	beats := func(g MeanSE) bool { return g.Mean > 2*g.StdErr || math.IsInf(g.Mean, 1) }
	m := meanSE(model)
	switch {
	case !beats(gm) && !beats(gl):
		return fmt.Sprintf("the pairs carry no detectable information about y beyond the marginal, and a linear-Gaussian model fits as well: cross-validated NLL %.3f, %.3f ± %.3f better than the x-blind marginal and %.3f ± %.3f better than the linear-Gaussian regression per pair",
			m.Mean, gm.Mean, gm.StdErr, gl.Mean, gl.StdErr), false
	case !beats(gm):
		return fmt.Sprintf("the pairs carry no detectable information about y beyond the marginal: cross-validated NLL %.3f, only %.3f ± %.3f better than the x-blind marginal per pair",
			m.Mean, gm.Mean, gm.StdErr), false
	case !beats(gl):
		return fmt.Sprintf("a linear-Gaussian model fits as well: cross-validated NLL %.3f, only %.3f ± %.3f better than the linear-Gaussian regression per pair",
			m.Mean, gl.Mean, gl.StdErr), false
	}
	return fmt.Sprintf("beats the x-blind marginal by %.3f ± %.3f and the linear-Gaussian regression by %.3f ± %.3f nats per pair in cross-validation",
		gm.Mean, gm.StdErr, gl.Mean, gl.StdErr), true
}

// MarshalJSON writes non-finite values (a baseline that could not be
// fitted) as null, which JSON can hold.
func (m MeanSE) MarshalJSON() ([]byte, error) {
	opt := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		Mean   *float64 `json:"mean"`
		StdErr *float64 `json:"stderr"`
	}{opt(m.Mean), opt(m.StdErr)})
}

// UnmarshalJSON reads null as NaN.
func (m *MeanSE) UnmarshalJSON(b []byte) error {
	var v struct {
		Mean   *float64 `json:"mean"`
		StdErr *float64 `json:"stderr"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	m.Mean, m.StdErr = math.NaN(), math.NaN()
	if v.Mean != nil {
		m.Mean = *v.Mean
	}
	if v.StdErr != nil {
		m.StdErr = *v.StdErr
	}
	return nil
}
