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
// It is a side-effect import, like net/http/pprof, because the swap is
// process-wide: importing the models must not change the BLAS behind the
// caller's back.
package openblas
