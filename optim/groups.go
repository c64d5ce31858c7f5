package optim

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrInvalidGroups reports parameter groups that are out of range,
	// overlap, have a malformed matrix shape or a bad learning rate.
	ErrInvalidGroups = errors.New("optim: invalid parameter groups")
	// ErrInvalidConfig reports a hyperparameter outside its valid range.
	ErrInvalidConfig = errors.New("optim: invalid configuration")
	// ErrLength reports a params, grad or state vector of the wrong length.
	ErrLength = errors.New("optim: length mismatch")
	// ErrGroupIndex reports a group index outside [0, number of groups).
	ErrGroupIndex = errors.New("optim: group index out of range")
	// ErrSVD reports that the singular value decomposition SoftMuon needs
	// for its schedule did not converge (e.g. on non-finite gradients).
	ErrSVD = errors.New("optim: SVD failed")
)

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// validateGroups checks that every segment lies inside [0, nParams), that a
// matrix shape matches its length, that no two segments (in the same or in
// different groups) overlap, and that learning rates are positive and weight
// decays non-negative. It returns a deep copy so that later changes to the
// caller's slices cannot alter the optimizer.
func validateGroups(groups []Group, nParams int) ([]Group, error) {
	if nParams < 0 {
		return nil, fmt.Errorf("%w: negative parameter count %d", ErrInvalidGroups, nParams)
	}
	type span struct {
		lo, hi int
		name   string
	}
	var spans []span
	out := make([]Group, len(groups))
	for gi, g := range groups {
		if !finite(g.LR) || g.LR <= 0 {
			return nil, fmt.Errorf("%w: group %d (%q): learning rate %v must be positive and finite", ErrInvalidGroups, gi, g.Name, g.LR)
		}
		if !finite(g.WeightDecay) || g.WeightDecay < 0 {
			return nil, fmt.Errorf("%w: group %d (%q): weight decay %v must be non-negative and finite", ErrInvalidGroups, gi, g.Name, g.WeightDecay)
		}
		for si, s := range g.Segments {
			if s.Offset < 0 || s.Len < 0 || s.Offset > nParams-s.Len {
				return nil, fmt.Errorf("%w: group %q segment %d (%q): [%d, %d+%d) outside [0, %d)", ErrInvalidGroups, g.Name, si, s.Name, s.Offset, s.Offset, s.Len, nParams)
			}
			if s.Rows < 0 || s.Cols < 0 || (s.Rows > 0) != (s.Cols > 0) ||
				(s.Rows > 0 && s.Rows*s.Cols != s.Len) {
				return nil, fmt.Errorf("%w: group %q segment %d (%q): shape %dx%d does not match length %d", ErrInvalidGroups, g.Name, si, s.Name, s.Rows, s.Cols, s.Len)
			}
			if s.Len > 0 {
				spans = append(spans, span{s.Offset, s.Offset + s.Len, g.Name + "/" + s.Name})
			}
		}
		out[gi] = g
		out[gi].Segments = append([]Segment(nil), g.Segments...)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			return nil, fmt.Errorf("%w: segments %q and %q overlap", ErrInvalidGroups, spans[i-1].name, spans[i].name)
		}
	}
	return out, nil
}

func checkLengths(params, grad []float64, n int) error {
	if len(params) != n || len(grad) != n {
		return fmt.Errorf("%w: params %d, grad %d, optimizer built for %d", ErrLength, len(params), len(grad), n)
	}
	return nil
}

func setGroupLR(groups []Group, i int, lr float64) error {
	if i < 0 || i >= len(groups) {
		return fmt.Errorf("%w: %d of %d", ErrGroupIndex, i, len(groups))
	}
	// Zero is allowed so that a schedule can decay all the way down.
	if !finite(lr) || lr < 0 {
		return fmt.Errorf("%w: learning rate %v must be non-negative and finite", ErrInvalidConfig, lr)
	}
	groups[i].LR = lr
	return nil
}

func groupLR(groups []Group, i int) float64 {
	if i < 0 || i >= len(groups) {
		return math.NaN()
	}
	return groups[i].LR
}
