package datasets

import (
	"math"
	"math/rand/v2"
	"slices"
)

// SplitPairs holds out a random fraction frac of the pairs, for evaluating
// the learned conditional on pairs it never saw. The held-out pairs are
// removed from train and are not added to its unpaired pools: their x's and
// y's would otherwise still inform the marginals the model is scored
// against. held has pairs only; train keeps the sources and targets of s
// (sharing their storage). See splitCount for the number held out.
func SplitPairs(s *Streams, frac float64, rng *rand.Rand) (train, held *Streams) {
	trainIdx, heldIdx := splitIndices(s.PairX.Rows, frac, rng)
	train = &Streams{
		XNames: s.XNames, YNames: s.YNames,
		PairX: s.PairX.SelectRows(trainIdx), PairY: s.PairY.SelectRows(trainIdx),
		SourceX: s.SourceX, TargetY: s.TargetY,
	}
	held = &Streams{
		XNames: s.XNames, YNames: s.YNames,
		PairX: s.PairX.SelectRows(heldIdx), PairY: s.PairY.SelectRows(heldIdx),
		SourceX: NewMatrix(0, s.XDim()), TargetY: NewMatrix(0, s.YDim()),
	}
	return train, held
}

// SplitValidation moves the same random fraction frac of every stream
// (pairs, sources and targets, each drawn independently) into a validation
// set, so that the validation loss has all three terms of the objective.
// See splitCount for the number of rows moved.
func SplitValidation(s *Streams, frac float64, rng *rand.Rand) (train, val *Streams) {
	pTrain, pVal := splitIndices(s.PairX.Rows, frac, rng)
	sTrain, sVal := splitIndices(s.SourceX.Rows, frac, rng)
	tTrain, tVal := splitIndices(s.TargetY.Rows, frac, rng)
	part := func(p, src, tgt []int) *Streams {
		return &Streams{
			XNames: s.XNames, YNames: s.YNames,
			PairX: s.PairX.SelectRows(p), PairY: s.PairY.SelectRows(p),
			SourceX: s.SourceX.SelectRows(src), TargetY: s.TargetY.SelectRows(tgt),
		}
	}
	return part(pTrain, sTrain, tTrain), part(pVal, sVal, tVal)
}

// splitCount is the number of rows out of n that a split with fraction frac
// moves: round(frac·n), but at most n−1 so that the remaining part is never
// emptied. A fraction that is not positive (or NaN) moves nothing; callers
// that take the fraction from a user should reject values outside [0, 1)
// themselves.
func splitCount(n int, frac float64) int {
	if !(frac > 0) || n == 0 {
		return 0
	}
	k := int(math.Round(math.Min(frac, 1) * float64(n)))
	return min(k, n-1)
}

// splitIndices draws splitCount(n, frac) of the indices 0..n−1 uniformly
// without replacement. Both parts are in increasing order, so a split keeps
// the file order of the rows.
func splitIndices(n int, frac float64, rng *rand.Rand) (keep, moved []int) {
	perm := rng.Perm(n)
	k := splitCount(n, frac)
	moved, keep = perm[:k:k], perm[k:]
	slices.Sort(moved)
	slices.Sort(keep)
	return keep, moved
}
