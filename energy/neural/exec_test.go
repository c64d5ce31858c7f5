package neural

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ebieot/ebieot/internal/vecmath"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// program must evaluate exactly the requested outputs' ancestors, each
// once and after its inputs, including a node that feeds the same op twice
// and a gorgonia built-in op.
func TestNNProgramOrderAndPruning(t *testing.T) {
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(1, 5))
	x := newInput(g, 3, 2, "x")
	copy(x.data, normals(rng, 6))
	params := normals(rng, 2*4+4+2*4+4)
	w := paramMatrix(g, params, 0, 2, 4, "w")
	b := paramVector(g, params, 8, 4, "b")
	w2 := paramMatrix(g, params, 12, 2, 4, "w2")
	b2 := paramVector(g, params, 20, 4, "b2")
	u, err := denseLayer(new(vecmath.Gemm), 0.2, []*G.Node{x.node}, []*G.Node{w.node}, b.node, false)
	if err != nil {
		t.Fatal(err)
	}
	v, err := G.Add(u, u)
	if err != nil {
		t.Fatal(err)
	}
	unused, err := denseLayer(new(vecmath.Gemm), 0.2, []*G.Node{x.node}, []*G.Node{w2.node}, b2.node, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile(g, v)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.steps) != 2 {
		t.Fatalf("program has %d steps, want 2 (the layer and the sum)", len(p.steps))
	}
	if _, ok := p.slot[unused]; ok {
		t.Error("a node no output needs was compiled")
	}
	for round := range 2 {
		if round == 1 { // inputs and parameters are read through their aliases
			x.data[0] += 1
			params[0] -= 0.5
		}
		if err := p.run(); err != nil {
			t.Fatal(err)
		}
		got, err := p.floats(v)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			for j := range 4 {
				z := params[8+j]
				for k := range 2 {
					z += x.data[2*i+k] * params[4*k+j]
				}
				want := 2 * max(z, 0.2*z)
				if d := got[4*i+j] - want; math.Abs(d) > 1e-14 {
					t.Errorf("round %d: v[%d,%d] = %v, want %v", round, i, j, got[4*i+j], want)
				}
			}
		}
	}
	if _, err := p.floats(unused); err == nil {
		t.Error("reading a node outside the program did not fail")
	}
}

// The sampler program must not compute what ∇y does not need: weight and
// bias gradients, or x's product with its first-layer weights (setX does
// that once per chain).
func TestNeuralSamplerProgramIsPruned(t *testing.T) {
	n := testModel(t, 3)
	sg, err := buildSampler(n, 7)
	if err != nil {
		t.Fatal(err)
	}
	inputGrads := 0
	for _, st := range sg.prog.steps {
		switch op := st.op.(type) {
		case *colSumOp:
			t.Errorf("sampler program computes a bias gradient (%v)", op)
		case *matMulOp:
			if op.transA {
				t.Errorf("sampler program computes a weight gradient (%v)", op)
			} else {
				inputGrads++
			}
		case *denseOp:
			if op.parts != 1 {
				t.Errorf("layer %v multiplies %d inputs, want y or a hidden layer only", op, op.parts)
			}
		}
	}
	// One input gradient per layer: 2 of the cost, 3 of the potential.
	if inputGrads != 5 {
		t.Errorf("%d input-gradient products, want 5", inputGrads)
	}
}

// The thin products computed in Go and the ones sent to the BLAS must both
// equal the plain triple loop.
func TestNNThinProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, sh := range [][3]int{{5, 1, 7}, {5, 7, 1}, {5, 7, 3}, {5, 3, 7}, {6, 9, 11}, {4, 4, 4}, {0, 3, 4}, {3, 0, 4}, {3, 4, 0}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b, c0 := normals(rng, m*k), normals(rng, k*n), normals(rng, m*n)
		c := slices.Clone(c0)
		mulAdd(new(vecmath.Gemm), m, n, k, a, b, c)
		bt := normals(rng, n*k) // n×k for A·Bᵀ
		ct := normals(rng, m*n) // overwritten
		mulT(new(vecmath.Gemm), m, n, k, a, bt, ct)
		for i := range m {
			for j := range n {
				want, wantT := c0[i*n+j], 0.0
				for p := range k {
					want += a[i*k+p] * b[p*n+j]
					wantT += a[i*k+p] * bt[j*k+p]
				}
				if math.Abs(c[i*n+j]-want) > 1e-13*(1+math.Abs(want)) {
					t.Errorf("%d×%d×%d: (C + A·B)[%d,%d] = %v, want %v", m, n, k, i, j, c[i*n+j], want)
				}
				if math.Abs(ct[i*n+j]-wantT) > 1e-13*(1+math.Abs(wantT)) {
					t.Errorf("%d×%d×%d: (A·Bᵀ)[%d,%d] = %v, want %v", m, n, k, i, j, ct[i*n+j], wantT)
				}
			}
		}
	}
}

// Blocks go to whichever worker is free; for a given block split the
// samples and the gradient must not depend on that. More than 2·512 rows
// make three blocks at 1 and 2 threads alike, run by one and by two
// workers.
func TestNeuralBlocksIndependentOfWorkers(t *testing.T) {
	const rows = 2*maxBlockRows + 77
	rng := rand.New(rand.NewPCG(5, 5))
	xs, y0 := normals(rng, 2*rows), normals(rng, 2*rows)
	xc, yc, wc := normals(rng, 2*rows), normals(rng, 2*rows), normals(rng, rows)
	yf, wf := normals(rng, 2*rows), normals(rng, rows)
	run := func(procs int) (ys, grad []float64) {
		n := testModel(t, 29)
		n.SetThreads(procs)
		if blocks := len(n.rowBlocks(rows)) - 1; blocks != 3 {
			t.Fatalf("%d threads: %d blocks, want 3", procs, blocks)
		}
		ys = slices.Clone(y0)
		if err := n.sampleRows(context.Background(), xs, ys, rand.New(rand.NewPCG(6, 6))); err != nil {
			t.Fatal(err)
		}
		grad = make([]float64, len(n.params))
		if err := n.trainRows(context.Background(), xc, yc, wc, yf, wf, grad, make([]float64, rows), make([]float64, rows)); err != nil {
			t.Fatal(err)
		}
		return ys, grad
	}
	y1, g1 := run(1)
	y2, g2 := run(2)
	if !slices.Equal(y1, y2) {
		t.Error("samples differ between one and two workers")
	}
	if !slices.Equal(g1, g2) {
		t.Error("gradients differ between one and two workers")
	}
	if slices.Equal(y1, y0) {
		t.Error("the chains did not move")
	}
}

// floatsOf must return the live storage of a tensor (the graphs write
// through it), for matrices and vectors.
func TestNNFloatsAliases(t *testing.T) {
	for _, shape := range [][]int{{2, 3}, {4}} {
		size := 1
		for _, d := range shape {
			size *= d
		}
		data := make([]float64, size)
		f, err := floatsOf(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)))
		if err != nil {
			t.Fatal(err)
		}
		f[size-1] = 42
		if len(f) != size || data[size-1] != 42 {
			t.Errorf("shape %v: floatsOf gives %d values not aliasing the backing slice", shape, len(f))
		}
	}
}
