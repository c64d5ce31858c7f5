package energy

import (
	"context"
	"math/rand/v2"
)

// Role says which half of the objective a parameter belongs to; the learner
// gives each role its own learning rate.
type Role int

const (
	RoleCost      Role = iota // parameters of the cost c(x, y)
	RolePotential             // parameters of the potential f(y)
)

func (r Role) String() string {
	if r == RoleCost {
		return "cost"
	}
	return "potential"
}

// ParamBlock names a contiguous range of a model's flat parameter vector.
// Rows and Cols describe the weight matrix of a linear map, stored row-major
// (Rows*Cols == Len); both are zero for everything else (biases, mixture
// logits, tables of means or variances). Matrix-aware optimizers (Muon)
// orthogonalise exactly the blocks with a shape; the others ignore it.
type ParamBlock struct {
	Name        string
	Role        Role
	Offset, Len int
	Rows, Cols  int
}

// Batch is one minibatch of each of the three data streams, in the model's
// (standardised) coordinates, row-major.
type Batch struct {
	PairX, PairY []float64 // NPair rows of Dx and of Dy
	NPair        int
	TargetY      []float64 // NTarget rows of Dy: unpaired y's and pairs' y's
	NTarget      int
	SourceX      []float64 // NSource rows of Dx: unpaired x's and pairs' x's
	NSource      int
}

// LossTerms are the three terms of the EBiEOT objective on one batch:
//
//	Total = Paired − Target + LogPartition
//	Paired = mean_pairs c(x,y)/ε, Target = mean_targets f(y)/ε,
//	LogPartition = mean_sources log Z(x).
//
// A model that cannot compute log Z (the neural model) reports NaN for
// LogPartition and Total but still returns an unbiased gradient.
type LossTerms struct {
	Paired, Target, LogPartition, Total float64
}

// Model is a trainable conditional energy model.
type Model interface {
	// Spec returns the architecture and hyperparameters; together with
	// Params it reconstructs the model (see Build).
	Spec() Spec
	// Params returns the live flat parameter vector; optimizers update it
	// in place.
	Params() []float64
	// Blocks partitions Params into named blocks, in order, covering it.
	Blocks() []ParamBlock
	// LossGrad evaluates the loss terms on b and writes ∂Total/∂Params into
	// grad (len(grad) == len(Params()), overwritten). rng drives any
	// sampling the gradient needs.
	LossGrad(ctx context.Context, b *Batch, grad []float64, rng *rand.Rand) (LossTerms, error)
	// Sample draws n samples of y ~ π(·|x) for one x (len Dx) into dst
	// (n rows of Dy).
	Sample(ctx context.Context, x []float64, n int, rng *rand.Rand, dst []float64) error
}

// Density is implemented by models whose conditional log-density is exact.
type Density interface {
	// LogProb returns log π(y|x) for one x (len Dx) and one y (len Dy).
	LogProb(x, y []float64) float64
}

// Threaded is implemented by models that split their work over goroutines.
// The learner and the evaluators pass their thread count on through it, so
// that no model reads or sets GOMAXPROCS; n = 0 means one per CPU.
type Threaded interface {
	SetThreads(n int)
}
