//go:build openblas

package openblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int);
*/
import "C"

import (
	"os"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// With the openblas build tag every matrix product goes to OpenBLAS through
// cgo: gorgonia.Use installs it for gorgonia and for gorgonia.org/tensor
// (whose MatMul is what the graphs run), blas64.Use for gonum's mat and
// blas64. This is process-wide configuration done once before main, not
// mutable state.
//
// The neural model already runs one goroutine per row block; OpenBLAS's own
// threads on top of that oversubscribe the cores and spin (several times
// slower per training step), so OpenBLAS is pinned to one
// thread unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS says otherwise.
func init() {
	G.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" && os.Getenv("OMP_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
}
