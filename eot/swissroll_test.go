package eot

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebieot/ebieot/datasets"
)

// marginalModel ignores x and draws from the Swiss-roll marginal: perfect
// unconditionally, wrong conditionally.
type marginalModel struct{}

func (marginalModel) Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error {
	copy(dst, datasets.SwissRollY(rng, n).Data)
	return nil
}

func TestEvaluateSwissRollSeparatesMarginalFromConditional(t *testing.T) {
	opt := SwissRollOptions{N: 300, K: 16, SinkhornEps: 0.05, Seed: 3}
	rep, err := EvaluateSwissRoll(context.Background(), marginalModel{}, datasets.IdentityScaler(2, 2), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("unconditional %+v, floor %+v, conditional %+v", rep.Unconditional, rep.Floor, rep.Conditional)
	// Unconditionally the model is the truth: within a few floors of 0.
	if math.Abs(rep.Unconditional.MMD) > 4*math.Abs(rep.Floor.MMD)+2e-3 || rep.Unconditional.Sinkhorn > 3*rep.Floor.Sinkhorn+1e-3 {
		t.Errorf("a perfect marginal scores %+v against a floor of %+v", rep.Unconditional, rep.Floor)
	}
	// Conditionally it ignores x, so every probe is far off.
	if len(rep.Probes) != 3 || !(rep.Conditional.MMD > 10*math.Abs(rep.Floor.MMD)+0.01) || !(rep.Conditional.Sinkhorn > 5*rep.Floor.Sinkhorn) {
		t.Errorf("conditional %+v is not clearly worse than the floor %+v", rep.Conditional, rep.Floor)
	}
	// The authors' way separates them too, and is a different estimate:
	// the annealed divergence stops short of convergence (it is biased low
	// at this ε), the union bandwidth moves the MMD² slightly.
	u, f, c := rep.Unconditional, rep.Floor, rep.Conditional
	if math.Abs(u.MMDAuthorsWay) > 4*math.Abs(f.MMDAuthorsWay)+2e-3 || u.SinkhornAuthorsWay > 3*math.Abs(f.SinkhornAuthorsWay)+1e-3 {
		t.Errorf("the authors' way, a perfect marginal scores %+v against a floor of %+v", u, f)
	}
	if !(c.MMDAuthorsWay > 10*math.Abs(f.MMDAuthorsWay)+0.01) || !(c.SinkhornAuthorsWay > 5*math.Abs(f.SinkhornAuthorsWay)) {
		t.Errorf("the authors' way, conditional %+v is not clearly worse than the floor %+v", c, f)
	}
	for _, d := range []Distances{u, f, c} {
		if !(d.SinkhornAuthorsWay < d.Sinkhorn) || d.MMDAuthorsWay == d.MMD {
			t.Errorf("the authors' way %+v is not the annealed / union-median estimate", d)
		}
	}
	again, err := EvaluateSwissRoll(context.Background(), marginalModel{}, datasets.IdentityScaler(2, 2), opt)
	if err != nil || again.Conditional != rep.Conditional || again.Unconditional != rep.Unconditional {
		t.Errorf("same seed, different report: %+v vs %+v (%v)", again.Conditional, rep.Conditional, err)
	}
}
