package datasets

import "fmt"

// Streams is the data of one semi-supervised problem: paired rows (x, y) drawn
// from the joint, unpaired sources x and unpaired targets y. The x's of the
// pairs are also valid source samples and their y's valid target samples.
type Streams struct {
	XNames, YNames []string // column names, len == Dx and Dy
	PairX          Matrix   // P × Dx
	PairY          Matrix   // P × Dy
	SourceX        Matrix   // Q × Dx
	TargetY        Matrix   // R × Dy
}

// XDim is the dimension of the source space.
func (s *Streams) XDim() int { return len(s.XNames) }

// YDim is the dimension of the target space.
func (s *Streams) YDim() int { return len(s.YNames) }

// Validate checks that every stream has the declared dimensions.
func (s *Streams) Validate() error {
	dx, dy := s.XDim(), s.YDim()
	if dx == 0 || dy == 0 {
		return fmt.Errorf("streams need at least one x and one y column (have %d and %d)", dx, dy)
	}
	check := func(name string, m Matrix, cols int) error {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if m.Rows > 0 && m.Cols != cols {
			return fmt.Errorf("%s has %d columns, want %d", name, m.Cols, cols)
		}
		return nil
	}
	if err := check("paired x", s.PairX, dx); err != nil {
		return err
	}
	if err := check("paired y", s.PairY, dy); err != nil {
		return err
	}
	if s.PairX.Rows != s.PairY.Rows {
		return fmt.Errorf("%d paired x rows but %d paired y rows", s.PairX.Rows, s.PairY.Rows)
	}
	if err := check("sources", s.SourceX, dx); err != nil {
		return err
	}
	return check("targets", s.TargetY, dy)
}

// AllSources returns the unpaired sources followed by the paired x's: every
// available sample of the source marginal.
func (s *Streams) AllSources() Matrix {
	m, _ := VStack(s.SourceX, s.PairX) // same column count, checked by Validate
	return m
}

// AllTargets returns the unpaired targets followed by the paired y's: every
// available sample of the target marginal.
func (s *Streams) AllTargets() Matrix {
	m, _ := VStack(s.TargetY, s.PairY)
	return m
}
