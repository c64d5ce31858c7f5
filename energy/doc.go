// Package energy holds conditional energy models
//
//	π(y|x) = exp((f(y) − c(x,y))/ε) / Z(x)
//
// with a learnable cost c and potential f: the closed-form Gaussian-mixture
// model with a log-sum-exp cost (GMM, every quantity exact) and the neural
// model (MLPs trained with Langevin samples). Each model computes the three
// terms of the EBiEOT loss and their gradient on a minibatch, samples the
// conditional and, where it can, scores it. Training loops live in package
// eot; files are read and written elsewhere.
//
// Points are row-major []float64 with explicit row counts; parameters are one
// flat []float64 per model, partitioned into named blocks (see ParamBlock).
package energy
