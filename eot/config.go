package eot

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ebieot/ebieot/energy"
)

// Scaling chooses the coordinates a model works in. Model files store the
// scaler, and Trained converts inputs and outputs, so users always see
// their own units.
type Scaling int

const (
	// Standardize: every x column and every y column to mean 0 and
	// standard deviation 1 over every available sample of its side (the
	// default for a learned cost, whose fit does not depend on the units).
	Standardize Scaling = iota
	// Raw: the file's units, as published settings such as the Swiss-roll
	// preset expect.
	Raw
)

var scalingNames = [...]string{"standardize", "raw"}

// String returns the name used in model files and on the command line.
func (s Scaling) String() string {
	if s >= 0 && int(s) < len(scalingNames) {
		return scalingNames[s]
	}
	return fmt.Sprintf("Scaling(%d)", int(s))
}

// MarshalText writes the scaling by name.
func (s Scaling) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(scalingNames) {
		return nil, fmt.Errorf("eot: cannot store scaling %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a scaling name.
func (s *Scaling) UnmarshalText(b []byte) error {
	for i, n := range scalingNames {
		if n == string(b) {
			*s = Scaling(i)
			return nil
		}
	}
	return fmt.Errorf("eot: unknown scaling %q (want one of %q)", b, scalingNames[:])
}

// Config is everything Train needs besides the data: the model's
// architecture, the training loop, the validation split and the seed.
// Spec.XDim and Spec.YDim are taken from the data.
type Config struct {
	Spec energy.Spec
	Fit  Options
	// ValidFrac is the fraction of the pairs held out for validation
	// (early stopping and keeping the best parameters); 0 validates on
	// nothing.
	ValidFrac float64
	Scaling   Scaling
	// Seed drives the validation split, the initialisation and (through
	// Fit.Seed, which it overrides) the minibatches.
	Seed uint64
	// Threads is the number of goroutines (0 = one per CPU); it overrides
	// Fit.Threads.
	Threads int

	// Checkpoint, if set, receives the model trained so far every
	// Fit.LogEvery steps of the final fit (not of a model selection's
	// candidates), with a training record of the steps taken: save it to
	// resume after a crash. It runs on the training goroutine.
	Checkpoint func(*Trained)

	// GMM only. Init chooses the initialisation (InitMarginal or
	// InitTargets); Covariance the covariance kind of the potential
	// (CovarianceAuto, CovarianceDiag or CovarianceFull; with
	// CovarianceAuto and no selection, Spec.FullCov applies); Select the
	// model selection, which runs when Init is InitMarginal.
	Init       string
	Covariance string
	Select     Selection
}

// Named presets.
const (
	// PresetSwissRollGMM is the paper's EBiEOT-GMM setting for the
	// Gaussian → Swiss-roll benchmark (docs/method.md §8): N = 50, M = 25,
	// ε = 1, A initialised at 0.1, linear heads, batch 128, 25 000 steps,
	// Adam at 3e-4 (cost) and 1e-3 (potential), raw units, no validation.
	PresetSwissRollGMM = "swissroll-gmm"
	// PresetSwissRollNN is the authors' EBiEOT-NN setting on the same
	// benchmark (docs/method.md §5): cost MLP [256], potential MLP
	// [256, 256], Langevin T = 100, η = 0.05, σ = 0.005, Adam β = (0.2,
	// 0.99) at 5e-4 (cost) and 2e-4 (potential), batch 128, 1000 steps.
	PresetSwissRollNN = "swissroll-nn"
)

var presets = map[string]func() Config{
	PresetSwissRollGMM: func() Config {
		c := baseConfig(energy.KindGMM)
		c.Spec.Potentials, c.Spec.CostComponents, c.Spec.AInit = 50, 25, 0.1
		c.Fit.Steps = 25000
		c.Scaling = Raw
		c.Init, c.Select.Off = InitTargets, true
		return c
	},
	PresetSwissRollNN: func() Config {
		c := baseConfig(energy.KindNeural)
		c.Spec.CostHidden, c.Spec.PotentialHidden = []int{256}, []int{256, 256}
		l := energy.DefaultLangevin()
		c.Spec.Langevin = &l
		c.Fit.Steps = 1000
		c.Scaling = Raw
		return c
	},
}

// PresetNames lists the named presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns the named configuration (see PresetNames). The result is
// a fresh copy that the caller may change.
func Preset(name string) (Config, error) {
	p, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("eot: unknown preset %q (want one of %s)", name, strings.Join(PresetNames(), ", "))
	}
	return p(), nil
}

// DefaultConfig returns the defaults for a model kind (energy.KindGMM or
// energy.KindNeural), for data nobody has tuned for: standardised data, and
//
//   - EBiEOT-GMM: ε-free parameters, the potential started at the EM
//     marginal of every y and the cost near zero (Init = InitMarginal), and
//     every hyperparameter left to the model selection (Select; see
//     Selection): the potential's components and covariance kind, the
//     cost's tilts, the learning rates and the number of steps. With
//     Select.Off the unset ones take N = 10, M = 1, diagonal covariances,
//     learning rates 3e-3 (cost) and 1e-3 (potential) and at most 5000
//     steps, stopped early on the validation pairs (ValidFrac 0.1, a
//     validation every 100 steps, patience 10).
//   - EBiEOT-NN: the architecture, learning rates and Adam betas of the
//     authors' preset (PresetSwissRollNN), 1000 steps, with the best
//     validation parameters kept (ValidFrac 0.1).
func DefaultConfig(kind string) (Config, error) {
	switch kind {
	case energy.KindGMM:
		c := Config{Spec: energy.Spec{Kind: kind, Eps: 1}, Fit: DefaultOptions(kind)}
		c.Fit.LRCost, c.Fit.LRPotential = 0, 0
		c.Fit.ValidEvery, c.Fit.Patience, c.Fit.KeepBest = 100, 10, true
		c.ValidFrac = 0.1
		return c, nil
	case energy.KindNeural:
		c, _ := Preset(PresetSwissRollNN)
		c.Scaling = Standardize
		c.ValidFrac = 0.1
		c.Fit.KeepBest = true
		return c, nil
	}
	return Config{}, fmt.Errorf("%w: unknown model kind %q (want %q or %q)", energy.ErrSpec, kind, energy.KindGMM, energy.KindNeural)
}

// DefaultOptions returns the training-loop defaults of a model kind: the
// learning rates and Adam betas of the authors' presets (docs/method.md §3,
// §5), batch 128, validation every 500 steps; Steps is left to the caller
// (0 is rejected by Fit).
func DefaultOptions(kind string) Options {
	o := Options{BatchSize: 128, ValidEvery: 500, Optimizer: OptimizerConfig{Name: "adam"}, Schedule: ScheduleConstant}
	if kind == energy.KindNeural {
		o.LRCost, o.LRPotential = 5e-4, 2e-4
		o.Optimizer.AdamBetas = [2]float64{0.2, 0.99}
		return o
	}
	o.LRCost, o.LRPotential = 3e-4, 1e-3
	o.Optimizer.AdamBetas = [2]float64{0.9, 0.999}
	return o
}

func baseConfig(kind string) Config {
	return Config{Spec: energy.Spec{Kind: kind, Eps: 1}, Fit: DefaultOptions(kind)}
}

// clone returns a deep copy, so that a preset or a caller's Config is never
// changed behind its back.
func (c Config) clone() Config {
	c.Spec.CostHidden = slices.Clone(c.Spec.CostHidden)
	c.Spec.WeightHidden = slices.Clone(c.Spec.WeightHidden)
	c.Spec.PotentialHidden = slices.Clone(c.Spec.PotentialHidden)
	if c.Spec.Langevin != nil {
		l := *c.Spec.Langevin
		c.Spec.Langevin = &l
	}
	c.Select.Potentials = slices.Clone(c.Select.Potentials)
	c.Select.Tilts = slices.Clone(c.Select.Tilts)
	c.Select.LearningRates = slices.Clone(c.Select.LearningRates)
	return c
}
