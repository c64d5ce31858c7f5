package neural

import (
	"fmt"

	"github.com/ebieot/ebieot/internal/vecmath"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// net is the layout of one scalar-output MLP inside the flat parameter
// vector: for each layer a weight matrix sizes[l]×sizes[l+1] (row-major, so
// that a layer is rows·W + b) followed by its bias.
type net struct {
	sizes  []int // input, hidden..., 1
	offset int
}

func newNet(in int, hidden []int, offset int) net {
	sizes := append(append([]int{in}, hidden...), 1)
	return net{sizes: sizes, offset: offset}
}

func (n net) numParams() int {
	total := 0
	for l := 0; l+1 < len(n.sizes); l++ {
		total += n.sizes[l]*n.sizes[l+1] + n.sizes[l+1]
	}
	return total
}

// layer returns the offsets of layer l's weight and bias.
func (n net) layer(l int) (weight, bias int) {
	off := n.offset
	for k := 0; k < l; k++ {
		off += n.sizes[k]*n.sizes[k+1] + n.sizes[k+1]
	}
	return off, off + n.sizes[l]*n.sizes[l+1]
}

// forward evaluates the network on one input row with plain loops. It is
// the reference the graphs are tested against and serves single points.
func (n net) forward(params, in []float64, slope float64) float64 {
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

// paramNode is a graph node whose value aliases a range of the flat
// parameter vector, so in-place optimizer updates are seen by the next run.
type paramNode struct {
	node        *G.Node
	offset, len int
}

// inputNode is a graph input whose value aliases data; callers overwrite data
// between runs.
type inputNode struct {
	node *G.Node
	data []float64
}

func newInput(g *G.ExprGraph, rows, cols int, name string) inputNode {
	data := make([]float64, rows*cols)
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(data))
	return inputNode{node: G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t)), data: data}
}

func paramMatrix(g *G.ExprGraph, params []float64, offset, rows, cols int, name string) paramNode {
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(params[offset:offset+rows*cols]))
	return paramNode{node: G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t)), offset: offset, len: rows * cols}
}

func paramVector(g *G.ExprGraph, params []float64, offset, n int, name string) paramNode {
	t := tensor.New(tensor.WithShape(n), tensor.WithBacking(params[offset:offset+n]))
	return paramNode{node: G.NewVector(g, tensor.Float64, G.WithShape(n), G.WithName(name), G.WithValue(t)), offset: offset, len: n}
}

// buildNet adds the network to g applied to the column-wise concatenation
// of inputs (given as separate nodes: the first layer's weight is split by
// rows instead of concatenating, so ∇ with respect to each input is direct).
//
// A non-nil pre stands for leading input columns that are not among inputs:
// it is a rows×width node holding their product with the first layer's
// leading weight rows plus the bias, and is added in place of the bias.
// The sampler graph uses it for x, which is fixed along a Langevin chain.
func buildNet(g *G.ExprGraph, gm *vecmath.Gemm, params []float64, net net, slope float64, name string, inputs []*G.Node, inCols []int, pre *G.Node) (*G.Node, []paramNode, error) {
	var pnodes []paramNode
	layers := len(net.sizes) - 1
	act := inputs
	for l := 0; l < layers; l++ {
		wOff, bOff := net.layer(l)
		out := net.sizes[l+1]
		var weights []*G.Node
		if l == 0 {
			lead := net.sizes[0]
			for _, c := range inCols {
				lead -= c
			}
			if lead < 0 || (lead > 0) != (pre != nil) {
				return nil, nil, fmt.Errorf("%s: %d input columns for a first layer of %d", name, net.sizes[0]-lead, net.sizes[0])
			}
			wOff += lead * out
			for k := range inputs {
				w := paramMatrix(g, params, wOff, inCols[k], out, fmt.Sprintf("%s.w0.%d", name, k))
				pnodes = append(pnodes, w)
				weights = append(weights, w.node)
				wOff += inCols[k] * out
			}
		} else {
			w := paramMatrix(g, params, wOff, net.sizes[l], out, fmt.Sprintf("%s.w%d", name, l))
			pnodes = append(pnodes, w)
			weights = append(weights, w.node)
		}
		s := slope
		if l == layers-1 {
			s = 1 // linear output
		}
		var z *G.Node
		var err error
		if l == 0 && pre != nil {
			z, err = denseLayer(gm, s, act, weights, pre, true)
		} else {
			b := paramVector(g, params, bOff, out, fmt.Sprintf("%s.b%d", name, l))
			pnodes = append(pnodes, b)
			z, err = denseLayer(gm, s, act, weights, b.node, false)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s layer %d: %w", name, l, err)
		}
		act = []*G.Node{z}
	}
	return act[0], pnodes, nil
}

// samplerGraph computes ∇_y Σ_i (c(x_i,y_i) − f(y_i)) for a fixed number
// of rows; rows are independent, so row i of the result is ε·∇_y E(y_i|x_i).
// x enters only through the cost's first layer, as x·W_x + b (xPre), which
// setX computes once per chain instead of at every Langevin step. y enters
// the two networks through two nodes sharing one buffer, so the two
// gradients come out separately and gradient adds them, instead of a sum
// node that gorgonia's Grad would insert (a gorgonia op that allocates its
// result on every run).
type samplerGraph struct {
	prog         *program
	y, yc        inputNode // yc aliases y's data
	xPre         inputNode
	wx, b0       []float64 // the cost's first-layer weight rows for x and its bias (aliases of the parameters)
	dx           int
	gradC, gradF *G.Node // ∇ of Σc with respect to yc, of −Σf with respect to y
	gm           *vecmath.Gemm
}

func buildSampler(n *Model, rows int) (sg *samplerGraph, err error) {
	defer recoverPanic(&err)
	g := G.NewGraph()
	// One product runner for all the graph's ops: the graph runs on one
	// goroutine at a time, and the packing buffers are shared.
	gm := new(vecmath.Gemm)
	width := n.cost.sizes[1]
	w0, b0 := n.cost.layer(0)
	dx := n.spec.XDim
	sg = &samplerGraph{
		y:    newInput(g, rows, n.spec.YDim, "y"),
		xPre: newInput(g, rows, width, "xpre"),
		wx:   n.params[w0 : w0+dx*width],
		b0:   n.params[b0 : b0+width],
		dx:   dx,
		gm:   gm,
	}
	sg.yc = inputNode{
		node: G.NewMatrix(g, tensor.Float64, G.WithShape(rows, n.spec.YDim), G.WithName("y.cost"),
			G.WithValue(tensor.New(tensor.WithShape(rows, n.spec.YDim), tensor.WithBacking(sg.y.data)))),
		data: sg.y.data,
	}
	c, _, err := buildNet(g, gm, n.params, n.cost, n.spec.LeakySlope, "cost", []*G.Node{sg.yc.node}, []int{n.spec.YDim}, sg.xPre.node)
	if err != nil {
		return nil, err
	}
	f, _, err := buildNet(g, gm, n.params, n.potential, n.spec.LeakySlope, "potential", []*G.Node{sg.y.node}, []int{n.spec.YDim}, nil)
	if err != nil {
		return nil, err
	}
	plus, minus := newInput(g, rows, 1, "plus"), newInput(g, rows, 1, "minus")
	for i := range rows {
		plus.data[i], minus.data[i] = 1, -1
	}
	sc, err := G.ApplyOp(&weightedSumOp{}, c, plus.node)
	if err != nil {
		return nil, err
	}
	sf, err := G.ApplyOp(&weightedSumOp{}, f, minus.node)
	if err != nil {
		return nil, err
	}
	e, err := G.Add(sc, sf)
	if err != nil {
		return nil, err
	}
	grads, err := G.Grad(e, sg.yc.node, sg.y.node)
	if err != nil {
		return nil, fmt.Errorf("differentiate energy: %w", err)
	}
	sg.gradC, sg.gradF = grads[0], grads[1]
	// Compiling only what the gradients need drops the weight gradients (a
	// third of the floating-point work of a sampling step otherwise).
	if sg.prog, err = compile(g, sg.gradC, sg.gradF); err != nil {
		return nil, fmt.Errorf("compile sampler graph: %w", err)
	}
	return sg, nil
}

// setX sets the rows' x for the following gradient calls. It reads the
// parameters, so it must be called again after they change.
func (sg *samplerGraph) setX(x []float64) error {
	width := len(sg.b0)
	rows := len(sg.xPre.data) / width
	if len(x) != rows*sg.dx {
		return fmt.Errorf("sampler graph: %d x values for %d rows of %d", len(x), rows, sg.dx)
	}
	pre := sg.xPre.data
	for i := range rows {
		copy(pre[i*width:(i+1)*width], sg.b0)
	}
	mulAdd(sg.gm, rows, width, sg.dx, x, sg.wx, pre)
	return nil
}

// gradient writes ∇_y E(y_i|x_i) = (1/ε)·∇_y(c − f) into dst for the rows
// of the last setX.
func (sg *samplerGraph) gradient(y, dst []float64, invEps float64) error {
	copy(sg.y.data, y)
	if err := sg.prog.run(); err != nil {
		return fmt.Errorf("run sampler graph: %w", err)
	}
	gc, err := sg.prog.floats(sg.gradC)
	if err != nil {
		return err
	}
	gf, err := sg.prog.floats(sg.gradF)
	if err != nil {
		return err
	}
	if len(gc) != len(dst) || len(gf) != len(dst) {
		return fmt.Errorf("∇y has %d and %d values, want %d", len(gc), len(gf), len(dst))
	}
	for i := range dst {
		dst[i] = invEps * (gc[i] + gf[i])
	}
	return nil
}

// trainGraph computes Σ_i wc_i·c(x_i, y_i) + Σ_j wf_j·f(y_j) and its
// gradient with respect to every parameter, for fixed row counts. The row
// weights carry the signs and 1/(ε·batch) factors of the loss estimate, so
// one graph serves paired, source and target rows alike.
type trainGraph struct {
	prog           *program
	xc, yc, wc     inputNode
	yf, wf         inputNode
	c, f           *G.Node // the per-row network outputs
	params         []paramNode
	grads          G.Nodes // of params, in order
	hasCost, hasPt bool
}

func buildTrain(n *Model, costRows, potRows int) (tg *trainGraph, err error) {
	defer recoverPanic(&err)
	g := G.NewGraph()
	// One product runner for all the graph's ops: the graph runs on one
	// goroutine at a time, and the packing buffers are shared.
	gm := new(vecmath.Gemm)
	tg = &trainGraph{hasCost: costRows > 0, hasPt: potRows > 0}
	var terms G.Nodes
	if tg.hasCost {
		tg.xc = newInput(g, costRows, n.spec.XDim, "xc")
		tg.yc = newInput(g, costRows, n.spec.YDim, "yc")
		tg.wc = newInput(g, costRows, 1, "wc")
		c, pn, err := buildNet(g, gm, n.params, n.cost, n.spec.LeakySlope, "cost", []*G.Node{tg.xc.node, tg.yc.node}, []int{n.spec.XDim, n.spec.YDim}, nil)
		if err != nil {
			return nil, err
		}
		tg.c = c
		tg.params = append(tg.params, pn...)
		t, err := G.ApplyOp(&weightedSumOp{}, c, tg.wc.node)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	if tg.hasPt {
		tg.yf = newInput(g, potRows, n.spec.YDim, "yf")
		tg.wf = newInput(g, potRows, 1, "wf")
		f, pn, err := buildNet(g, gm, n.params, n.potential, n.spec.LeakySlope, "potential", []*G.Node{tg.yf.node}, []int{n.spec.YDim}, nil)
		if err != nil {
			return nil, err
		}
		tg.f = f
		tg.params = append(tg.params, pn...)
		t, err := G.ApplyOp(&weightedSumOp{}, f, tg.wf.node)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
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
	if tg.grads, err = G.Grad(loss, wrt...); err != nil {
		return nil, fmt.Errorf("differentiate loss: %w", err)
	}
	// The gradients do not need the networks' outputs (the output layers
	// are linear), so those are requested too; the weighted sums and the
	// loss themselves are never evaluated.
	outs := append(G.Nodes(nil), tg.grads...)
	for _, out := range []*G.Node{tg.c, tg.f} {
		if out != nil {
			outs = append(outs, out)
		}
	}
	if tg.prog, err = compile(g, outs...); err != nil {
		return nil, fmt.Errorf("compile training graph: %w", err)
	}
	return tg, nil
}

// run evaluates the graph on the inputs already written to its buffers,
// adds the parameter gradient into grad and copies the per-row c and f
// values into cOut and fOut.
func (tg *trainGraph) run(grad, cOut, fOut []float64) error {
	if err := tg.prog.run(); err != nil {
		return fmt.Errorf("run training graph: %w", err)
	}
	for i, p := range tg.params {
		g, err := tg.prog.floats(tg.grads[i])
		if err != nil {
			return err
		}
		if len(g) != p.len {
			return fmt.Errorf("gradient of %v has %d values, want %d", p.node.Name(), len(g), p.len)
		}
		dst := grad[p.offset : p.offset+p.len]
		for j, v := range g {
			dst[j] += v
		}
	}
	for _, out := range []struct {
		node *G.Node
		dst  []float64
	}{{tg.c, cOut}, {tg.f, fOut}} {
		if out.node == nil {
			continue
		}
		v, err := tg.prog.floats(out.node)
		if err != nil {
			return err
		}
		if len(v) != len(out.dst) {
			return fmt.Errorf("network output has %d rows, want %d", len(v), len(out.dst))
		}
		copy(out.dst, v)
	}
	return nil
}

// evalRows is the fixed row count of the energy-evaluation graph; longer
// inputs go through it in chunks, the last one padded.
const evalRows = 256

// evalGraph evaluates c(x_i, y_i) and f(y_i) for evalRows rows.
type evalGraph struct {
	prog *program
	x, y inputNode
	c, f *G.Node
}

func buildEval(n *Model) (eg *evalGraph, err error) {
	defer recoverPanic(&err)
	g := G.NewGraph()
	// One product runner for all the graph's ops: the graph runs on one
	// goroutine at a time, and the packing buffers are shared.
	gm := new(vecmath.Gemm)
	eg = &evalGraph{x: newInput(g, evalRows, n.spec.XDim, "x"), y: newInput(g, evalRows, n.spec.YDim, "y")}
	if eg.c, _, err = buildNet(g, gm, n.params, n.cost, n.spec.LeakySlope, "cost", []*G.Node{eg.x.node, eg.y.node}, []int{n.spec.XDim, n.spec.YDim}, nil); err != nil {
		return nil, err
	}
	if eg.f, _, err = buildNet(g, gm, n.params, n.potential, n.spec.LeakySlope, "potential", []*G.Node{eg.y.node}, []int{n.spec.YDim}, nil); err != nil {
		return nil, err
	}
	if eg.prog, err = compile(g, eg.c, eg.f); err != nil {
		return nil, fmt.Errorf("compile evaluation graph: %w", err)
	}
	return eg, nil
}

// energies writes E(y_i|x_i) for up to evalRows rows into dst.
func (eg *evalGraph) energies(xs, ys, dst []float64, invEps float64) error {
	rows := len(dst)
	dx, dy := len(eg.x.data)/evalRows, len(eg.y.data)/evalRows
	copy(eg.x.data, xs[:rows*dx])
	copy(eg.y.data, ys[:rows*dy])
	clear(eg.x.data[rows*dx:])
	clear(eg.y.data[rows*dy:])
	if err := eg.prog.run(); err != nil {
		return fmt.Errorf("run evaluation graph: %w", err)
	}
	c, err := eg.prog.floats(eg.c)
	if err != nil {
		return err
	}
	f, err := eg.prog.floats(eg.f)
	if err != nil {
		return err
	}
	if len(c) != evalRows || len(f) != evalRows {
		return fmt.Errorf("evaluation graph returned %d and %d rows, want %d", len(c), len(f), evalRows)
	}
	for i := range dst {
		dst[i] = invEps * (c[i] - f[i])
	}
	return nil
}

// recoverPanic turns a panic inside gorgonia's graph construction into an
// error: the graphs are built from validated shapes, so a panic is a bug,
// but it must not take the caller's process down.
func recoverPanic(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("gorgonia: %v", r)
	}
}
