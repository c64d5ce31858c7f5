package energy

import "errors"

// The error vocabulary shared by every model: constructors, loss functions,
// samplers and scorers wrap one of these with context, so that callers can
// branch with errors.Is whatever the model kind.
var (
	// ErrSpec is wrapped by every error about an invalid Spec.
	ErrSpec = errors.New("energy: invalid model spec")
	// ErrShape is wrapped by errors about inputs whose lengths do not match
	// the model's dimensions or the stated row counts.
	ErrShape = errors.New("energy: shape mismatch")
	// ErrNonFinite is wrapped when an input, a loss or a parameter is NaN
	// or ±Inf.
	ErrNonFinite = errors.New("energy: non-finite value")
)
