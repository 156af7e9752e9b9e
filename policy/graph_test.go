package policy

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randomModel is a model whose every weight is non-zero, so gradients reach each of them.
func randomModel(t testing.TB, seed uint64) *Model {
	t.Helper()
	c := DefaultConfig
	c.Hidden = 8
	m, err := New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 99))
	for _, s := range m.params.slices() {
		for i := range s {
			s[i] = r.NormFloat64() * 0.3
		}
	}
	return m
}

func testCandidates(n int, seed uint64) []agent.Candidate {
	r := rand.New(rand.NewPCG(seed, 7))
	ops := []string{"arithmetic_swap", "negate_condition", "boundary", "remove_statement", "default_return"}
	nodes := []string{"binary_operator", "if_statement", "comparison", "return"}
	files := []string{"pyledger/ledger.py", "pyledger/money.py", "gokit/strutil/strutil.go", "gokit/mathx/mathx.go"}
	out := make([]agent.Candidate, n)
	for i := range out {
		out[i] = agent.Candidate{
			Kind: "mutation", File: files[r.IntN(len(files))], Line: 1 + r.IntN(200), Node: nodes[r.IntN(len(nodes))],
			Operator: ops[r.IntN(len(ops))], Function: []string{"AddEntry", "balance_of", "parse_amount"}[r.IntN(3)],
			Features: map[string]float64{"frame_distance": float64(r.IntN(50)), "in_failing_dir": float64(r.IntN(2)), "ochiai": r.Float64()},
		}
	}
	return out
}

// TestGraphMatchesCPUForward: the gorgonia graph and the CPU kernels compute the same scores from the
// same (shared) weights, also after the weights change in place.
func TestGraphMatchesCPUForward(t *testing.T) {
	m := randomModel(t, 1)
	cands := testCandidates(37, 2)
	w := m.schema.Width()
	rows := padded(len(cands))
	x := make([]float64, rows*w)
	m.schema.Featurise(x, agent.Solver, cands)
	gr, err := newGraph(m.params, w, m.cfg.Hidden, rows)
	if err != nil {
		t.Fatal(err)
	}
	grads := zeros(m.params)
	for round := range 2 {
		if err := gr.grads(x, make([]float64, rows), grads); err != nil {
			t.Fatal(err)
		}
		want := m.forward(kernels.CPU{}, x, len(cands))
		got := gr.scoresValue()
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("round %d: row %d: graph %v, CPU %v", round, i, got[i], want[i])
			}
		}
		for i := len(cands); i < rows; i++ {
			if math.Abs(got[i]-m.forward(kernels.CPU{}, make([]float64, w), 1)[0]) > 1e-12 {
				t.Fatalf("padding row %d scores %v", i, got[i])
			}
		}
		m.params.WL[3] += 0.5 // the graph sees changes to the shared slices
		m.params.W1[w+1] -= 0.25
	}
	s, _ := m.Score(context.Background(), agent.Solver, cands)
	if len(s) != len(cands) {
		t.Fatalf("Score gave %d scores for %d candidates", len(s), len(cands))
	}
}

// TestTapeMachineGradientsAccumulate documents the gorgonia trap the graph works around: after
// TapeMachine.Reset a second RunAll adds its gradients to the first's instead of replacing them.
func TestTapeMachineGradientsAccumulate(t *testing.T) {
	g := G.NewGraph()
	w := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("w"), G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2}))))
	x := G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("x"))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(w, x))))
	if _, err := G.Grad(cost, w); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(w))
	defer vm.Close()
	run := func() []float64 {
		G.Let(x, tensor.New(tensor.WithBacking([]float64{3, 5})))
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Reset()
		gv, _ := w.Grad()
		return append([]float64(nil), gv.Data().([]float64)...)
	}
	first, second := run(), run()
	if first[0] != 3 || first[1] != 5 {
		t.Fatalf("first gradient %v, want [3 5]", first)
	}
	if second[0] == 3 {
		t.Logf("gorgonia now zeroes gradients on Reset (second run %v): the explicit zeroing is harmless", second)
	} else if second[0] != 6 {
		t.Fatalf("second gradient %v: neither replaced (3) nor accumulated (6)", second)
	}
	// Our graph zeroes after reading: two runs give the same gradient.
	m := randomModel(t, 3)
	cands := testCandidates(5, 4)
	gr, err := newGraph(m.params, m.schema.Width(), m.cfg.Hidden, padded(5))
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]float64, gr.rows*m.schema.Width())
	m.schema.Featurise(xs, agent.Injector, cands)
	gin := make([]float64, gr.rows)
	gin[0], gin[3] = 1, -0.5
	a, b := zeros(m.params), zeros(m.params)
	if err := gr.grads(xs, gin, a); err != nil {
		t.Fatal(err)
	}
	if err := gr.grads(xs, gin, b); err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("%s[%d]: first run %v, second %v", paramNames[i], j, a[i][j], b[i][j])
			}
		}
	}
}
