// Package eot is the EBiEOT learner: it minimises the negative conditional
// log-likelihood of the pairs,
//
//	L(θ) = (1/ε)·E_pairs[c(x,y)] − (1/ε)·E_targets[f(y)] + E_sources[log Z(x)],
//
// over minibatches of the three data streams, for any energy.Model, and
// evaluates a trained model on held-out pairs. It also reads and writes
// model files.
//
// Streams and pools. Every step draws one minibatch from each of three pools,
// independently and uniformly with replacement (so pools of any size, even
// smaller than the batch, work and every step is an unbiased estimate of L):
//
//   - pairs: the training pairs (x, y);
//   - targets: the unpaired y's followed by the pairs' y's;
//   - sources: the unpaired x's followed by the pairs' x's.
//
// Validation pairs are split off before training and appear in none of the
// three pools.
package eot
