package neural

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// program runs the part of a gorgonia graph that some output nodes
// depend on, in the calling goroutine.
//
// gorgonia's tape machine is not used for the model's graphs because every
// RunAll locks the calling goroutine to its OS thread and runs the program
// in a fresh goroutine, which must run on another thread: two thread
// hand-offs per run, more than a tiny graph's arithmetic. With a
// run per Langevin step and one chain per core, the threads sleeping and
// waking every step let the two chains of the preset run side by side only
// part of the time (CPU / wall 1.36 instead of 1.85; see BENCHMARKS.md,
// EBiEOT-NN). The graph is still built and differentiated by gorgonia
// (G.Grad through the ops' SymDiff); only the evaluation order is computed
// here: the outputs' ancestors in topological order, which also prunes what
// the outputs do not need (the weight gradients of the sampler graph), as
// G.CompileFunction does.
//
// The model's ops write into buffers of their own that they keep across
// runs, so all values stay valid until the next run; gorgonia's own ops
// (e.g. the gradient sums that G.Grad inserts where a node feeds two
// others) return fresh values.
type program struct {
	vals  []G.Value // one slot per node: leaves' bound values, then results
	steps []programStep
	slot  map[*G.Node]int
}

type programStep struct {
	op   G.Op
	args []int // slots of the op's inputs, in order
	out  int
	in   []G.Value // reused argument list
}

// compile orders the ancestors of outs for evaluation. Leaves (inputs,
// parameters, constants) must have values bound: their tensors alias the
// buffers the callers write into, so they are read once here.
func compile(g *G.ExprGraph, outs ...*G.Node) (*program, error) {
	p := &program{slot: map[*G.Node]int{}}
	// Depth-first post-order, iterative so that deep graphs cannot
	// overflow the stack; state 1 = children pending, 2 = placed.
	state := map[*G.Node]int{}
	type frame struct {
		n        *G.Node
		children []*G.Node
		next     int
	}
	children := func(n *G.Node) []*G.Node {
		it := g.From(n.ID())
		var cs []*G.Node
		for it.Next() {
			cs = append(cs, it.Node().(*G.Node))
		}
		return cs
	}
	for _, out := range outs {
		if state[out] != 0 {
			continue
		}
		stack := []frame{{n: out, children: children(out)}}
		state[out] = 1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next < len(top.children) {
				c := top.children[top.next]
				top.next++
				switch state[c] {
				case 0:
					state[c] = 1
					stack = append(stack, frame{n: c, children: children(c)})
				case 1:
					return nil, fmt.Errorf("graph has a cycle through %v", c.Name())
				}
				continue
			}
			if err := p.place(top.n, top.children); err != nil {
				return nil, err
			}
			state[top.n] = 2
			stack = stack[:len(stack)-1]
		}
	}
	return p, nil
}

// place gives n a slot once its children have theirs.
func (p *program) place(n *G.Node, children []*G.Node) error {
	s := len(p.vals)
	p.slot[n] = s
	if len(children) == 0 {
		v := n.Value()
		if v == nil {
			return fmt.Errorf("leaf %v has no value", n.Name())
		}
		p.vals = append(p.vals, v)
		return nil
	}
	op := n.Op()
	if op == nil {
		return fmt.Errorf("node %v has inputs but no op", n.Name())
	}
	if a := op.Arity(); a >= 0 && a != len(children) {
		return fmt.Errorf("%v: arity %d but %d inputs", op, a, len(children))
	}
	st := programStep{op: op, out: s, args: make([]int, len(children)), in: make([]G.Value, len(children))}
	for i, c := range children {
		st.args[i] = p.slot[c]
	}
	p.vals = append(p.vals, nil)
	p.steps = append(p.steps, st)
	return nil
}

// run evaluates every step in order.
func (p *program) run() error {
	for i := range p.steps {
		st := &p.steps[i]
		for k, a := range st.args {
			st.in[k] = p.vals[a]
		}
		v, err := st.op.Do(st.in...)
		if err != nil {
			return fmt.Errorf("%v: %w", st.op, err)
		}
		p.vals[st.out] = v
	}
	return nil
}

// floats returns the current value of n (an output or any node it depends
// on) as float64 storage.
func (p *program) floats(n *G.Node) ([]float64, error) {
	s, ok := p.slot[n]
	if !ok {
		return nil, fmt.Errorf("node %v is not part of the program", n.Name())
	}
	if p.vals[s] == nil {
		return nil, fmt.Errorf("node %v has not been evaluated", n.Name())
	}
	return floatsOf(p.vals[s])
}
