package energy

import "fmt"

// Build reconstructs a model from its spec and a saved parameter vector
// (copied), dispatching on spec.Kind.
func Build(spec Spec, params []float64) (Model, error) {
	// Each case checks err itself: returning a nil *GMM or *Neural as a
	// Model would make a non-nil interface.
	switch spec.Kind {
	case KindGMM:
		g, err := GMMFromParams(spec, params)
		if err != nil {
			return nil, err
		}
		return g, nil
	case KindNeural:
		n, err := NeuralFromParams(spec, params)
		if err != nil {
			return nil, err
		}
		return n, nil
	default:
		return nil, fmt.Errorf("%w: cannot build a model of kind %q (want %q or %q)", ErrSpec, spec.Kind, KindGMM, KindNeural)
	}
}
