// Package gmm implements EBiEOT-GMM (docs/method.md §4), the conditional
// energy model whose potential is ε times the log of a Gaussian mixture and
// whose cost is a log-sum-exp of exponential tilts with x-dependent weights
// and slopes. Every quantity has a closed form: the log-partition log Z(x),
// the conditional π(y|x) (a Gaussian mixture with N·M components, returned
// by Conditional as an energy.Mixture), exact samples, exact log-densities
// and the analytic gradient of the loss, which the tests check against
// finite differences.
//
// It is the model to try first: it is cheap (no sampler in the loss), its
// likelihood is exact (so validation and model selection compare like with
// like), and its parameters are interpretable (component means, covariances
// and weights).
//
// The hot loop is the log-partition over N·M components per source row;
// kernel*.go holds its specialised versions for Dy = 2 (scalar loops, and
// the fused AVX2 block of internal/kernels, chosen at run time by the CPU),
// rows.go the general ones. Work is split into
// fixed row blocks summed in a fixed order, so results are bit-identical for
// any number of threads.
package gmm
