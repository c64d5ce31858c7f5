package neural

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
)

// ReplayBuffer keeps recent Langevin samples so that the short chains of
// the next training step start close to the model's current conditional
// (persistent chains) instead of from noise. It is first-in first-out: once
// full, each new sample replaces the oldest one.
type ReplayBuffer struct {
	dim, capacity int
	restartProb   float64
	initStd       float64
	data          []float64 // up to capacity rows of dim
	rows, next    int       // stored rows; row overwritten next once full
}

// NewReplayBuffer returns an empty buffer of capacity rows of dimension dim.
// A chain restarts from a stored sample with probability restartProb (when
// the buffer is not empty) and otherwise from N(0, initStd²·I). Capacity 0
// is allowed: every start is then fresh.
func NewReplayBuffer(dim, capacity int, restartProb, initStd float64) (*ReplayBuffer, error) {
	switch {
	case dim < 1:
		return nil, fmt.Errorf("%w: replay dimension %d", energy.ErrLangevin, dim)
	case capacity < 0:
		return nil, fmt.Errorf("%w: replay capacity %d", energy.ErrLangevin, capacity)
	case !(restartProb >= 0 && restartProb <= 1):
		return nil, fmt.Errorf("%w: restart probability %v", energy.ErrLangevin, restartProb)
	case !(initStd > 0):
		return nil, fmt.Errorf("%w: initial std %v", energy.ErrLangevin, initStd)
	}
	return &ReplayBuffer{dim: dim, capacity: capacity, restartProb: restartProb, initStd: initStd}, nil
}

// Len is the number of stored samples.
func (b *ReplayBuffer) Len() int { return b.rows }

// Cap is the capacity in samples.
func (b *ReplayBuffer) Cap() int { return b.capacity }

// Starts fills dst (rows of the buffer's dimension) with chain starts: for
// each row, with probability restartProb a uniformly chosen stored sample,
// otherwise a fresh N(0, initStd²·I) draw. It reports how many rows came
// from the buffer.
func (b *ReplayBuffer) Starts(dst []float64, rng *rand.Rand) (restarted int, err error) {
	if len(dst)%b.dim != 0 {
		return 0, fmt.Errorf("replay: %d values are not rows of dimension %d", len(dst), b.dim)
	}
	for i := 0; i < len(dst); i += b.dim {
		row := dst[i : i+b.dim]
		if b.rows > 0 && rng.Float64() < b.restartProb {
			k := rng.IntN(b.rows)
			copy(row, b.data[k*b.dim:(k+1)*b.dim])
			restarted++
			continue
		}
		for j := range row {
			row[j] = b.initStd * rng.NormFloat64()
		}
	}
	return restarted, nil
}

// Push stores the rows of samples, evicting the oldest once full.
func (b *ReplayBuffer) Push(samples []float64) error {
	if len(samples)%b.dim != 0 {
		return fmt.Errorf("replay: %d values are not rows of dimension %d", len(samples), b.dim)
	}
	if b.capacity == 0 {
		return nil
	}
	for i := 0; i < len(samples); i += b.dim {
		row := samples[i : i+b.dim]
		if b.rows < b.capacity {
			b.data = append(b.data, row...)
			b.rows++
			continue
		}
		copy(b.data[b.next*b.dim:(b.next+1)*b.dim], row)
		b.next = (b.next + 1) % b.capacity
	}
	return nil
}
