package sinkhorn

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebieot/ebieot/internal/parallel"
)

// Method selects the Sinkhorn update.
type Method int

const (
	// Auto uses the kernel solver when the cost spread is at most
	// KernelMaxSpread·ε (so that exp(−C/ε) is far from underflow) and the
	// cost is stored, else the log-domain solver. The kernel solver still
	// falls back to the log domain if it under- or overflows.
	Auto Method = iota
	// LogDomain updates the potentials with max-shifted log-sum-exps; it is
	// stable at any ε.
	LogDomain
	// Kernel updates scalings u, v on K = exp(−C/ε): cheaper per iteration
	// (no exp in the loop), and it falls back to the log domain when the
	// kernel or the scalings under- or overflow.
	Kernel
)

// String names the method.
func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case LogDomain:
		return "log"
	case Kernel:
		return "kernel"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// KernelMaxSpread is the largest (max C − min C)/ε at which Auto picks the
// kernel solver: exp(−200) ≈ 1e−87 leaves room for the scalings.
const KernelMaxSpread = 200

// Annealing selects ε-scaling.
type Annealing int

const (
	// AnnealAuto anneals when a tolerance is set, ε is below
	// AnnealBelowSpread times the cost spread, the method is not Kernel and
	// there is no warm start.
	AnnealAuto Annealing = iota
	// AnnealOff solves at the target ε from the start.
	AnnealOff
	// AnnealOn always anneals.
	AnnealOn
)

// AnnealBelowSpread: with AnnealAuto, ε-scaling is used when ε is smaller
// than this fraction of the cost spread.
const AnnealBelowSpread = 1e-2

// Default option values used for zero fields.
const (
	DefaultTol     = 1e-9
	DefaultMaxIter = 10000
	// DefaultAnnealFactor is the ratio between successive ε of ε-scaling.
	DefaultAnnealFactor = 0.5
)

// Options control Solve. The zero value plus Eps is a sensible default.
type Options struct {
	// Eps is the entropic regularisation in the cost's units, unless
	// EpsRelativeToMedianCost is set.
	Eps float64
	// EpsRelativeToMedianCost makes the effective ε = Eps · median(C) (the
	// median over all n·m costs, or over a regular grid of at most 2^20 of
	// them for larger problems), which makes Eps unit free.
	EpsRelativeToMedianCost bool
	// Tol is the stopping tolerance on the L1 marginal error of the returned
	// plan (see the package doc). Zero means DefaultTol; a negative value
	// disables the test so that exactly MaxIter iterations run.
	Tol float64
	// MaxIter bounds the number of iterations (all ε-scaling stages
	// included). Zero means DefaultMaxIter.
	MaxIter int
	Method  Method
	// Annealing controls ε-scaling; AnnealFactor in (0, 1) is the ratio of
	// successive ε (zero means DefaultAnnealFactor).
	Annealing    Annealing
	AnnealFactor float64
	// Online recomputes cost rows from the points on every pass instead of
	// storing the n×m matrix: O(n+m) memory. It implies the log domain.
	Online bool
	// Threads is the number of worker goroutines (0 = one per CPU). Results
	// are bit-identical for a given thread count.
	Threads int
	// WarmF and WarmG are optional initial potentials (lengths n and m) in
	// the cost's units, e.g. from a previous Result on nearby data.
	WarmF, WarmG []float64
	// Relaxation is the over-relaxation factor ω of the log-domain
	// iterations: f ← (1−ω)f + ω·T(g), T the ε-c-transform that makes the
	// row marginals exact, and likewise for g (Thibault, Chizat, Dossal,
	// Papadakis 2017). Near the solution, at the best ω, the error shrinks
	// like (ω−1)^k instead of η^k for plain Sinkhorn's rate η, which at
	// small ε is very close to 1. Zero means automatic: when a tolerance
	// is set and ε is below AnnealBelowSpread times the cost spread, ω =
	// DefaultRelaxation at the target ε and 1.5 in the ε-scaling stages;
	// otherwise plain. One means off (plain Sinkhorn, whose iterates
	// reproduce the textbook loop). A value in (1, 2) is used as given at
	// the target ε. Whatever ω, a safeguard halves ω−1 whenever the
	// marginal error has not improved for 20 iterations, down to plain
	// iterations, which converge from any potentials; it may double ω−1
	// back after 50 iterations of progress, but only 8 times per run, so
	// the run always converges. The solution does not depend on ω, and the
	// reported marginal error is always that of the returned plan (exact
	// row marginals). The symmetric updates of Divergence's self terms are
	// not relaxed.
	Relaxation float64
}

// DefaultRelaxation is the automatic over-relaxation factor at the target
// ε. The optimal ω is 2/(1+√(1−η)), which tends to 2 as the plain rate η
// tends to 1; estimating η from the first iterations underestimates it
// (the early phase is faster than the asymptotic one), and a fixed ω near
// 2 measured fastest, the safeguard covering the cases where it is too
// large.
const DefaultRelaxation = 1.95

func (o *Options) normalised() (Options, error) {
	out := *o
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	if !(o.Eps > 0) || math.IsInf(o.Eps, 0) {
		return bad("ε must be positive and finite, got %v", o.Eps)
	}
	if math.IsNaN(o.Tol) {
		return bad("tolerance is NaN")
	}
	if out.Tol == 0 {
		out.Tol = DefaultTol
	}
	if o.MaxIter < 0 {
		return bad("max iterations %d", o.MaxIter)
	}
	if out.MaxIter == 0 {
		out.MaxIter = DefaultMaxIter
	}
	if o.Method < Auto || o.Method > Kernel {
		return bad("unknown method %d", int(o.Method))
	}
	if o.Annealing < AnnealAuto || o.Annealing > AnnealOn {
		return bad("unknown annealing mode %d", int(o.Annealing))
	}
	if out.AnnealFactor == 0 {
		out.AnnealFactor = DefaultAnnealFactor
	}
	if !(out.AnnealFactor > 0 && out.AnnealFactor < 1) {
		return bad("annealing factor %v not in (0, 1)", o.AnnealFactor)
	}
	if !(o.Relaxation == 0 || o.Relaxation >= 1 && o.Relaxation < 2) {
		return bad("relaxation %v not 0 or in [1, 2)", o.Relaxation)
	}
	if o.Threads < 0 {
		return bad("threads %d", o.Threads)
	}
	if out.Threads == 0 {
		out.Threads = parallel.Threads(0)
	}
	return out, nil
}

// ErrNotConverged is matched (errors.Is) by the error Solve returns when the
// tolerance was not reached within MaxIter iterations; the result is still
// returned. Use errors.As with *NotConvergedError for the details.
var ErrNotConverged = errors.New("sinkhorn: not converged")

// NotConvergedError carries the state of a run that did not reach its
// tolerance.
type NotConvergedError struct {
	Iterations    int
	MarginalError float64 // L1 marginal error of the returned plan
	Tol           float64
}

func (e *NotConvergedError) Error() string {
	return fmt.Sprintf("sinkhorn: not converged after %d iterations: marginal error %.3g > tolerance %.3g",
		e.Iterations, e.MarginalError, e.Tol)
}

// Is makes errors.Is(err, ErrNotConverged) true.
func (e *NotConvergedError) Is(target error) bool { return target == ErrNotConverged }
