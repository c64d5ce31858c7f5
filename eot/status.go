package eot

import (
	"encoding/json"
	"fmt"
)

// Status says why a training run ended, in the manner of gonum's
// optimize.Status.
type Status int

const (
	// Completed: every planned step ran.
	Completed Status = iota
	// EarlyStopped: the validation likelihood stopped improving for
	// Options.Patience validations.
	EarlyStopped
	// Interrupted: the context was cancelled; the model holds the state of
	// the last finished step (or the best one, with KeepBest).
	Interrupted
)

var statusNames = [...]string{"completed", "early stopping", "interrupted"}

// String returns the name stored in model files.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Early reports whether the run ended before its planned last step.
func (s Status) Early() bool { return s != Completed }

// MarshalJSON writes the status by name, as version 1 model files do.
func (s Status) MarshalJSON() ([]byte, error) {
	if s < 0 || int(s) >= len(statusNames) {
		return nil, fmt.Errorf("eot: cannot store status %d", int(s))
	}
	return json.Marshal(s.String())
}

// UnmarshalJSON reads a status name.
func (s *Status) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return fmt.Errorf("eot: training status: %w", err)
	}
	for i, n := range statusNames {
		if n == name {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("eot: unknown training status %q (want one of %q)", name, statusNames[:])
}
