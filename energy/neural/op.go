package neural

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"github.com/ebieot/ebieot/internal/vecmath"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The networks are built from a few fused gorgonia ops instead of
// gorgonia's MatMul/BroadcastAdd/LeakyRelu. With 100 Langevin passes per
// training step the element-wise work between the matrix products, and the
// fresh zeroed tensor gorgonia allocates for every intermediate on every
// run, cost more than the products themselves; the ops below do one pass
// per layer and write into a buffer each node keeps across runs (every run
// overwrites it completely). gorgonia builds the graphs and differentiates
// them symbolically through the ops' SymDiff; program (exec.go)
// prunes them to the requested outputs and runs them.
//
// Matrix products go to internal/kernels' DGEMM while gorgonia's BLAS
// (G.WhichBLAS) is gonum's pure-Go default, and to that BLAS once a
// program installs another, so the openblas build tag reaches them; the
// thin ones of the input and output layers have special cases (gemm.go).

var (
	matrixType = G.TensorType{Dims: 2, Of: tensor.Float64}
	vectorType = G.TensorType{Dims: 1, Of: tensor.Float64}
)

// outBuffer is an op's output kept across runs.
type outBuffer struct{ t *tensor.Dense }

// get returns a rows×cols (cols 0: a vector of rows) tensor and its data,
// reallocating only when the shape changes.
func (b *outBuffer) get(shape ...int) (*tensor.Dense, []float64) {
	if b.t == nil || !b.t.Shape().Eq(tensor.Shape(shape)) {
		size := 1
		for _, s := range shape {
			size *= s
		}
		b.t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float64, size)))
	}
	return b.t, b.t.Float64s()
}

// denseOp computes act(Σ_k A_k·W_k + b) for inputs A_1..A_K, W_1..W_K, b:
// a dense layer whose input is the column-wise concatenation of the A_k
// (the cost network's [x, y] without materialising the concatenation, so
// ∇_y is direct). act is the LeakyReLU of the given slope; slope 1 is the
// identity (the linear output layer). With rowBias, b is a rows×out matrix
// added row by row: the part of the layer that stays constant along a
// Langevin chain (x's product and the bias), computed once per chain. It
// is not differentiated.
//
// gm runs the layer's products and those of its gradient (the matMulOps
// SymDiff makes). One is shared by all the ops of a graph, which one
// goroutine runs at a time; it is not part of the op's identity (String,
// Hashcode).
type denseOp struct {
	pureOp
	parts   int
	slope   float64
	rowBias bool
	out     outBuffer
	gm      *vecmath.Gemm
}

func denseLayer(gm *vecmath.Gemm, slope float64, inputs, weights []*G.Node, bias *G.Node, rowBias bool) (*G.Node, error) {
	if len(inputs) != len(weights) || len(inputs) == 0 {
		return nil, fmt.Errorf("dense layer: %d inputs and %d weights", len(inputs), len(weights))
	}
	args := append(append(append([]*G.Node(nil), inputs...), weights...), bias)
	return G.ApplyOp(&denseOp{parts: len(inputs), slope: slope, rowBias: rowBias, gm: gm}, args...)
}

func (op *denseOp) Arity() int { return 2*op.parts + 1 }

func (op *denseOp) Type() hm.Type {
	ts := make([]hm.Type, 0, 2*op.parts+2)
	for range 2 * op.parts {
		ts = append(ts, matrixType)
	}
	bias := vectorType
	if op.rowBias {
		bias = matrixType
	}
	return hm.NewFnType(append(ts, bias, matrixType)...)
}

func (op *denseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op, len(in), op.Arity()); err != nil {
		return nil, err
	}
	a, ok1 := in[0].(tensor.Shape)
	w, ok2 := in[op.parts].(tensor.Shape)
	if !ok1 || !ok2 || len(a) != 2 || len(w) != 2 {
		return nil, fmt.Errorf("%v: inputs are not matrices", op)
	}
	return tensor.Shape{a[0], w[1]}, nil
}

func (op *denseOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op, len(in), op.Arity()); err != nil {
		return nil, err
	}
	b, err := floatsOf(in[2*op.parts])
	if err != nil {
		return nil, fmt.Errorf("%v: bias: %w", op, err)
	}
	rows, cols := 0, len(b)
	if s := in[0].Shape(); len(s) == 2 {
		rows = s[0]
	}
	if ws := in[op.parts].Shape(); len(ws) == 2 {
		cols = ws[1]
	}
	t, out := op.out.get(rows, cols)
	if op.rowBias {
		if len(b) != rows*cols {
			return nil, fmt.Errorf("%v: row bias has %d values, want %d×%d", op, len(b), rows, cols)
		}
		copy(out, b)
	} else {
		if len(b) != cols {
			return nil, fmt.Errorf("%v: bias has %d values, want %d", op, len(b), cols)
		}
		for i := 0; i < rows; i++ {
			copy(out[i*cols:(i+1)*cols], b)
		}
	}
	for k := 0; k < op.parts; k++ {
		a, err := floatsOf(in[k])
		if err != nil {
			return nil, fmt.Errorf("%v: input %d: %w", op, k, err)
		}
		w, err := floatsOf(in[op.parts+k])
		if err != nil {
			return nil, fmt.Errorf("%v: weight %d: %w", op, k, err)
		}
		as, ws := in[k].Shape(), in[op.parts+k].Shape()
		if len(as) != 2 || len(ws) != 2 || as[0] != rows || as[1] != ws[0] || ws[1] != cols {
			return nil, fmt.Errorf("%v: shapes %v·%v + (%d) do not match", op, as, ws, cols)
		}
		mulAdd(op.gm, rows, cols, as[1], a, w, out)
	}
	if op.slope != 1 {
		slope := op.slope
		for i, v := range out {
			// max(v, αv) is LeakyReLU for 0 < α ≤ 1 and compiles without
			// a branch; the signs of pre-activations are unpredictable.
			out[i] = max(v, slope*v)
		}
	}
	return t, nil
}

func (op *denseOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	for i := range d {
		d[i] = true
	}
	if op.rowBias && inputs > 0 {
		d[inputs-1] = false
	}
	return d
}

func (op *denseOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op, len(inputs), op.Arity()); err != nil {
		return nil, err
	}
	dz := grad
	if op.slope != 1 {
		var err error
		if dz, err = G.ApplyOp(&actGradOp{slope: op.slope}, output, grad); err != nil {
			return nil, fmt.Errorf("%v: activation gradient: %w", op, err)
		}
	}
	grads := make(G.Nodes, op.Arity())
	for k := 0; k < op.parts; k++ {
		a, w := inputs[k], inputs[op.parts+k]
		var err error
		if grads[k], err = G.ApplyOp(&matMulOp{transB: true, gm: op.gm}, dz, w); err != nil {
			return nil, fmt.Errorf("%v: input gradient: %w", op, err)
		}
		if grads[op.parts+k], err = G.ApplyOp(&matMulOp{transA: true, gm: op.gm}, a, dz); err != nil {
			return nil, fmt.Errorf("%v: weight gradient: %w", op, err)
		}
	}
	if !op.rowBias {
		var err error
		if grads[2*op.parts], err = G.ApplyOp(&colSumOp{}, dz); err != nil {
			return nil, fmt.Errorf("%v: bias gradient: %w", op, err)
		}
	}
	return grads, nil
}

func (op *denseOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%v", op) }
func (op *denseOp) Hashcode() uint32      { return opHash(op) }
func (op *denseOp) String() string {
	return fmt.Sprintf("denseLayer{%d, %v, %v}", op.parts, op.slope, op.rowBias)
}

// actGradOp maps (out, g) to g ⊙ act'(out); the LeakyReLU's derivative
// can be read from its output because the slope is positive.
type actGradOp struct {
	pureOp
	slope float64
	out   outBuffer
}

func (op *actGradOp) Arity() int { return 2 }

func (op *actGradOp) Type() hm.Type {
	return hm.NewFnType(matrixType, matrixType, matrixType)
}

func (op *actGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := matrixInput(op, in, 2)
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}

func (op *actGradOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op, len(in), 2); err != nil {
		return nil, err
	}
	act, err := floatsOf(in[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	g, err := floatsOf(in[1])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	s := in[0].Shape()
	if len(act) != len(g) || len(s) != 2 {
		return nil, fmt.Errorf("%v: %d activations but %d gradients", op, len(act), len(g))
	}
	t, out := op.out.get(s[0], s[1])
	out = out[:len(act)]
	g = g[:len(act)]
	drop := 1 - op.slope
	for i, a := range act {
		// Branch-free: the factor is 1 − (1 − α)·signbit(a).
		neg := float64(math.Float64bits(a) >> 63)
		out[i] = g[i] * (1 - drop*neg)
	}
	return t, nil
}

func (op *actGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%v", op) }
func (op *actGradOp) Hashcode() uint32      { return opHash(op) }
func (op *actGradOp) String() string        { return fmt.Sprintf("actGrad{%v}", op.slope) }

// matMulOp is op(A)·op(B) with op a transpose where flagged: the
// backward products of denseOp.
type matMulOp struct {
	pureOp
	transA, transB bool
	out            outBuffer
	gm             *vecmath.Gemm // the graph's, as in denseOp
}

func (op *matMulOp) Arity() int { return 2 }

func (op *matMulOp) Type() hm.Type {
	return hm.NewFnType(matrixType, matrixType, matrixType)
}

func (op *matMulOp) dims(a, b tensor.Shape) (m, n, k int, err error) {
	if len(a) != 2 || len(b) != 2 {
		return 0, 0, 0, fmt.Errorf("%v: inputs are not matrices", op)
	}
	m, k = a[0], a[1]
	if op.transA {
		m, k = k, m
	}
	kb, n := b[0], b[1]
	if op.transB {
		kb, n = n, kb
	}
	if k != kb {
		return 0, 0, 0, fmt.Errorf("%v: shapes %v and %v do not match", op, a, b)
	}
	return m, n, k, nil
}

func (op *matMulOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op, len(in), 2); err != nil {
		return nil, err
	}
	a, ok1 := in[0].(tensor.Shape)
	b, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%v: inputs are not tensors", op)
	}
	m, n, _, err := op.dims(a, b)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{m, n}, nil
}

func (op *matMulOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op, len(in), 2); err != nil {
		return nil, err
	}
	a, err := floatsOf(in[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	b, err := floatsOf(in[1])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	as, bs := in[0].Shape(), in[1].Shape()
	m, n, k, err := op.dims(as, bs)
	if err != nil {
		return nil, err
	}
	t, out := op.out.get(m, n)
	if !op.transA && op.transB {
		// The input gradient, run at every Langevin step.
		mulT(op.gm, m, n, k, a, b, out)
		return t, nil
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if op.transA {
		ta = blas.Trans
	}
	if op.transB {
		tb = blas.Trans
	}
	op.gm.Dgemm(G.WhichBLAS(), ta, tb, m, n, k, 1, a, as[1], b, bs[1], 0, out, n)
	return t, nil
}

func (op *matMulOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%v", op) }
func (op *matMulOp) Hashcode() uint32      { return opHash(op) }
func (op *matMulOp) String() string {
	return fmt.Sprintf("matMul{%v, %v}", op.transA, op.transB)
}

// colSumOp sums a matrix over its rows: the bias gradient.
type colSumOp struct {
	pureOp
	out outBuffer
}

func (op *colSumOp) Arity() int    { return 1 }
func (op *colSumOp) Type() hm.Type { return hm.NewFnType(matrixType, vectorType) }

func (op *colSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := matrixInput(op, in, 1)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{s[1]}, nil
}

func (op *colSumOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op, len(in), 1); err != nil {
		return nil, err
	}
	a, err := floatsOf(in[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	s := in[0].Shape()
	if len(s) != 2 {
		return nil, fmt.Errorf("%v: input is not a matrix", op)
	}
	t, out := op.out.get(s[1])
	clear(out)
	for i := 0; i+s[1] <= len(a); i += s[1] {
		for j, v := range a[i : i+s[1]] {
			out[j] += v
		}
	}
	return t, nil
}

func (op *colSumOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%v", op) }
func (op *colSumOp) Hashcode() uint32      { return opHash(op) }
func (op *colSumOp) String() string        { return "colSum" }

// weightedSumOp is Σ_i v_i·w_i for column vectors v (n×1) and w (n×1),
// a scalar.
type weightedSumOp struct{ pureOp }

func (op *weightedSumOp) Arity() int { return 2 }
func (op *weightedSumOp) Type() hm.Type {
	return hm.NewFnType(matrixType, matrixType, tensor.Float64)
}

func (op *weightedSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if err := checkArity(op, len(in), 2); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func (op *weightedSumOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op, len(in), 2); err != nil {
		return nil, err
	}
	v, err := floatsOf(in[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	w, err := floatsOf(in[1])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	if len(v) != len(w) {
		return nil, fmt.Errorf("%v: %d values but %d weights", op, len(v), len(w))
	}
	sum := 0.0
	for i, x := range v {
		sum += x * w[i]
	}
	return G.NewF64(sum), nil
}

func (op *weightedSumOp) DiffWRT(inputs int) []bool { return []bool{true, false} }

func (op *weightedSumOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if err := checkArity(op, len(inputs), 2); err != nil {
		return nil, err
	}
	dv, err := G.ApplyOp(&scaleOp{}, inputs[1], grad)
	if err != nil {
		return nil, fmt.Errorf("%v: gradient: %w", op, err)
	}
	return G.Nodes{dv, nil}, nil
}

func (op *weightedSumOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%v", op) }
func (op *weightedSumOp) Hashcode() uint32      { return opHash(op) }
func (op *weightedSumOp) String() string        { return "weightedSum" }

// scaleOp is w·g for a matrix w and a scalar g: the gradient of
// weightedSumOp.
type scaleOp struct {
	pureOp
	out outBuffer
}

func (op *scaleOp) Arity() int { return 2 }
func (op *scaleOp) Type() hm.Type {
	return hm.NewFnType(matrixType, tensor.Float64, matrixType)
}

func (op *scaleOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, err := matrixInput(op, in, 2)
	if err != nil {
		return nil, err
	}
	return s.Clone(), nil
}

func (op *scaleOp) Do(in ...G.Value) (G.Value, error) {
	if err := checkArity(op, len(in), 2); err != nil {
		return nil, err
	}
	w, err := floatsOf(in[0])
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	var g float64
	switch v := in[1].(type) {
	case *G.F64:
		g = float64(*v)
	default:
		d, err := floatsOf(v)
		if err != nil || len(d) != 1 {
			return nil, fmt.Errorf("%v: scale of type %T is not a float64 scalar", op, v)
		}
		g = d[0]
	}
	s := in[0].Shape()
	t, out := op.out.get(s[0], s[1])
	for i, x := range w {
		out[i] = g * x
	}
	return t, nil
}

func (op *scaleOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%v", op) }
func (op *scaleOp) Hashcode() uint32      { return opHash(op) }
func (op *scaleOp) String() string        { return "scaleNode" }

// pureOp gives the gorgonia Op methods shared by every op here: each
// returns a fresh (buffered) value, runs in Go and overwrites no input.
type pureOp struct{}

func (pureOp) ReturnsPtr() bool     { return false }
func (pureOp) CallsExtern() bool    { return false }
func (pureOp) OverwritesInput() int { return -1 }

// checkArity checks an op's number of inputs.
// matrixInput checks an InferShape call's arity and returns the shape of
// its first input, which must be a matrix.
func matrixInput(op fmt.Stringer, in []G.DimSizer, arity int) (tensor.Shape, error) {
	if err := checkArity(op, len(in), arity); err != nil {
		return nil, err
	}
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("%v: input is not a matrix", op)
	}
	return s, nil
}

func checkArity(op fmt.Stringer, have, want int) error {
	if have != want {
		return fmt.Errorf("%v: want %d inputs, have %d", op, want, have)
	}
	return nil
}

func opHash(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// floatsOf returns the float64 storage of a graph value.
func floatsOf(v G.Value) ([]float64, error) {
	if d, ok := v.(*tensor.Dense); ok && d.Dtype() == tensor.Float64 && !d.IsScalar() {
		// Data() would build the slice by reflection and box it on
		// every call; this runs for every op input of every run.
		return d.Float64s(), nil
	}
	t, ok := v.(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("value of type %T is not a tensor", v)
	}
	data, ok := t.Data().([]float64)
	if !ok {
		return nil, fmt.Errorf("tensor of %v is not float64", t.Dtype())
	}
	return data, nil
}
