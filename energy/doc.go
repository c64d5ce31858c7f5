// Package energy is the contract between the EBiEOT learner and its
// conditional energy models
//
//	π(y|x) = exp((f(y) − c(x,y))/ε) / Z(x)
//
// with a learnable cost c and potential f. It defines what every model
// provides (Model: a flat parameter vector in named blocks, the loss terms of
// the objective with their gradient on a minibatch, and a sampler), the
// optional exact density (Density), the architecture record stored in model
// files (Spec), the Langevin sampler shared by energy-based models, the
// Gaussian mixture in which closed-form conditionals are expressed, and one
// error vocabulary (ErrSpec, ErrShape, ErrNonFinite) that every model wraps.
//
// The models themselves live in subpackages, one per kind, the way hash/crc32
// and hash/fnv implement package hash:
//
//   - energy/gmm: EBiEOT-GMM, a Gaussian-mixture potential and a log-sum-exp
//     cost, every quantity in closed form (docs/method.md §4);
//   - energy/neural: EBiEOT-NN, MLP cost and potential trained with Langevin
//     samples (docs/method.md §5).
//
// Training loops live in package eot (which also builds a model from a Spec);
// files are read and written elsewhere.
//
// Points are row-major []float64 with explicit row counts; parameters are one
// flat []float64 per model, partitioned into named blocks (see ParamBlock).
package energy
