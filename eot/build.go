package eot

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebieot/ebieot/datasets"
	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/energy/classifier"
	"github.com/ebieot/ebieot/energy/gmm"
	"github.com/ebieot/ebieot/energy/neural"
)

// Build reconstructs a model from its spec and a saved parameter vector
// (copied), dispatching on spec.Kind. It is what LoadModel uses.
func Build(spec energy.Spec, params []float64) (energy.Model, error) {
	// Each case checks err itself: returning a nil *gmm.Model as an
	// energy.Model would make a non-nil interface.
	switch spec.Kind {
	case energy.KindGMM:
		m, err := gmm.FromParams(spec, params)
		if err != nil {
			return nil, err
		}
		return m, nil
	case energy.KindNeural:
		m, err := neural.FromParams(spec, params)
		if err != nil {
			return nil, err
		}
		return m, nil
	case energy.KindClassifier:
		m, err := classifier.FromParams(spec, params)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: cannot build a model of kind %q (want %q, %q or %q)", energy.ErrSpec, spec.Kind, energy.KindGMM, energy.KindNeural, energy.KindClassifier)
}

// NewModel returns a freshly initialised model of spec for the training
// streams train, which must be in the model's (standardised) coordinates:
// the GMM places its potential's components on target rows, the neural
// model draws its weights. rng drives every random choice.
func NewModel(spec energy.Spec, train *datasets.Streams, rng *rand.Rand) (energy.Model, error) {
	switch spec.Kind {
	case energy.KindGMM:
		t := train.AllTargets()
		m, err := gmm.New(spec, t.Data, t.Rows, rng)
		if err != nil {
			return nil, err
		}
		return m, nil
	case energy.KindNeural:
		m, err := neural.New(spec, rng)
		if err != nil {
			return nil, err
		}
		return m, nil
	case energy.KindClassifier:
		m, err := classifier.New(spec, rng)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: cannot create a model of kind %q (want %q, %q or %q)", energy.ErrSpec, spec.Kind, energy.KindGMM, energy.KindNeural, energy.KindClassifier)
}
