package gmm

import (
	"math"

	"github.com/ebieot/ebieot/internal/vecmath"
)

// potential holds what every row of a batch needs from the potential's
// parameters, computed once per call from the raw vector: log w, A_n (or
// L_n), the derivatives of the softplus and the Gaussian normalisers.
type potential struct {
	N, M, D int
	eps     float64
	full    bool

	logw []float64 // N, log_softmax(raw_w)
	a    []float64 // N × D, aliases the parameters

	// Diagonal A_n.
	A, invA []float64 // N × D
	P       []float64 // N × 2D rows [A_n | 2a_n]: log z_nm is linear in them

	// Dy = 2, diagonal: the columns of A and a, for partitionRow2's loops,
	// and the same with log w, each broadcast to kernelWidth lanes, for the
	// vector kernel: per component log w, A_·0, A_·1, a_·0, a_·1.
	A0, A1, a0, a1 []float64 // N
	comp4          []float64 // N × 5 × kernelWidth

	// Full A_n = L_n L_nᵀ.
	L []float64 // N × D × D, lower triangle (the rest zero)

	dDiag   []float64 // N × D: d softplus at the raw diagonal (of A_n or L_n)
	logNorm []float64 // N: log w_n − (D/2)·log(2πε) − ½·log det A_n
}

func (p *potential) update(g *Model) {
	s := g.spec
	N, D := s.Potentials, s.YDim
	p.N, p.M, p.D, p.eps, p.full = N, s.CostComponents, D, g.workEps(), s.FullCov
	params := g.params

	p.logw = grow(p.logw, N)
	raw := params[g.offRawW : g.offRawW+N]
	lse := vecmath.LogSumExp(raw)
	for n, v := range raw {
		p.logw[n] = v - lse
	}
	p.a = params[g.offA : g.offA+N*D]
	p.dDiag = grow(p.dDiag, N*D)
	p.logNorm = grow(p.logNorm, N)
	halfLog2PiEps := 0.5 * float64(D) * math.Log(2*math.Pi*p.eps)

	if !p.full {
		p.A = grow(p.A, N*D)
		p.invA = grow(p.invA, N*D)
		p.P = grow(p.P, N*2*D)
		rawA := params[g.offCov : g.offCov+N*D]
		for n := 0; n < N; n++ {
			logDet := 0.0
			for d := 0; d < D; d++ {
				i := n*D + d
				A := softplus(rawA[i])
				p.A[i] = A
				p.invA[i] = 1 / A
				p.dDiag[i] = sigmoid(rawA[i])
				p.P[n*2*D+d] = A
				p.P[n*2*D+D+d] = 2 * p.a[i]
				logDet += math.Log(A)
			}
			p.logNorm[n] = p.logw[n] - halfLog2PiEps - 0.5*logDet
		}
		if D == 2 {
			p.A0, p.A1 = grow(p.A0, N), grow(p.A1, N)
			p.a0, p.a1 = grow(p.a0, N), grow(p.a1, N)
			p.comp4 = grow(p.comp4, 5*kernelWidth*N)
			for n := 0; n < N; n++ {
				p.A0[n], p.A1[n] = p.A[2*n], p.A[2*n+1]
				p.a0[n], p.a1[n] = p.a[2*n], p.a[2*n+1]
				c := p.comp4[5*kernelWidth*n : 5*kernelWidth*(n+1)]
				for j := range kernelWidth {
					c[j] = p.logw[n]
					c[kernelWidth+j] = p.A0[n]
					c[2*kernelWidth+j] = p.A1[n]
					c[3*kernelWidth+j] = p.a0[n]
					c[4*kernelWidth+j] = p.a1[n]
				}
			}
		}
		return
	}

	p.L = grow(p.L, N*D*D)
	clear(p.L)
	k := packedLen(D)
	for n := 0; n < N; n++ {
		packed := params[g.offCov+n*k : g.offCov+(n+1)*k]
		L := p.L[n*D*D : (n+1)*D*D]
		logDet := 0.0 // log det L_n = ½ log det A_n
		for i := 0; i < D; i++ {
			row := packed[packedLen(i) : packedLen(i)+i+1]
			copy(L[i*D:i*D+i], row[:i])
			L[i*D+i] = softplus(row[i])
			p.dDiag[n*D+i] = sigmoid(row[i])
			logDet += math.Log(L[i*D+i])
		}
		p.logNorm[n] = p.logw[n] - halfLog2PiEps - logDet
	}
}

// potScratch is per-goroutine scratch for the potential's rows.
type potScratch struct {
	ell []float64 // N
	u   []float64 // N × D (full: L_n⁻¹(y − a_n))
	z   []float64 // D
}

func (sc *potScratch) size(N, D int) {
	sc.ell = grow(sc.ell, N)
	sc.u = grow(sc.u, N*D)
	sc.z = grow(sc.z, D)
}

// logPotential returns f(y)/ε = log Σ_n w_n N(y | a_n, εA_n) and leaves the
// component log-terms ℓ_n in sc.ell (and, for full A_n, the whitened
// residuals in sc.u).
func (p *potential) logPotential(y []float64, sc *potScratch) float64 {
	N, D := p.N, p.D
	inv2e := 1 / (2 * p.eps)
	ell := sc.ell[:N]
	if !p.full {
		for n := 0; n < N; n++ {
			a, invA := p.a[n*D:(n+1)*D], p.invA[n*D:(n+1)*D]
			q := 0.0
			for d, yd := range y[:D] {
				r := yd - a[d]
				q += r * r * invA[d]
			}
			ell[n] = p.logNorm[n] - q*inv2e
		}
		return vecmath.LogSumExp(ell)
	}
	for n := 0; n < N; n++ {
		u := sc.u[n*D : (n+1)*D]
		p.solveLower(n, y, u)
		q := 0.0
		for _, v := range u {
			q += v * v
		}
		ell[n] = p.logNorm[n] - q*inv2e
	}
	return vecmath.LogSumExp(ell)
}

// solveLower sets u = L_n⁻¹ (y − a_n) by forward substitution.
func (p *potential) solveLower(n int, y, u []float64) {
	D := p.D
	L, a := p.L[n*D*D:(n+1)*D*D], p.a[n*D:(n+1)*D]
	for i := 0; i < D; i++ {
		s := y[i] - a[i]
		row := L[i*D : i*D+i]
		for j, l := range row {
			s -= l * u[j]
		}
		u[i] = s / L[i*D+i]
	}
}

// solveUpper sets z = L_n⁻ᵀ u by back substitution.
func (p *potential) solveUpper(n int, u, z []float64) {
	D := p.D
	L := p.L[n*D*D : (n+1)*D*D]
	for i := D - 1; i >= 0; i-- {
		s := u[i]
		for j := i + 1; j < D; j++ {
			s -= L[j*D+i] * z[j]
		}
		z[i] = s / L[i*D+i]
	}
}

// potentialGrad adds scale·∂(f(y)/ε)/∂(log w, a, A or L) to acc, laid out as
// [log w (N) | a (N×D) | A (N×D) or packed L (N×D(D+1)/2)], after
// logPotential(y, sc) has returned lse.
func (p *potential) potentialGrad(y []float64, lse, scale float64, sc *potScratch, acc []float64) {
	N, D := p.N, p.D
	invEps := 1 / p.eps
	gw := acc[:N]
	ga := acc[N : N+N*D]
	gc := acc[N+N*D:]
	for n := 0; n < N; n++ {
		gamma := scale * vecmath.Exp(sc.ell[n]-lse)
		if gamma == 0 {
			continue
		}
		gw[n] += gamma
		a := p.a[n*D : (n+1)*D]
		if !p.full {
			invA := p.invA[n*D : (n+1)*D]
			gan, gAn := ga[n*D:(n+1)*D], gc[n*D:(n+1)*D]
			for d, yd := range y[:D] {
				r := (yd - a[d]) * invA[d]
				gan[d] += gamma * r * invEps
				gAn[d] += gamma * (r*r*0.5*invEps - 0.5*invA[d])
			}
			continue
		}
		u, z := sc.u[n*D:(n+1)*D], sc.z[:D]
		p.solveUpper(n, u, z)
		gan := ga[n*D : (n+1)*D]
		for d := range D {
			gan[d] += gamma * z[d] * invEps
		}
		// ∂ℓ/∂L = z uᵀ/ε on the lower triangle, minus 1/L_ii on the diagonal.
		gL := gc[n*packedLen(D) : (n+1)*packedLen(D)]
		L := p.L[n*D*D : (n+1)*D*D]
		for i := 0; i < D; i++ {
			row := gL[packedLen(i) : packedLen(i)+i+1]
			c := gamma * z[i] * invEps
			for j := range row {
				row[j] += c * u[j]
			}
			row[i] -= gamma / L[i*D+i]
		}
	}
}

// potentialRowDiag is logPotential followed by potentialGrad for diagonal
// A_n, with one exponential per component instead of two: it returns
// f(y)/ε and adds scale·∂(f(y)/ε)/∂(log w, a, A) to acc.
func (p *potential) potentialRowDiag(y []float64, scale float64, sc *potScratch, acc []float64) float64 {
	N, D := p.N, p.D
	invEps := 1 / p.eps
	inv2e := 0.5 * invEps
	ell := sc.ell[:N]
	y = y[:D]
	mx := math.Inf(-1)
	for n := range ell {
		a, invA := p.a[n*D:(n+1)*D], p.invA[n*D:(n+1)*D]
		a, invA = a[:len(y)], invA[:len(y)]
		q := 0.0
		for d, yd := range y {
			r := yd - a[d]
			q += r * r * invA[d]
		}
		l := p.logNorm[n] - q*inv2e
		ell[n] = l
		if l > mx {
			mx = l
		}
	}
	if math.IsInf(mx, 0) || math.IsNaN(mx) {
		// No finite normaliser: report it as the loss and skip the gradient.
		return vecmath.LogSumExp(ell)
	}
	sum := vecmath.ExpShiftSum(ell, mx)
	c := scale / sum
	gw := acc[:N]
	ga := acc[N : N+N*D]
	gA := acc[N+N*D : N+2*N*D]
	for n, e := range ell {
		gamma := c * e
		if gamma == 0 {
			continue
		}
		gw[n] += gamma
		a, invA := p.a[n*D:(n+1)*D], p.invA[n*D:(n+1)*D]
		gan, gAn := ga[n*D:(n+1)*D], gA[n*D:(n+1)*D]
		for d, yd := range y {
			r := (yd - a[d]) * invA[d]
			gan[d] += gamma * r * invEps
			gAn[d] += gamma * (r*r*0.5*invEps - 0.5*invA[d])
		}
	}
	return mx + math.Log(sum)
}
