// Package metrics holds the sample-based measurements used to evaluate
// conditional generative models: MMD² with a mixture of Gaussian RBF kernels
// (median-heuristic bandwidths), the energy distance, the Fréchet /
// Bures–Wasserstein distance between Gaussian fits and BW-UVP, the
// authors' per-group FID on grouped data, the conditional NLL summary, the
// energy score (multivariate CRPS) and the coverage of central prediction
// regions (calibration). The debiased Sinkhorn divergence lives in package
// sinkhorn.
//
// Point sets are Points values: row-major []float64 with an explicit row
// count and dimension, aliasing the caller's storage (a model's Sample fills
// exactly such a buffer, and datasets.Matrix converts without copying).
// Conditional scores take the held-out observations as one Points with a
// row per observed y and the model's draws as one Points holding perRow
// consecutive rows per held-out row.
//
// Estimator choices, stated once: MMD² and the energy distance use
// U-statistics within each set (diagonal excluded) and the full mean across
// sets, so both are unbiased and scatter around zero when the laws agree;
// the energy score uses the unbiased pair mean over distinct draws;
// covariances use the n−1 denominator.
//
// The O(n²) estimators take a thread count (0 = one per CPU), split rows
// into fixed blocks run on up to that many goroutines and add the blocks' partial sums
// in block order, so results are bit-identical for any thread count; the
// per-row and per-group scores run the same way with one work item per row
// or group. They take a context and stop between work items when it ends.
// Kernel exponentials use internal/vecmath (a few ulp from math.Exp).
// Errors wrap ErrShape, ErrTooFew or ErrInvalid.
package metrics
