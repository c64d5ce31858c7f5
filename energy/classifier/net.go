package classifier

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// scoreNet is the cost network s(x) ∈ R^K, c(x,k) = −s_k(x): a fully
// connected network whose parameters live in the model's flat vector from
// offset, layer l holding a sizes[l+1] × sizes[l] weight matrix (row-major,
// the PyTorch nn.Linear layout) followed by its bias, except the output
// layer, which has no bias (the class intercepts live in the potential f,
// docs/method.md §9.6 gauge (ii)). Hidden layers use LeakyReLU.
//
// The output weight matrix is centred over the classes: the network uses
// W_k − mean_j W_j, so that Σ_k s_k(x) = 0 for every x. Adding one function
// h(x) to every s_k leaves π unchanged, and the empirical loss is linear
// along such a shift (gauge (iii)); the centring removes it without losing
// any conditional, since the softmax is blind to the removed part.
type scoreNet struct {
	sizes  []int // input, hidden..., K
	offset int
	slope  float64
}

func newScoreNet(in int, hidden []int, classes, offset int, slope float64) scoreNet {
	sizes := make([]int, 0, len(hidden)+2)
	sizes = append(append(append(sizes, in), hidden...), classes)
	return scoreNet{sizes: sizes, offset: offset, slope: slope}
}

func (n scoreNet) layers() int { return len(n.sizes) - 1 }
func (n scoreNet) in() int     { return n.sizes[0] }
func (n scoreNet) out() int    { return n.sizes[len(n.sizes)-1] }

// layerLen is the number of parameters of layer l (weights and, for a
// hidden layer, bias).
func (n scoreNet) layerLen(l int) int {
	k := n.sizes[l+1] * n.sizes[l]
	if l < n.layers()-1 {
		k += n.sizes[l+1]
	}
	return k
}

func (n scoreNet) numParams() int {
	total := 0
	for l := range n.layers() {
		total += n.layerLen(l)
	}
	return total
}

// layerOffsets returns where layer l's weight and bias start in the flat
// vector (the output layer's bias offset is where its weights end).
func (n scoreNet) layerOffsets(l int) (weight, bias int) {
	off := n.offset
	for k := range l {
		off += n.layerLen(k)
	}
	return off, off + n.sizes[l+1]*n.sizes[l]
}

// blocks names every layer's weight (with its matrix shape) and bias:
// cost.hidden<l>.weight, cost.hidden<l>.bias, …, cost.out.weight.
func (n scoreNet) blocks() []energy.ParamBlock {
	var out []energy.ParamBlock
	for l := range n.layers() {
		w, b := n.layerOffsets(l)
		rows, cols := n.sizes[l+1], n.sizes[l]
		if l == n.layers()-1 {
			out = append(out, energy.ParamBlock{Name: "cost.out.weight", Role: energy.RoleCost, Offset: w, Len: rows * cols, Rows: rows, Cols: cols})
			break
		}
		name := fmt.Sprintf("cost.hidden%d", l)
		out = append(out,
			energy.ParamBlock{Name: name + ".weight", Role: energy.RoleCost, Offset: w, Len: rows * cols, Rows: rows, Cols: cols},
			energy.ParamBlock{Name: name + ".bias", Role: energy.RoleCost, Offset: b, Len: rows})
	}
	return out
}

// init draws the hidden layers He-normal for LeakyReLU,
// N(0, 2/((1+slope²)·fan_in)), with zero biases, and sets the output
// weights to zero, so that the cost starts at exactly 0 and π at the prior.
// The hidden layers still learn from the second step on: the output layer's
// gradient is not zero, and through it theirs is not either.
func (n scoreNet) init(params []float64, rng *rand.Rand) {
	for l := range n.layers() {
		w, b := n.layerOffsets(l)
		fanIn, fanOut := n.sizes[l], n.sizes[l+1]
		if l == n.layers()-1 {
			clear(params[w : w+fanIn*fanOut])
			break
		}
		std := math.Sqrt(2 / ((1 + n.slope*n.slope) * float64(fanIn)))
		for i := w; i < w+fanIn*fanOut; i++ {
			params[i] = std * rng.NormFloat64()
		}
		clear(params[b : b+fanOut])
	}
}

// centredOut writes the centred output weights W_k − mean_j W_j into dst
// (K × H).
func (n scoreNet) centredOut(params, dst []float64) {
	w, _ := n.layerOffsets(n.layers() - 1)
	K, H := n.out(), n.sizes[len(n.sizes)-2]
	copy(dst, params[w:w+K*H])
	centreRows(dst, K, H)
}

// centreRows subtracts from every row of the K × H matrix v its mean row.
func centreRows(v []float64, K, H int) {
	for d := range H {
		mean := 0.0
		for k := range K {
			mean += v[k*H+d]
		}
		mean /= float64(K)
		for k := range K {
			v[k*H+d] -= mean
		}
	}
}

// tape holds the activations of one forward pass over a block of rows for
// the backward pass; acts[0] aliases the input, acts[l] (l ≥ 1) is the
// output of layer l−1 after its LeakyReLU. Buffers are reused across passes.
type tape struct {
	rows  int
	acts  [][]float64
	grads [][]float64
}

func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// forward runs the network on rows inputs x (rows × in) with the centred
// output weights wOut (K × H) and returns the scores (rows × K), which alias
// the tape.
func (n scoreNet) forward(params, wOut, x []float64, rows int, t *tape) []float64 {
	L := n.layers()
	if len(t.acts) != L+1 {
		t.acts = make([][]float64, L+1)
		t.grads = make([][]float64, L+1)
	}
	t.rows = rows
	t.acts[0] = x[:rows*n.in()]
	for l := range L {
		in, out := n.sizes[l], n.sizes[l+1]
		wOff, bOff := n.layerOffsets(l)
		dst := grow(t.acts[l+1], rows*out)
		t.acts[l+1] = dst
		w := params[wOff : wOff+out*in]
		if l == L-1 {
			w = wOut
			clear(dst)
		} else {
			bias := params[bOff : bOff+out]
			for r := range rows {
				copy(dst[r*out:(r+1)*out], bias)
			}
		}
		addXWt(dst, t.acts[l], w, rows, in, out)
		if l < L-1 {
			for i, v := range dst {
				if v < 0 {
					dst[i] = n.slope * v
				}
			}
		}
	}
	return t.acts[L]
}

// backward adds to grad (laid out like params) the gradient of Σ dOut·s for
// the pass recorded on t. The output weights' gradient is centred over the
// classes: the centring is a symmetric projection, so the gradient of the
// raw weights is the projected gradient of the centred ones.
func (n scoreNet) backward(wOut []float64, params []float64, t *tape, dOut, grad []float64) {
	rows := t.rows
	if rows == 0 {
		return
	}
	upstream := dOut
	for l := n.layers() - 1; l >= 0; l-- {
		in, out := n.sizes[l], n.sizes[l+1]
		wOff, bOff := n.layerOffsets(l)
		gw := grad[wOff : wOff+out*in]
		w := params[wOff : wOff+out*in]
		if l == n.layers()-1 {
			// gw += centre(upstreamᵀ·input): accumulate into scratch first.
			sc := grow(t.grads[0], out*in)
			t.grads[0] = sc
			clear(sc)
			addUtX(sc, upstream, t.acts[l], rows, in, out)
			centreRows(sc, out, in)
			for i, v := range sc {
				gw[i] += v
			}
			w = wOut
		} else {
			addUtX(gw, upstream, t.acts[l], rows, in, out)
			gb := grad[bOff : bOff+out]
			for r := range rows {
				for j, v := range upstream[r*out : (r+1)*out] {
					gb[j] += v
				}
			}
		}
		if l == 0 {
			break
		}
		down := grow(t.grads[l], rows*in)
		t.grads[l] = down
		blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, rows, in, out, 1, upstream, out, w, in, 0, down, in)
		for i, a := range t.acts[l] {
			if a < 0 {
				down[i] *= n.slope
			}
		}
		upstream = down
	}
}

// smallFanIn is the width below which the products are plain loops rather
// than GEMM calls, whose packing costs more than the arithmetic.
const smallFanIn = 4

// addXWt adds x·wᵀ to dst: x is rows × in, w is out × in, dst rows × out.
func addXWt(dst, x, w []float64, rows, in, out int) {
	if rows == 0 {
		return
	}
	if in > smallFanIn {
		blas64.Implementation().Dgemm(blas.NoTrans, blas.Trans, rows, out, in, 1, x, in, w, in, 1, dst, out)
		return
	}
	for r := range rows {
		xr := x[r*in : (r+1)*in]
		dr := dst[r*out : (r+1)*out]
		for j := range dr {
			wj := w[j*in : (j+1)*in]
			s := dr[j]
			for k, v := range xr {
				s += v * wj[k]
			}
			dr[j] = s
		}
	}
}

// addUtX adds upᵀ·x to dw: up is rows × out, x is rows × in, dw out × in.
func addUtX(dw, up, x []float64, rows, in, out int) {
	if in > smallFanIn {
		blas64.Implementation().Dgemm(blas.Trans, blas.NoTrans, out, in, rows, 1, up, out, x, in, 1, dw, in)
		return
	}
	for r := range rows {
		xr := x[r*in : (r+1)*in]
		for j, u := range up[r*out : (r+1)*out] {
			dj := dw[j*in : (j+1)*in]
			for k, v := range xr {
				dj[k] += u * v
			}
		}
	}
}
