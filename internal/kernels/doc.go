// Package kernels holds the toolkit's hand-vectorised inner loops: Go
// assembly for amd64 with AVX2 and FMA, chosen at run time, and a pure-Go
// twin of every kernel that runs elsewhere (other CPUs, other architectures,
// or builds tagged noasm or purego) and that the tests hold the assembly to.
//
// Why each kernel exists:
//
//   - [ExpTo] and [ExpShiftSum]: log-domain Sinkhorn and mixture
//     log-likelihoods spend most of their time in exp, and a scalar math.Exp
//     loop is several times slower per core than the vectorised exp that
//     numpy-based reference code gets for free. ExpShiftSum is the
//     max-shifted half of log-sum-exp, fused so that the block is read once.
//   - [Partition2]: the log-partition block of the Gaussian-mixture energy
//     for two output coordinates, the hottest loop of the project. The
//     logits, their maximum, the exponentials and the two families of
//     weighted sums are one fused pass over data that stays in L1, instead of
//     five generic calls that each stream the block again.
//   - [Dgemm]: the dense layers of the neural potentials, forward and in
//     backprop (Aᵀ·B for weight gradients, A·Bᵀ for input gradients).
//     gonum's pure-Go Dgemm reaches a fraction of the machine's FMA
//     throughput; a packed, register-blocked AVX2 micro-kernel gets close to
//     OpenBLAS without cgo. Layers two wide (the coordinates in and out)
//     get their own dot-product and column kernels, because packing and
//     6×8 tiles would mostly move and multiply padding there.
//
// The kernels use float64 only, keep no mutable global state (the CPU
// feature flags are read once at start-up), never start goroutines and never
// look at GOMAXPROCS: callers parallelise across independent calls. Results
// depend only on the inputs and on whether the CPU has AVX2 and FMA, so
// they are reproducible from run to run and for any thread count on one
// machine.
//
// Length and shape errors are programmer errors and panic, as in gonum's
// internal/asm packages: the kernels are internal and their callers size
// their buffers once.
package kernels
