package eot

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
)

// Trained is a fitted model of π(y|x) together with what it needs to work
// in the user's units: its column names, the scaler between those units and
// the model's coordinates, and the training record. Its methods take and
// return values in the user's units; Model works in the scaled ones.
type Trained struct {
	Model          energy.Model
	XNames, YNames []string
	Scaler         datasets.Scaler
	Training       Training
	// Result is the run that produced the model (nil after Load).
	Result *Result

	threads int // goroutines of the model and the batch methods
}

// Load reads a model file.
func Load(path string) (*Trained, error) {
	f, m, err := LoadModel(path)
	if err != nil {
		return nil, err
	}
	return f.trained(m), nil
}

// Read reads a model file from r; name identifies it in errors.
func Read(r io.Reader, name string) (*Trained, error) {
	f, m, err := ReadModel(r, name)
	if err != nil {
		return nil, err
	}
	return f.trained(m), nil
}

func (f *ModelFile) trained(m energy.Model) *Trained {
	return &Trained{Model: m, XNames: f.XNames, YNames: f.YNames, Scaler: f.Scaler, Training: f.Training}
}

// File returns the model file of t, holding a copy of the parameters.
func (t *Trained) File() *ModelFile {
	return NewModelFile(t.Model, t.XNames, t.YNames, t.Scaler, t.Training)
}

// Save writes the model file atomically.
func (t *Trained) Save(path string) error { return t.File().Save(path) }

// Spec returns the model's spec.
func (t *Trained) Spec() energy.Spec { return t.Model.Spec() }

// SetThreads sets the number of goroutines the model uses (0 = one per
// CPU), for models that split their work.
func (t *Trained) SetThreads(n int) {
	t.threads = n
	if th, ok := t.Model.(energy.Threaded); ok {
		th.SetThreads(n)
	}
}

// Config returns the configuration that trained t, as far as the training
// record holds it (Fit.Steps is the total number of steps), for training a
// comparable model such as the pairs-only baseline.
//
// When a model selection chose some settings, they are left unset again
// and the selection is on, so that a model trained with this configuration
// makes its own choices on its own data, as this one did.
func (t *Trained) Config() Config {
	c := t.ResumeConfig()
	if lb := t.Training.Selection; lb != nil {
		c.Select.Off = false
		for _, name := range lb.Searched {
			switch name {
			case "potentials":
				c.Spec.Potentials = 0
			case "covariance":
				c.Covariance = CovarianceAuto
			case "cost_components":
				c.Spec.CostComponents = 0
			case "lr_cost":
				c.Fit.LRCost = 0
			case "lr_potential":
				c.Fit.LRPotential = 0
			case "steps":
				c.Fit.Steps = 0
			}
		}
	}
	return c
}

// ResumeConfig returns the settings t was trained with, as the training
// record holds them (Fit.Steps is the total number of steps), with the
// selection off: the configuration for continuing this model.
func (t *Trained) ResumeConfig() Config {
	tr := t.Training
	c := Config{Spec: t.Spec(), ValidFrac: tr.ValidFrac, Scaling: tr.Scaling, Seed: tr.Seed, Covariance: tr.Covariance}
	c.Fit = Options{Steps: tr.Steps, BatchSize: tr.BatchSize, LRCost: tr.LRCost, LRPotential: tr.LRPotential,
		Optimizer: tr.Optimizer, Schedule: tr.Schedule, ClipNorm: tr.ClipNorm, ValidEvery: tr.ValidEvery, Patience: tr.Patience, KeepBest: tr.KeepBest}
	if c.Spec.Kind == energy.KindGMM && tr.Init != initMarginalName {
		c.Init = InitTargets
	}
	c.Select.Off = true
	return c
}

// Sample draws n samples of y ~ π(·|x) for every row of x, in the user's
// units: rows [i·n, (i+1)·n) of the result belong to row i of x. Row i has
// its own random stream (seed, i), so a row's samples do not depend on the
// other rows (see Chunk for streamed and sharded inputs).
func (t *Trained) Sample(ctx context.Context, x datasets.Matrix, n int, seed uint64) (datasets.Matrix, error) {
	return t.sampleAll(ctx, x, SampleOptions{N: n, Seed: seed})
}

func (t *Trained) sampleAll(ctx context.Context, x datasets.Matrix, so SampleOptions) (datasets.Matrix, error) {
	if err := t.checkX(x); err != nil {
		return datasets.Matrix{}, err
	}
	out := datasets.NewMatrix(0, len(t.YNames))
	err := t.StreamSample(ctx, MatrixChunks(x, datasets.Matrix{}, 0), so, StreamOptions{Threads: t.threads}, func(_ Chunk, y datasets.Matrix) error {
		out.Data = append(out.Data, y.Data...)
		out.Rows += y.Rows
		return nil
	})
	return out, err
}

// LogProbOptions control Trained.LogProb for models without an exact
// density.
type LogProbOptions struct {
	Samples int    // importance samples per row (default 1024)
	Seed    uint64 // row i uses the stream (Seed, i)
}

// LogProb returns log π(y_i|x_i) for every row, in the user's units (the
// scaler's Jacobian is included, so values compare across models fitted
// with different scalings). exact reports whether the values are exact;
// otherwise they are importance-sampling estimates and stderr holds their
// standard errors (nil when exact).
func (t *Trained) LogProb(ctx context.Context, x, y datasets.Matrix, opt LogProbOptions) (lp, stderr []float64, exact bool, err error) {
	if err := t.checkX(x); err != nil {
		return nil, nil, false, err
	}
	if y.Cols != len(t.YNames) || y.Rows != x.Rows {
		return nil, nil, false, fmt.Errorf("log-density: %w: %d×%d y for %d rows of a model with %d y columns", energy.ErrShape, y.Rows, y.Cols, x.Rows, len(t.YNames))
	}
	exact = true
	err = t.StreamLogProb(ctx, MatrixChunks(x, y, 0), opt, StreamOptions{Threads: t.threads}, func(_ Chunk, s Scores) error {
		lp = append(lp, s.LogProb...)
		if s.StdErr != nil {
			exact = false
			stderr = append(stderr, s.StdErr...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, false, err
	}
	return lp, stderr, exact, nil
}

// Evaluate scores the model on held-out pairs given in the user's units.
func (t *Trained) Evaluate(ctx context.Context, x, y datasets.Matrix, opt EvalOptions) (*Report, error) {
	return Evaluate(ctx, t.Model, t.Scaler, x, y, opt)
}

func (t *Trained) checkX(x datasets.Matrix) error {
	if x.Cols != len(t.XNames) {
		return fmt.Errorf("%w: x has %d columns, the model %d (%v)", energy.ErrShape, x.Cols, len(t.XNames), t.XNames)
	}
	return x.Validate()
}

// CheckColumns reports whether data s has the model's x and y columns, in
// order (for resuming, or for refitting a baseline on the training data).
func (t *Trained) CheckColumns(s *datasets.Streams) error {
	if !slices.Equal(t.XNames, s.XNames) || !slices.Equal(t.YNames, s.YNames) {
		return fmt.Errorf("the model was trained on x=%v y=%v, the data has x=%v y=%v", t.XNames, t.YNames, s.XNames, s.YNames)
	}
	return nil
}
