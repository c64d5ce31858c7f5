// Package openblas routes every matrix product of the process to OpenBLAS
// when it is imported for its side effect:
//
//	import _ "github.com/ebieot/ebieot/energy/openblas"
//
// built with the openblas tag and cgo (CGO_LDFLAGS=-lopenblas, Debian's
// libopenblas-dev). It installs OpenBLAS for gorgonia and gorgonia.org/tensor
// (the neural model's graphs) and for gonum's blas64 (the GMM's heads), once,
// before main runs. Without the tag the package is empty, so that a program
// can keep the import and choose the BLAS at build time; cmd/ebieot does
// exactly that.
//
// Without the tag the models' products run on internal/kernels' AVX2 DGEMM
// (gonum's pure-Go Dgemm on CPUs without AVX2 and FMA), which reaches
// 91–101 % of single-threaded OpenBLAS on the models' shapes
// (bench/notes/kernels.md). The models route to whatever BLAS is installed
// once it is no longer gonum's default, so this import still takes
// precedence (internal/vecmath.Gemm).
//
// It is a side-effect import, like net/http/pprof, because the swap is
// process-wide: importing the models must not change the BLAS behind the
// caller's back.
package openblas
