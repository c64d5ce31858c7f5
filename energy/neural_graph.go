package energy

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// nnNet is the layout of one scalar-output MLP inside the flat parameter
// vector: for each layer a weight matrix sizes[l]×sizes[l+1] (row-major, so
// that a layer is rows·W + b) followed by its bias.
type nnNet struct {
	sizes  []int // input, hidden..., 1
	offset int
}

func nnNewNet(in int, hidden []int, offset int) nnNet {
	sizes := append(append([]int{in}, hidden...), 1)
	return nnNet{sizes: sizes, offset: offset}
}

func (n nnNet) numParams() int {
	total := 0
	for l := 0; l+1 < len(n.sizes); l++ {
		total += n.sizes[l]*n.sizes[l+1] + n.sizes[l+1]
	}
	return total
}

// layer returns the offsets of layer l's weight and bias.
func (n nnNet) layer(l int) (weight, bias int) {
	off := n.offset
	for k := 0; k < l; k++ {
		off += n.sizes[k]*n.sizes[k+1] + n.sizes[k+1]
	}
	return off, off + n.sizes[l]*n.sizes[l+1]
}

// forward evaluates the network on one input row with plain loops. It is
// the reference the graphs are tested against and serves single points.
func (n nnNet) forward(params, in []float64, slope float64) float64 {
	act := in
	for l := 0; l+1 < len(n.sizes); l++ {
		w, b := n.layer(l)
		rows, cols := n.sizes[l], n.sizes[l+1]
		next := make([]float64, cols)
		copy(next, params[b:b+cols])
		for i := 0; i < rows; i++ {
			a := act[i]
			wr := params[w+i*cols : w+(i+1)*cols]
			for j, wij := range wr {
				next[j] += a * wij
			}
		}
		if l+2 < len(n.sizes) {
			for j, v := range next {
				if v < 0 {
					next[j] = slope * v
				}
			}
		}
		act = next
	}
	return act[0]
}

// nnParamNode is a graph node whose value aliases a range of the flat
// parameter vector, so in-place optimizer updates are seen by the next run.
type nnParamNode struct {
	node        *G.Node
	offset, len int
}

// nnInput is a graph input whose value aliases data; callers overwrite data
// between runs.
type nnInput struct {
	node *G.Node
	data []float64
}

func nnNewInput(g *G.ExprGraph, rows, cols int, name string) nnInput {
	data := make([]float64, rows*cols)
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))
	return nnInput{node: G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t)), data: data}
}

func nnParamMatrix(g *G.ExprGraph, params []float64, offset, rows, cols int, name string) nnParamNode {
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(params[offset:offset+rows*cols]))
	return nnParamNode{node: G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t)), offset: offset, len: rows * cols}
}

func nnParamVector(g *G.ExprGraph, params []float64, offset, n int, name string) nnParamNode {
	t := tensor.New(tensor.WithShape(n), tensor.WithBacking(params[offset:offset+n]))
	return nnParamNode{node: G.NewVector(g, tensor.Float64, G.WithShape(n), G.WithName(name), G.WithValue(t)), offset: offset, len: n}
}

// nnBuildNet adds the network to g applied to the column-wise concatenation
// of inputs (given as separate nodes: the first layer's weight is split by
// rows instead of concatenating, so ∇ with respect to each input is direct).
func nnBuildNet(g *G.ExprGraph, params []float64, net nnNet, slope float64, name string, inputs []*G.Node, inCols []int) (*G.Node, []nnParamNode, error) {
	var pnodes []nnParamNode
	layers := len(net.sizes) - 1
	act := inputs
	for l := 0; l < layers; l++ {
		wOff, bOff := net.layer(l)
		out := net.sizes[l+1]
		var weights []*G.Node
		if l == 0 {
			for k := range inputs {
				w := nnParamMatrix(g, params, wOff, inCols[k], out, fmt.Sprintf("%s.w0.%d", name, k))
				pnodes = append(pnodes, w)
				weights = append(weights, w.node)
				wOff += inCols[k] * out
			}
		} else {
			w := nnParamMatrix(g, params, wOff, net.sizes[l], out, fmt.Sprintf("%s.w%d", name, l))
			pnodes = append(pnodes, w)
			weights = append(weights, w.node)
		}
		b := nnParamVector(g, params, bOff, out, fmt.Sprintf("%s.b%d", name, l))
		pnodes = append(pnodes, b)
		s := slope
		if l == layers-1 {
			s = 1 // linear output
		}
		z, err := nnDense(s, act, weights, b.node)
		if err != nil {
			return nil, nil, fmt.Errorf("%s layer %d: %w", name, l, err)
		}
		act = []*G.Node{z}
	}
	return act[0], pnodes, nil
}

// nnSamplerGraph computes ∇_y Σ_i (c(x_i,y_i) − f(y_i)) for a fixed number
// of rows; rows are independent, so row i of the result is ε·∇_y E(y_i|x_i).
type nnSamplerGraph struct {
	vm    G.VM
	x, y  nnInput
	gradY *nnCaptureOp
}

func nnBuildSampler(n *Neural, rows int) (sg *nnSamplerGraph, err error) {
	defer nnRecover(&err)
	g := G.NewGraph()
	sg = &nnSamplerGraph{x: nnNewInput(g, rows, n.spec.XDim, "x"), y: nnNewInput(g, rows, n.spec.YDim, "y")}
	c, _, err := nnBuildNet(g, n.params, n.cost, n.spec.LeakySlope, "cost", []*G.Node{sg.x.node, sg.y.node}, []int{n.spec.XDim, n.spec.YDim})
	if err != nil {
		return nil, err
	}
	f, _, err := nnBuildNet(g, n.params, n.potential, n.spec.LeakySlope, "potential", []*G.Node{sg.y.node}, []int{n.spec.YDim})
	if err != nil {
		return nil, err
	}
	plus, minus := nnNewInput(g, rows, 1, "plus"), nnNewInput(g, rows, 1, "minus")
	for i := range rows {
		plus.data[i], minus.data[i] = 1, -1
	}
	sc, err := G.ApplyOp(&nnWeightedSumOp{}, c, plus.node)
	if err != nil {
		return nil, err
	}
	sf, err := G.ApplyOp(&nnWeightedSumOp{}, f, minus.node)
	if err != nil {
		return nil, err
	}
	e, err := G.Add(sc, sf)
	if err != nil {
		return nil, err
	}
	grads, err := G.Grad(e, sg.y.node)
	if err != nil {
		return nil, fmt.Errorf("differentiate energy: %w", err)
	}
	capture, out, err := nnCapture(grads[0])
	if err != nil {
		return nil, err
	}
	sg.gradY = capture
	// Compiling only what the gradient needs drops the weight gradients (a
	// third of the floating-point work of a sampling step otherwise).
	prog, locMap, err := G.CompileFunction(g, G.Nodes{sg.x.node, sg.y.node}, G.Nodes{out})
	if err != nil {
		return nil, fmt.Errorf("compile sampler graph: %w", err)
	}
	sg.vm = G.NewTapeMachine(g, G.WithPrecompiled(prog, locMap))
	return sg, nil
}

// gradient writes ∇_y E(y_i|x_i) = (1/ε)·∇_y(c − f) into dst; the x rows
// must already be in sg.x.data.
func (sg *nnSamplerGraph) gradient(y, dst []float64, invEps float64) error {
	copy(sg.y.data, y)
	defer sg.vm.Reset()
	if err := sg.vm.RunAll(); err != nil {
		return fmt.Errorf("run sampler graph: %w", err)
	}
	g := sg.gradY.seen
	if len(g) != len(dst) {
		return fmt.Errorf("∇y has %d values, want %d", len(g), len(dst))
	}
	for i, v := range g {
		dst[i] = invEps * v
	}
	return nil
}

// nnTrainGraph computes Σ_i wc_i·c(x_i, y_i) + Σ_j wf_j·f(y_j) and its
// gradient with respect to every parameter, for fixed row counts. The row
// weights carry the signs and 1/(ε·batch) factors of the loss estimate, so
// one graph serves paired, source and target rows alike.
type nnTrainGraph struct {
	vm             G.VM
	xc, yc, wc     nnInput
	yf, wf         nnInput
	c, f           *nnWeightedSumOp // hold the per-row outputs
	params         []nnParamNode
	grads          []*nnCaptureOp
	hasCost, hasPt bool
}

func nnBuildTrain(n *Neural, costRows, potRows int) (tg *nnTrainGraph, err error) {
	defer nnRecover(&err)
	g := G.NewGraph()
	tg = &nnTrainGraph{hasCost: costRows > 0, hasPt: potRows > 0}
	var terms, inputs, outputs G.Nodes
	if tg.hasCost {
		tg.xc = nnNewInput(g, costRows, n.spec.XDim, "xc")
		tg.yc = nnNewInput(g, costRows, n.spec.YDim, "yc")
		tg.wc = nnNewInput(g, costRows, 1, "wc")
		c, pn, err := nnBuildNet(g, n.params, n.cost, n.spec.LeakySlope, "cost", []*G.Node{tg.xc.node, tg.yc.node}, []int{n.spec.XDim, n.spec.YDim})
		if err != nil {
			return nil, err
		}
		tg.c = &nnWeightedSumOp{}
		tg.params = append(tg.params, pn...)
		t, err := G.ApplyOp(tg.c, c, tg.wc.node)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		inputs = append(inputs, tg.xc.node, tg.yc.node, tg.wc.node)
	}
	if tg.hasPt {
		tg.yf = nnNewInput(g, potRows, n.spec.YDim, "yf")
		tg.wf = nnNewInput(g, potRows, 1, "wf")
		f, pn, err := nnBuildNet(g, n.params, n.potential, n.spec.LeakySlope, "potential", []*G.Node{tg.yf.node}, []int{n.spec.YDim})
		if err != nil {
			return nil, err
		}
		tg.f = &nnWeightedSumOp{}
		tg.params = append(tg.params, pn...)
		t, err := G.ApplyOp(tg.f, f, tg.wf.node)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		inputs = append(inputs, tg.yf.node, tg.wf.node)
	}
	if len(terms) == 0 {
		return nil, fmt.Errorf("training graph without rows")
	}
	loss := terms[0]
	if len(terms) == 2 {
		if loss, err = G.Add(terms[0], terms[1]); err != nil {
			return nil, err
		}
	}
	wrt := make(G.Nodes, len(tg.params))
	for i, p := range tg.params {
		wrt[i] = p.node
	}
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		return nil, fmt.Errorf("differentiate loss: %w", err)
	}
	for _, gr := range grads {
		capture, out, err := nnCapture(gr)
		if err != nil {
			return nil, err
		}
		tg.grads = append(tg.grads, capture)
		outputs = append(outputs, out)
	}
	// The loss itself is an output so that the weighted sums, which record
	// the per-row network values, run.
	outputs = append(outputs, loss)
	prog, locMap, err := G.CompileFunction(g, inputs, outputs)
	if err != nil {
		return nil, fmt.Errorf("compile training graph: %w", err)
	}
	tg.vm = G.NewTapeMachine(g, G.WithPrecompiled(prog, locMap))
	return tg, nil
}

// run evaluates the graph on the inputs already written to its buffers,
// adds the parameter gradient into grad and copies the per-row c and f
// values into cOut and fOut.
func (tg *nnTrainGraph) run(grad, cOut, fOut []float64) error {
	defer tg.vm.Reset()
	if err := tg.vm.RunAll(); err != nil {
		return fmt.Errorf("run training graph: %w", err)
	}
	for i, p := range tg.params {
		g := tg.grads[i].seen
		if len(g) != p.len {
			return fmt.Errorf("gradient of %v has %d values, want %d", p.node.Name(), len(g), p.len)
		}
		dst := grad[p.offset : p.offset+p.len]
		for j, v := range g {
			dst[j] += v
		}
	}
	for _, out := range []struct {
		op  *nnWeightedSumOp
		dst []float64
	}{{tg.c, cOut}, {tg.f, fOut}} {
		if out.op == nil {
			continue
		}
		if len(out.op.seen) != len(out.dst) {
			return fmt.Errorf("network output has %d rows, want %d", len(out.op.seen), len(out.dst))
		}
		copy(out.dst, out.op.seen)
	}
	return nil
}

// nnEvalRows is the fixed row count of the energy-evaluation graph; longer
// inputs go through it in chunks, the last one padded.
const nnEvalRows = 256

// nnEvalGraph evaluates c(x_i, y_i) and f(y_i) for nnEvalRows rows.
type nnEvalGraph struct {
	vm   G.VM
	x, y nnInput
	c, f *nnCaptureOp
}

func nnBuildEval(n *Neural) (eg *nnEvalGraph, err error) {
	defer nnRecover(&err)
	g := G.NewGraph()
	eg = &nnEvalGraph{x: nnNewInput(g, nnEvalRows, n.spec.XDim, "x"), y: nnNewInput(g, nnEvalRows, n.spec.YDim, "y")}
	c, _, err := nnBuildNet(g, n.params, n.cost, n.spec.LeakySlope, "cost", []*G.Node{eg.x.node, eg.y.node}, []int{n.spec.XDim, n.spec.YDim})
	if err != nil {
		return nil, err
	}
	f, _, err := nnBuildNet(g, n.params, n.potential, n.spec.LeakySlope, "potential", []*G.Node{eg.y.node}, []int{n.spec.YDim})
	if err != nil {
		return nil, err
	}
	var outs G.Nodes
	if eg.c, c, err = nnCapture(c); err != nil {
		return nil, err
	}
	if eg.f, f, err = nnCapture(f); err != nil {
		return nil, err
	}
	outs = append(outs, c, f)
	prog, locMap, err := G.CompileFunction(g, G.Nodes{eg.x.node, eg.y.node}, outs)
	if err != nil {
		return nil, fmt.Errorf("compile evaluation graph: %w", err)
	}
	eg.vm = G.NewTapeMachine(g, G.WithPrecompiled(prog, locMap))
	return eg, nil
}

// energies writes E(y_i|x_i) for up to nnEvalRows rows into dst.
func (eg *nnEvalGraph) energies(xs, ys, dst []float64, invEps float64) error {
	rows := len(dst)
	dx, dy := len(eg.x.data)/nnEvalRows, len(eg.y.data)/nnEvalRows
	copy(eg.x.data, xs[:rows*dx])
	copy(eg.y.data, ys[:rows*dy])
	clear(eg.x.data[rows*dx:])
	clear(eg.y.data[rows*dy:])
	defer eg.vm.Reset()
	if err := eg.vm.RunAll(); err != nil {
		return fmt.Errorf("run evaluation graph: %w", err)
	}
	if len(eg.c.seen) != nnEvalRows || len(eg.f.seen) != nnEvalRows {
		return fmt.Errorf("evaluation graph returned %d and %d rows, want %d", len(eg.c.seen), len(eg.f.seen), nnEvalRows)
	}
	for i := range dst {
		dst[i] = invEps * (eg.c.seen[i] - eg.f.seen[i])
	}
	return nil
}

// nnRecover turns a panic inside gorgonia's graph construction into an
// error: the graphs are built from validated shapes, so a panic is a bug,
// but it must not take the caller's process down.
func nnRecover(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("gorgonia: %v", r)
	}
}
