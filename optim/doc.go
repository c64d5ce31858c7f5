// Package optim holds first-order optimizers over flat parameter vectors and
// a small convex minimiser.
//
// Training optimizers work on a []float64 of all parameters, split into
// non-overlapping Segments grouped into Groups that share a learning rate
// and a weight decay (Group.LR, Group.WeightDecay); parameters outside every
// group are never touched. All implement Optimizer and offer SetLR/LR for
// schedules:
//
//   - Adam and AdamW (NewAdam; AdamConfig.Decoupled selects AdamW), with
//     State/Restore for exact resumption;
//   - Signum (sign descent with sum-style momentum) and SoftSignum, which
//     after a sign phase relaxes sign(u) to tanh(τ·u) with a temperature
//     schedule built once from a Cauchy fit of the momentum
//     (Feoktistov et al., ICML 2026);
//   - Muon (quintic Newton–Schulz orthogonalisation of the momentum of each
//     weight matrix, Jordan et al. 2024) and SoftMuon, which relaxes the
//     orthogonalisation to the algebraic soft sign of the singular values.
//     Segments with Rows, Cols > 0 are the matrices; the rest of each group
//     goes to an auxiliary AdamW.
//
// Before their transition step SoftSignum and SoftMuon are bit-identical to
// Signum and Muon.
//
// Minimize solves smooth convex problems given value and gradient callbacks,
// with Malitsky's adaptive golden-ratio algorithm (aGRAAL) or the
// accelerated GRAAL of Borodich and Kovalev (ICLR 2026), neither of which
// needs the Lipschitz constant. The accelerated method additionally
// restarts when its output moves uphill, which makes it converge linearly
// on strongly convex problems.
//
// Every computation is sequential and deterministic: the same inputs give
// the same bits. Steps of the training optimizers do not allocate (except
// the one-off schedule construction of the soft methods).
package optim
