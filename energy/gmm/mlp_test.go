package gmm

import (
	"math"
	"testing"

	"github.com/ebieot/ebieot/energy"
)

// TestMLPForwardAndBackward checks the forward pass against a direct
// evaluation of the layers and the backward pass against central finite
// differences of Σ dOut·out, for a network with two hidden layers and
// several rows (so that the batched products and the bias sums are used).
func TestMLPForwardAndBackward(t *testing.T) {
	const rows, offset = 5, 3
	net := newMLP(3, []int{4, 5}, 2, offset, gmmLeakySlope)
	rng := testRNG(71)
	params := randn(rng, offset+net.numParams()+2, 0.7)
	x := randn(rng, rows*3, 1)
	dOut := randn(rng, rows*2, 1)

	direct := func(row []float64) []float64 {
		act := row
		for l := 0; l < net.layers(); l++ {
			wOff, bOff := net.layerOffsets(l)
			in, out := net.sizes[l], net.sizes[l+1]
			next := make([]float64, out)
			for j := 0; j < out; j++ {
				s := params[bOff+j]
				for i := 0; i < in; i++ {
					s += params[wOff+j*in+i] * act[i]
				}
				if l < net.layers()-1 && s < 0 {
					s *= gmmLeakySlope
				}
				next[j] = s
			}
			act = next
		}
		return act
	}
	var tape mlpTape
	out := net.forward(params, x, rows, &tape)
	for r := 0; r < rows; r++ {
		want := direct(x[r*3 : (r+1)*3])
		for j, w := range want {
			if math.Abs(out[r*2+j]-w) > 1e-14 {
				t.Fatalf("row %d output %d: %v, direct %v", r, j, out[r*2+j], w)
			}
		}
	}

	grad := make([]float64, len(params))
	net.backward(params, &tape, dOut, grad)
	objective := func() float64 {
		s := 0.0
		for r := 0; r < rows; r++ {
			for j, v := range direct(x[r*3 : (r+1)*3]) {
				s += dOut[r*2+j] * v
			}
		}
		return s
	}
	const h = 1e-5
	for i := range params {
		orig := params[i]
		params[i] = orig + h
		up := objective()
		params[i] = orig - h
		down := objective()
		params[i] = orig
		fd := (up - down) / (2 * h)
		inNet := i >= offset && i < offset+net.numParams()
		if !inNet && grad[i] != 0 {
			t.Errorf("backward wrote outside the network at %d", i)
		}
		if math.Abs(fd-grad[i]) > 1e-6*math.Max(math.Abs(fd), 1e-3) {
			t.Errorf("parameter %d: backward %.10g, finite difference %.10g", i, grad[i], fd)
		}
	}
	blocks := net.blocks("b", energy.RoleCost)
	if len(blocks) != 6 || blocks[0].Offset != offset || blocks[5].Name != "b.out.bias" ||
		blocks[5].Offset+blocks[5].Len != offset+net.numParams() {
		t.Errorf("blocks %+v", blocks)
	}
}
