// Package vecmath holds the numeric kernels that more than one package of the
// toolkit runs in its innermost loops: a table-driven exponential that is
// about twice as fast as math.Exp at the same accuracy (a few ulp), an
// element-wise form of it, a max-shifted log-sum-exp, and the routing of
// the networks' matrix products (Gemm: internal/kernels' assembly DGEMM by
// default, an installed BLAS such as OpenBLAS when a program chose one).
//
// Log-domain Sinkhorn and mixture log-likelihoods spend most of their time in
// exp; numpy vectorises it, so a scalar math.Exp loop loses per core. The
// kernels here are pure Go and allocation free.
package vecmath
