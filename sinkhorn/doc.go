// Package sinkhorn solves entropic optimal transport between two weighted
// point clouds (or any cost matrix) and computes the debiased Sinkhorn
// divergence.
//
// For source weights a (n points), target weights b (m points), a cost C and
// a regularisation ε > 0 in the cost's units, the entropic problem is
//
//	OT_ε(a, b) = min_P ⟨P, C⟩ + ε·KL(P ‖ a⊗b)   over P ≥ 0 with P1 = a, Pᵀ1 = b,
//
// whose solution is P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε) for dual
// potentials f, g (in cost units). Weights are normalised to total mass 1.
//
// Solvers. Every Sinkhorn iteration makes one pass over the rows of the cost:
// it updates f so that the row marginals are exact, accumulates the column
// marginals of that plan from the same exponentials, and then updates g. The
// log-domain solver is stable at any ε; the kernel (scaling) solver works on
// K = exp(−C/ε) and is several times cheaper per iteration but under- or
// overflows at small ε, which is detected (zeros, infinities, NaN) and
// answered by falling back to the log domain. ε-scaling (annealing) reaches
// small ε in fewer iterations, and over-relaxation (Options.Relaxation,
// automatic at small ε, with a safeguard that falls back to plain
// iterations when the error stalls) shortens the slow linear phase at the
// target ε, often tenfold. The online mode never stores the n×m cost and
// recomputes cost rows from the points. Rows are split into fixed blocks, one
// per worker, and partial sums are reduced in block order, so a given thread
// count always gives the same bits.
//
// Divergence computes the debiased Sinkhorn divergence; its two symmetric
// terms OT_ε(α, α), OT_ε(β, β) use the averaged update g ← ½(g + T(g)),
// which converges much faster than alternating updates there. Its terms
// are dual values, accurate to second order in the marginal error, which
// lets its default tolerance be loose (see DefaultDivergenceTol). SolveBatch
// solves many small problems concurrently, one per worker.
//
// The marginal error reported and compared with the tolerance is the L1 norm
// Σ_j |(Pᵀ1)_j − b_j| of the plan that is returned (its row marginals are
// exact), so the Converged flag describes the returned plan itself.
package sinkhorn
