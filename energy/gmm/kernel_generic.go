//go:build !(goexperiment.simd && amd64)

package gmm

// partitionRow2 is the log-partition kernel for Dy = 2 and diagonal A_n;
// without GOEXPERIMENT=simd on amd64 it is the scalar one.
func (p *potential) partitionRow2(logv, b []float64, scale float64, ks *kernelScratch, acc, dlogv, db []float64) float64 {
	return p.partitionRow2Scalar(logv, b, scale, ks, acc, dlogv, db)
}
