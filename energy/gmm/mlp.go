package gmm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebieot/ebieot/energy"
	"github.com/ebieot/ebieot/internal/vecmath"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gmmLeakySlope is the negative slope of the LeakyReLU between the hidden
// layers of the GMM's x-networks. Leaky rather than plain ReLU so that no
// unit of a small head can die for good; 0.2 matches the neural model.
const gmmLeakySlope = 0.2

// mlp is a fully connected network whose parameters live in a model's flat
// vector starting at offset: for each layer l a weight matrix of
// sizes[l+1] × sizes[l] (row-major, the PyTorch nn.Linear layout) followed
// by its bias. Hidden layers use LeakyReLU; the output layer is linear. With
// no hidden layer it is a plain affine map.
type mlp struct {
	sizes  []int // input, hidden..., output
	offset int
	slope  float64
	// centerStride > 0 makes the output bias zero-mean over groups: output
	// j = g·centerStride + d uses bias_j − mean_g bias_{g·centerStride+d}.
	// The GMM's b head needs it: shifting every tilt b_m by the same δ
	// (and the potential's means by A_n δ) leaves π(y|x) unchanged, so
	// without it the empirical loss is linear along that direction and has
	// no minimum (see GMM).
	centerStride int
}

func newMLP(in int, hidden []int, out, offset int, slope float64) mlp {
	sizes := make([]int, 0, len(hidden)+2)
	sizes = append(append(append(sizes, in), hidden...), out)
	return mlp{sizes: sizes, offset: offset, slope: slope}
}

func (n mlp) layers() int { return len(n.sizes) - 1 }
func (n mlp) in() int     { return n.sizes[0] }
func (n mlp) out() int    { return n.sizes[len(n.sizes)-1] }

// numParams is the length of the network's range of the flat vector.
func (n mlp) numParams() int {
	total := 0
	for l := 0; l < n.layers(); l++ {
		total += n.sizes[l+1]*n.sizes[l] + n.sizes[l+1]
	}
	return total
}

// layerOffsets returns where layer l's weight and bias start in the flat
// vector.
func (n mlp) layerOffsets(l int) (weight, bias int) {
	off := n.offset
	for k := 0; k < l; k++ {
		off += n.sizes[k+1]*n.sizes[k] + n.sizes[k+1]
	}
	return off, off + n.sizes[l+1]*n.sizes[l]
}

// blocks names the weight and bias of every layer: prefix.hidden<l>.weight,
// …, prefix.out.weight, prefix.out.bias.
func (n mlp) blocks(prefix string, role energy.Role) []energy.ParamBlock {
	var out []energy.ParamBlock
	for l := 0; l < n.layers(); l++ {
		name := fmt.Sprintf("%s.hidden%d", prefix, l)
		if l == n.layers()-1 {
			name = prefix + ".out"
		}
		w, b := n.layerOffsets(l)
		rows, cols := n.sizes[l+1], n.sizes[l]
		out = append(out,
			energy.ParamBlock{Name: name + ".weight", Role: role, Offset: w, Len: rows * cols, Rows: rows, Cols: cols},
			energy.ParamBlock{Name: name + ".bias", Role: role, Offset: b, Len: rows})
	}
	return out
}

// init draws the weights: hidden layers He-normal for LeakyReLU,
// N(0, 2/((1+slope²)·fan_in)), so activations keep their scale through the
// depth; the output layer N(0, outStd²) so that the head starts near zero.
// Biases start at zero.
func (n mlp) init(params []float64, outStd float64, rng *rand.Rand) {
	for l := 0; l < n.layers(); l++ {
		w, b := n.layerOffsets(l)
		fanIn, fanOut := n.sizes[l], n.sizes[l+1]
		std := outStd
		if l < n.layers()-1 {
			std = math.Sqrt(2 / ((1 + n.slope*n.slope) * float64(fanIn)))
		}
		for i := w; i < w+fanIn*fanOut; i++ {
			params[i] = std * rng.NormFloat64()
		}
		clear(params[b : b+fanOut])
	}
}

// mlpTape holds the activations of one forward pass over a batch of rows,
// kept for the backward pass. acts[0] aliases the input; acts[l] for l ≥ 1
// is the output of layer l−1 (after the LeakyReLU for hidden layers). The
// buffers grow as needed and are reused across passes.
type mlpTape struct {
	rows  int
	bias  []float64 // centred output bias, or its gradient (see centerStride)
	acts  [][]float64
	grads [][]float64 // backward scratch, one per hidden activation
	// gemm runs the wide products (internal/kernels' DGEMM unless a program
	// installed another BLAS) and keeps its packing buffers between passes.
	gemm vecmath.Gemm
}

func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// forward runs the network on rows inputs x (rows × in) and returns the
// output (rows × out), which aliases the tape.
func (n mlp) forward(params, x []float64, rows int, t *mlpTape) []float64 {
	L := n.layers()
	if len(t.acts) != L+1 {
		t.acts = make([][]float64, L+1)
		t.grads = make([][]float64, L+1)
	}
	t.rows = rows
	t.acts[0] = x[:rows*n.in()]
	impl := blas64.Implementation()
	for l := 0; l < L; l++ {
		in, out := n.sizes[l], n.sizes[l+1]
		wOff, bOff := n.layerOffsets(l)
		w, bias := params[wOff:wOff+out*in], params[bOff:bOff+out]
		if l == L-1 && n.centerStride > 0 {
			t.bias = grow(t.bias, out)
			copy(t.bias, bias)
			centerGroups(t.bias, n.centerStride)
			bias = t.bias
		}
		dst := grow(t.acts[l+1], rows*out)
		t.acts[l+1] = dst
		for r := 0; r < rows; r++ {
			copy(dst[r*out:(r+1)*out], bias)
		}
		switch {
		case rows == 0:
		case in <= smallFanIn:
			addInputTimesWeightsT(dst, t.acts[l], w, rows, in, out)
		default:
			t.gemm.Dgemm(impl, blas.NoTrans, blas.Trans, rows, out, in, 1, t.acts[l], in, w, in, 1, dst, out)
		}
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

// backward adds to grad (laid out like params) the gradient of Σ dOut·output
// for the pass recorded on t. dOut (rows × out) is left unchanged.
func (n mlp) backward(params []float64, t *mlpTape, dOut, grad []float64) {
	rows := t.rows
	if rows == 0 {
		return
	}
	impl := blas64.Implementation()
	upstream := dOut
	for l := n.layers() - 1; l >= 0; l-- {
		in, out := n.sizes[l], n.sizes[l+1]
		wOff, bOff := n.layerOffsets(l)
		// ∂/∂W = upstreamᵀ · input; ∂/∂bias = column sums of upstream.
		if in <= smallFanIn {
			addUpstreamTTimesInput(grad[wOff:wOff+out*in], upstream, t.acts[l], rows, in, out)
		} else {
			t.gemm.Dgemm(impl, blas.Trans, blas.NoTrans, out, in, rows, 1, upstream, out, t.acts[l], in, 1, grad[wOff:wOff+out*in], in)
		}
		gb := grad[bOff : bOff+out]
		if l == n.layers()-1 && n.centerStride > 0 {
			// The centred bias is a projection of the raw one, and the
			// projection is symmetric: its gradient is the projected sum.
			t.bias = grow(t.bias, out)
			clear(t.bias)
			for r := 0; r < rows; r++ {
				for j, v := range upstream[r*out : (r+1)*out] {
					t.bias[j] += v
				}
			}
			centerGroups(t.bias, n.centerStride)
			for j, v := range t.bias {
				gb[j] += v
			}
		} else {
			for r := 0; r < rows; r++ {
				for j, v := range upstream[r*out : (r+1)*out] {
					gb[j] += v
				}
			}
		}
		if l == 0 {
			break
		}
		// Propagate to the hidden activation below and through its
		// LeakyReLU: the sign of the activation is the sign of its input.
		down := grow(t.grads[l], rows*in)
		t.grads[l] = down
		t.gemm.Dgemm(impl, blas.NoTrans, blas.NoTrans, rows, in, out, 1, upstream, out, params[wOff:wOff+out*in], in, 0, down, in)
		for i, a := range t.acts[l] {
			if a < 0 {
				down[i] *= n.slope
			}
		}
		upstream = down
	}
}

// centerGroups subtracts from v[g·stride+d] the mean over g, for every d.
func centerGroups(v []float64, stride int) {
	groups := len(v) / stride
	for d := 0; d < stride; d++ {
		mean := 0.0
		for g := 0; g < groups; g++ {
			mean += v[g*stride+d]
		}
		mean /= float64(groups)
		for g := 0; g < groups; g++ {
			v[g*stride+d] -= mean
		}
	}
}

// smallFanIn is the input width up to which a layer's products are plain
// loops: with two or three inputs (the Swiss roll's x) a GEMM call spends
// most of its time packing and dispatching, ten times the arithmetic.
const smallFanIn = 4

// addInputTimesWeightsT adds x·wᵀ to dst: x is rows × in, w is out × in,
// dst is rows × out.
func addInputTimesWeightsT(dst, x, w []float64, rows, in, out int) {
	w = w[:out*in]
	for r := 0; r < rows; r++ {
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

// addUpstreamTTimesInput adds upᵀ·x to dw: up is rows × out, x is
// rows × in, dw is out × in.
func addUpstreamTTimesInput(dw, up, x []float64, rows, in, out int) {
	dw = dw[:out*in]
	for r := 0; r < rows; r++ {
		xr := x[r*in : (r+1)*in]
		for j, u := range up[r*out : (r+1)*out] {
			dj := dw[j*in : (j+1)*in]
			for k, v := range xr {
				dj[k] += u * v
			}
		}
	}
}
