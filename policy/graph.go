package policy

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// minPadded is the smallest padded batch: a graph is built per power of two of rows, from this size up.
const minPadded = 64

// padded is the graph size for n rows: the next power of two, at least minPadded. A new size means a new
// gorgonia graph (shapes are fixed when a graph is built), so sizes are few and graphs are cached.
func padded(n int) int {
	p := minPadded
	for p < n {
		p *= 2
	}
	return p
}

// graph is the network for a fixed number of rows, wired for its gradient. Its weights are the Params'
// slices themselves (tensors built over them), so an Adam step on the Params is what the next run sees.
//
// The loss is not in the graph: the trainer computes it, and its gradient with respect to the scores, with
// the ragged kernels, and feeds that gradient in as gin; the graph's cost is Σ scores⊙gin, whose gradient
// with respect to the weights is then exactly the loss's (the chain rule, with gin held constant).
type graph struct {
	rows           int
	g              *G.ExprGraph
	x, gin         *G.Node
	w1, b1, w2, wl *G.Node
	scores         *G.Node
	vm             G.VM
}

func newGraph(p *Params, width, hidden, rows int) (*graph, error) {
	gr := &graph{rows: rows, g: G.NewGraph()}
	g := gr.g
	param := func(name string, data []float64, shape ...int) *G.Node {
		t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
		return G.NewMatrix(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(t))
	}
	gr.w1 = param("w1", p.W1, width, hidden)
	gr.b1 = G.NewVector(g, tensor.Float64, G.WithShape(hidden), G.WithName("b1"),
		G.WithValue(tensor.New(tensor.WithShape(hidden), tensor.WithBacking(p.B1))))
	gr.w2 = param("w2", p.W2, hidden, 1)
	gr.wl = param("wl", p.WL, width, 1)
	gr.x = G.NewMatrix(g, tensor.Float64, G.WithShape(rows, width), G.WithName("x"))
	gr.gin = G.NewVector(g, tensor.Float64, G.WithShape(rows), G.WithName("gin"))

	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	pre := must(G.BroadcastAdd(must(G.Mul(gr.x, gr.w1)), gr.b1, nil, []byte{0}))
	hid := must(G.Tanh(pre))
	s := must(G.Add(must(G.Mul(hid, gr.w2)), must(G.Mul(gr.x, gr.wl))))
	gr.scores = must(G.Reshape(s, tensor.Shape{rows}))
	cost := must(G.Sum(must(G.HadamardProd(gr.scores, gr.gin))))
	if err != nil {
		return nil, fmt.Errorf("policy: build the graph for %d rows: %w", rows, err)
	}
	if _, err := G.Grad(cost, gr.w1, gr.b1, gr.w2, gr.wl); err != nil {
		return nil, fmt.Errorf("policy: gradient of the graph for %d rows: %w", rows, err)
	}
	gr.vm = G.NewTapeMachine(g, G.BindDualValues(gr.w1, gr.b1, gr.w2, gr.wl))
	return gr, nil
}

// grads runs the graph on x (rows×width, padded with zero rows) with gin and adds the weight gradients into
// out (in paramNames order). It zeroes the graph's gradients afterwards: TapeMachine.Reset does not, and a
// second run would otherwise add to the first's (TestTapeMachineGradientsAccumulate shows it).
func (gr *graph) grads(x, gin []float64, out [][]float64) error {
	if err := G.Let(gr.x, tensor.New(tensor.WithShape(gr.rows, len(x)/gr.rows), tensor.WithBacking(x))); err != nil {
		return err
	}
	if err := G.Let(gr.gin, tensor.New(tensor.WithShape(gr.rows), tensor.WithBacking(gin))); err != nil {
		return err
	}
	defer gr.vm.Reset()
	if err := gr.vm.RunAll(); err != nil {
		return fmt.Errorf("policy: run the graph for %d rows: %w", gr.rows, err)
	}
	for i, n := range []*G.Node{gr.w1, gr.b1, gr.w2, gr.wl} {
		gv, err := n.Grad()
		if err != nil {
			return fmt.Errorf("policy: gradient of %s: %w", paramNames[i], err)
		}
		t := gv.(tensor.Tensor)
		for j, v := range t.Data().([]float64) {
			out[i][j] += v
		}
		t.Zero()
	}
	return nil
}

// scoresValue is the graph's last forward scores (for tests comparing the graph with the CPU forward).
func (gr *graph) scoresValue() []float64 {
	return gr.scores.Value().Data().([]float64)
}
