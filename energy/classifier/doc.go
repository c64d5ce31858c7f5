// Package classifier implements the EBiEOT classifier (docs/method.md §6,
// §9.6): the discrete-target model
//
//	π(k|x) = softmax_k( (f_k − c(x,k)) / ε ),   k = 0 … K−1,
//
// with K free potentials f_k and a learned cost c(x,k), linear in x or an
// MLP with K outputs. y is one column holding the class index as a float64;
// Spec.Classes names the classes and Spec.ClassPrior is the class marginal
// that the target term of the objective uses exactly.
//
// Every term of the loss is a finite sum, so the loss, its gradient, the
// class probabilities and the log-likelihood are exact; there is no
// sampler in training. The gradient is analytic (tested against finite
// differences) and computed over fixed row blocks through internal/parallel,
// reduced in a fixed order, so results are bit-identical for any thread
// count.
package classifier
