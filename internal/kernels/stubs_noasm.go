//go:build noasm || purego || !amd64

package kernels

// useAVX2 is false without the assembly: every exported kernel runs its
// pure-Go twin, and the stubs below are never reached.
const useAVX2 = false

func expAVX2(dst, src *float64, n int) { panic("kernels: no assembly") }

func expShiftSumAVX2(s *float64, n int, shift float64, lanes *[4]float64) {
	panic("kernels: no assembly")
}

func partLogitsAVX2(tilts, comps, S *float64, N, G int, out *[8]float64) {
	panic("kernels: no assembly")
}

func partExpSumsAVX2(tilts, comps, S, sums, cols *float64, N, G int, mx float64) {
	panic("kernels: no assembly")
}

func dgemmPanelAVX2(k int, a, b, c *float64, ldc, mc, cols int, alpha, beta float64, loadC int) {
	panic("kernels: no assembly")
}

func packBNAVX2(dst, b *float64, ldb, kc, nsl int) { panic("kernels: no assembly") }

func dot4x2AVX2(k int, x0, x1, x2, x3, y0, y1 *float64, out *[8]float64) {
	panic("kernels: no assembly")
}

func col16x2AVX2(k int, x *float64, ldx int, y *float64, out *[32]float64) {
	panic("kernels: no assembly")
}

func col4x2AVX2(k int, x *float64, ldx int, y *float64, rows int, out *[8]float64) {
	panic("kernels: no assembly")
}
