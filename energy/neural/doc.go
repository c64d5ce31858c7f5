// Package neural implements EBiEOT-NN (docs/method.md §5), the conditional
// energy model whose cost c(x,y) and potential f(y) are multilayer
// perceptrons. log Z(x) has no closed form: the loss gradient uses Langevin
// samples of π(·|x) started from a replay buffer, and LogProbEstimate gives
// an importance-sampling estimate of log π(y|x) with its standard error.
//
// The networks are gorgonia graphs, differentiated symbolically (parameter
// gradients for training, ∇_y E for the sampler), with one fused op per
// layer (op.go) run by a small in-goroutine executor (exec.go). Row blocks
// run on parallel workers, each owning its graphs; block boundaries depend on
// the thread count, so results depend only on the seed and the thread count.
//
// Use it when the conditional is too far from a Gaussian mixture for
// EBiEOT-GMM; it is slower and its likelihood is only estimated.
package neural
