package policy

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/kernels"
)

// memSource is a Source over episodes held in memory.
type memSource struct {
	groups []Group
	turns  map[string][]agent.Turn
}

func (s *memSource) Groups(context.Context) ([]Group, error) { return s.groups, nil }
func (s *memSource) Turns(_ context.Context, id string) ([]agent.Turn, error) {
	t, ok := s.turns[id]
	if !ok {
		return nil, fmt.Errorf("no episode %s", id)
	}
	return t, nil
}

// bandit adds groups of attempts to src, played by m through the native agent: each attempt makes
// `decisions` choices among 8 candidates, and is rewarded +1 when its last choice is a "boundary" operator.
func bandit(t testing.TB, src *memSource, m native.Scorer, groups, size, decisions int, seed uint64) {
	t.Helper()
	banditFor(t, src, m, agent.Solver, testCandidates, func(c agent.Candidate) bool { return c.Operator == "boundary" }, groups, size, decisions, seed)
}

// banditFor is bandit for role, with the rows that rows makes, rewarding a last choice that pays.
func banditFor(t testing.TB, src *memSource, m native.Scorer, role agent.Role, rows func(n int, seed uint64) []agent.Candidate,
	pays func(agent.Candidate) bool, groups, size, decisions int, seed uint64) {
	t.Helper()
	ag := native.New(m, seed)
	if src.turns == nil {
		src.turns = map[string][]agent.Turn{}
	}
	for g := range groups {
		grp := Group{Role: role, Key: fmt.Sprintf("%s:%d-%d", role, seed, g)}
		for a := range size {
			id := fmt.Sprintf("ep-%d-%d-%d", seed, g, a)
			var turns []agent.Turn
			reward := -1.0
			for d := range decisions {
				rs := rows(8, seed*1000+uint64(g*size*decisions+a*decisions+d))
				dec, err := ag.Choose(context.Background(), role, rs)
				if err != nil {
					t.Fatal(err)
				}
				turns = append(turns, agent.Turn{N: d, Action: agent.Action{Tool: agent.ToolApply, Candidate: dec.Chosen, Decision: dec}})
				if pays(rs[dec.Chosen]) {
					reward = 1
				} else {
					reward = -1
				}
			}
			src.turns[id] = turns
			grp.Members = append(grp.Members, Member{Episode: id, PolicyVersion: m.Version(), Reward: reward})
		}
		src.groups = append(src.groups, grp)
	}
}

func smallTrainConfig() TrainConfig {
	c := DefaultTrainConfig
	c.LR = 0.05
	c.BatchRows = 64
	return c
}

// TestObjectiveGradientFiniteDifferences checks the loss's gradient with respect to every weight (the
// ragged kernels for the head, gorgonia's graph for the network) against central differences of the loss
// computed by the CPU forward alone.
func TestObjectiveGradientFiniteDifferences(t *testing.T) {
	m := randomModel(t, 11)
	m.cfg.Temperature = 0.7
	obj := Objective{Clip: 0.2, Entropy: 0.05, Hindsight: 0.8, Pull: 0.6}
	r := rand.New(rand.NewPCG(1, 2))
	fixes := [][]int{{1, 3}, nil, {8}} // two decisions with hindsight fixes, one without
	var mb []sample
	for i, n := range []int{5, 2, 9} {
		rows := testCandidates(n, uint64(40+i))
		s, _ := m.Score(context.Background(), agent.Injector, rows)
		lp := make([]float64, n)
		kernels.CPU{}.LogSoftmaxRagged(lp, s, nil, []int{0, n})
		c := r.IntN(n)
		// Behaviour log-probabilities near the current ones, so some ratios are clipped and some are not.
		mb = append(mb, sample{role: agent.Injector, rows: rows, chosen: c, oldLogp: lp[c] + []float64{0.05, -0.5, 0.6}[i], advantage: []float64{1.3, -0.7, -0.4}[i], fixes: fixes[i]})
	}
	tr, err := NewTrainer(m, smallTrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	tm := tr.model
	w := tm.schema.Width()
	total := 16
	x := make([]float64, total*w)
	b := &batch{offsets: []int{0}, pull: []bool{true, false, true}} // two decisions pulled toward their prior
	at := 0
	for _, s := range mb {
		tm.schema.Featurise(x[at*w:], s.role, s.rows)
		b.chosen = append(b.chosen, at+s.chosen)
		b.oldLogp = append(b.oldLogp, s.oldLogp)
		b.advantage = append(b.advantage, s.advantage)
		b.fixes = append(b.fixes, shifted(s.fixes, at))
		at += len(s.rows)
		b.offsets = append(b.offsets, at)
	}
	for range total {
		b.prior = append(b.prior, 2*r.Float64()-1)
	}
	loss := func() (float64, []float64) {
		s := tm.forward(kernels.CPU{}, x, total)
		for i := range s {
			s[i] /= tm.cfg.Temperature
		}
		gs := make([]float64, total)
		st := obj.lossAndGrad(kernels.CPU{}, b, s, gs)
		return st.Loss, gs
	}
	// Scores level: the ragged head alone.
	s0 := tm.forward(kernels.CPU{}, x, total)
	for i := range s0 {
		s0[i] /= tm.cfg.Temperature
	}
	gs := make([]float64, total)
	obj.lossAndGrad(kernels.CPU{}, b, s0, gs)
	const h = 1e-6
	for j := range s0 {
		sp, sm := clone(s0), clone(s0)
		sp[j] += h
		sm[j] -= h
		lp := obj.lossAndGrad(kernels.CPU{}, b, sp, make([]float64, total)).Loss
		lm := obj.lossAndGrad(kernels.CPU{}, b, sm, make([]float64, total)).Loss
		if fd := (lp - lm) / (2 * h); math.Abs(fd-gs[j]) > 1e-6 {
			t.Errorf("d loss/d score[%d]: %v, finite differences %v", j, gs[j], fd)
		}
	}
	// Weights level: through the gorgonia graph.
	_, gsc := loss()
	gin := make([]float64, padded(total))
	for i, g := range gsc {
		gin[i] = g / tm.cfg.Temperature
	}
	px := make([]float64, padded(total)*w)
	copy(px, x)
	gr, err := newGraph(tm.params, w, tm.cfg.Hidden, padded(total))
	if err != nil {
		t.Fatal(err)
	}
	grads := zeros(tm.params)
	if err := gr.grads(px, gin, grads); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for pi, ps := range tm.params.slices() {
		for _, j := range []int{0, 1, len(ps) / 3, len(ps) / 2, len(ps) - 1, r.IntN(len(ps)), r.IntN(len(ps))} {
			old := ps[j]
			ps[j] = old + h
			lp, _ := loss()
			ps[j] = old - h
			lm, _ := loss()
			ps[j] = old
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-grads[pi][j]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("d loss/d %s[%d]: graph %v, finite differences %v", paramNames[pi], j, grads[pi][j], fd)
			}
			checked++
		}
	}
	t.Logf("checked %d score and %d weight partial derivatives", total, checked)
}

func TestAdvantagesPerGroup(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	solver := Group{Role: agent.Solver, Members: []Member{{Reward: 1}, {Reward: -1}, {Reward: -1}, {Reward: -1}}}
	injector := Group{Role: agent.Injector, Members: []Member{{Reward: 0.2}, {Reward: -0.8}, {Reward: -1}}}
	for name, c := range map[string]struct {
		k    int
		g    Group
		want []float64
	}{
		"solver pass@1":           {1, solver, []float64{1.732, -0.577, -0.577, -0.577}},
		"solver pass@2":           {2, solver, []float64{1, -1.0 / 3, -1.0 / 3, -1.0 / 3}}, // ρ = σ = 1/2; a failure is blamed C(2,1)/C(3,1) = 2/3
		"injector ignores pass@k": {3, injector, []float64{1.397, -0.508, -0.889}},
	} {
		cfg := DefaultTrainConfig
		cfg.PassK = c.k
		tr, err := NewTrainer(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := tr.advantages(c.g)
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 2e-3 {
				t.Errorf("%s: advantages %v, want %v", name, got, c.want)
				break
			}
		}
	}
}

// TestPriorIsPartOfTheBehaviour: the agent samples from score + Candidate.Prior, and the trainer recomputes
// the same probability, so that a decision's importance ratio starts at exactly 1 (no KL, nothing clipped)
// even when the priors are large; without them in the trainer the ratio would be far from 1.
func TestPriorIsPartOfTheBehaviour(t *testing.T) {
	m, err := New(DefaultConfig, 3)
	if err != nil {
		t.Fatal(err)
	}
	ag := native.New(m, 4)
	tr, err := NewTrainer(m, DefaultTrainConfig)
	if err != nil {
		t.Fatal(err)
	}
	var mb []sample
	for i := range 8 {
		rows := testCandidates(6, uint64(100+i))
		for j := range rows {
			rows[j].Prior = 3 * float64(j%3) // 0, 3, 6: a strong preference
		}
		d, err := ag.Choose(context.Background(), agent.Solver, rows)
		if err != nil {
			t.Fatal(err)
		}
		mb = append(mb, sample{role: agent.Solver, rows: d.Rows, chosen: d.Chosen, oldLogp: d.LogProb, advantage: 1})
	}
	st, err := tr.update(mb)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(st.ApproxKL) > 1e-9 || st.ClipFrac != 0 {
		t.Errorf("first step: approx KL %g, clipped %.2f; the trainer's probability must be the agent's (prior included)", st.ApproxKL, st.ClipFrac)
	}
}
