package policy

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/kernels"
	"github.com/selfplay-swe/ssr/rewards"
)

// TrainConfig holds the trainer's settings; DefaultTrainConfig has them all, and Validate rejects what
// cannot train.
type TrainConfig struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	Clip        float64 `json:"clip"`    // PPO ε
	Entropy     float64 `json:"entropy"` // entropy bonus β
	// Hindsight is the weight λ of the supervised term on the fixes the arena found after each solver
	// choice (Objective.Hindsight); 0 trains on rewards alone.
	Hindsight float64 `json:"hindsight"`
	// InjectorPull is the weight κ of KL(p ‖ softmax(prior)) on the injector's decisions (Objective.Pull):
	// how far its learned scores may take a choice from the arena's spread prior (Candidate.Prior; docs/
	// design.md, "Spread"), which follows the solver as each bug ends. 0 lets them go anywhere.
	InjectorPull float64 `json:"injector_pull"`
	MaxGradNorm  float64 `json:"max_grad_norm"` // global-norm gradient clipping
	// MaxStaleness drops episodes played by a policy more than this many versions older than the one being
	// trained (their importance ratios would be too far from 1 to trust).
	MaxStaleness int64 `json:"max_staleness"`
	// PassK > 1 trains solvers for pass@k: advantages from the group's pass@k estimate
	// (rewards.PassAtKAdvantages) instead of pass@1's normalised rewards.
	PassK        int    `json:"pass_k"`
	Epochs       int    `json:"epochs"`         // passes over a round's decisions
	BatchRows    int    `json:"batch_rows"`     // candidate rows per minibatch (a larger decision is its own)
	MinGroupSize int    `json:"min_group_size"` // a group waits until it has this many members
	Seed         uint64 `json:"seed"`
}

// DefaultTrainConfig is the trainer's defaults. LR 1e-2, not the 3e-3 it was: Adam moves a weight by about
// LR a step whatever its gradient, so the few features that carry over from one bug to another (the
// spectrum's suspiciousness, the failing output's frames, the operator) could grow only as far as steps × LR
// in a run, while the many tokens naming one bug's site added up to memorise it. Offline, by function over
// 19 bugs of the examples, 3e-3 gave held-out fixes no more probability than version 0 (0.015) and 1e-2
// gave them 0.11 (two seeds; `ssr policy transfer`, docs/policy.md).
var DefaultTrainConfig = TrainConfig{
	LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0,
	Clip: 0.2, Entropy: 0.01, Hindsight: 1, InjectorPull: 0.5, MaxGradNorm: 1, MaxStaleness: 8, PassK: 1,
	Epochs: 2, BatchRows: 4096, MinGroupSize: 2, Seed: 1,
}

// Validate reports settings that cannot train.
func (c TrainConfig) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("policy: "+format, args...))
		}
	}
	check(c.LR > 0, "lr must be positive (got %v)", c.LR)
	check(c.Beta1 >= 0 && c.Beta1 < 1 && c.Beta2 >= 0 && c.Beta2 < 1, "beta1 and beta2 must be in [0, 1)")
	check(c.Eps > 0, "eps must be positive")
	check(c.WeightDecay >= 0, "weight_decay must be at least 0")
	check(c.Clip > 0 && c.Clip < 1, "clip must be in (0, 1) (got %v)", c.Clip)
	check(c.Entropy >= 0, "entropy must be at least 0")
	check(c.Hindsight >= 0, "hindsight must be at least 0")
	check(c.InjectorPull >= 0, "injector_pull must be at least 0 (got %v)", c.InjectorPull)
	check(c.MaxGradNorm > 0, "max_grad_norm must be positive")
	check(c.MaxStaleness >= 0, "max_staleness must be at least 0")
	check(c.PassK >= 1, "pass_k must be at least 1 (got %d)", c.PassK)
	check(c.Epochs >= 1, "epochs must be at least 1")
	check(c.BatchRows >= 1, "batch_rows must be at least 1")
	check(c.MinGroupSize >= 1, "min_group_size must be at least 1")
	return errors.Join(errs...)
}

// Trainer updates one model from rewarded episodes and publishes numbered versions. It is not safe for
// concurrent use; what it publishes (Model) is.
type Trainer struct {
	cfg     TrainConfig
	obj     Objective
	k       kernels.Backend
	model   *Model      // the weights being trained (mutated in place; graphs share them)
	m, v    [][]float64 // Adam moments, in paramNames order
	step    int64       // Adam steps taken
	pcg     *rand.PCG
	rng     *rand.Rand
	seen    map[string]bool // episodes consumed (trained on or dropped)
	dropped int64           // stale episodes dropped, over the whole run
	graphs  map[int]*graph
}

// NewTrainer starts training from m (copied: m itself is not changed).
func NewTrainer(m *Model, c TrainConfig) (*Trainer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(c.Seed, c.Seed^0x7a11e4)
	t := &Trainer{
		cfg: c, obj: Objective{Clip: c.Clip, Entropy: c.Entropy, Hindsight: c.Hindsight, Pull: c.InjectorPull}, k: kernels.CPU{},
		model: &Model{cfg: m.cfg, schema: m.schema, version: m.version, params: m.params.clone()},
		pcg:   pcg, rng: rand.New(pcg), seen: map[string]bool{}, graphs: map[int]*graph{},
	}
	t.m, t.v = zeros(t.model.params), zeros(t.model.params)
	return t, nil
}

// UseKernels makes the trainer run its forward products, log-softmax and Adam updates on k instead of
// kernels.CPU (results agree within the conformance tolerance, not bit for bit). The gradients of the
// network's weights come from gorgonia's graph on the CPU whatever k is.
func (t *Trainer) UseKernels(k kernels.Backend) { t.k = k }

// Version is the version of the weights the trainer holds (the last one published).
func (t *Trainer) Version() int64 { return t.model.version }

// Model returns an immutable copy of the current weights, to score with.
func (t *Trainer) Model() *Model {
	return &Model{cfg: t.model.cfg, schema: t.model.schema, version: t.model.version, params: t.model.params.clone()}
}

// Report says what one round did.
type Report struct {
	Version      int64 `json:"version"`   // after the round
	Published    bool  `json:"published"` // a new version was made
	Episodes     int   `json:"episodes"`  // trained on
	Decisions    int   `json:"decisions"`
	Steps        int   `json:"steps"`
	Dropped      int   `json:"dropped"`       // stale episodes dropped in this round
	DroppedTotal int64 `json:"dropped_total"` // over the whole run
	NoSignal     int   `json:"no_signal"`     // episodes consumed with advantage 0 and no fixes (nothing to learn)
	Waiting      int   `json:"waiting"`       // episodes in groups still too small
	Stats        Stats `json:"stats"`         // mean over the round's steps (Fixes, PriorKL: over the decisions they apply to; WithFixes, Pulled: summed)
}

// sample is one decision to train on.
type sample struct {
	role      agent.Role
	rows      []agent.Candidate
	chosen    int
	oldLogp   float64
	advantage float64
	fixes     []int // rows that would have fixed the bug (agent.Decision.Fixes)
}

// Round reads what src has that the trainer has not consumed yet, trains on it and, when there was
// anything to learn from, publishes the next version. A member of a group smaller than MinGroupSize waits
// for the rest of its group; one played more than MaxStaleness versions ago is dropped and counted.
func (t *Trainer) Round(ctx context.Context, src Source) (Report, error) {
	rep := Report{Version: t.model.version}
	groups, err := src.Groups(ctx)
	if err != nil {
		return rep, fmt.Errorf("policy: read reward groups: %w", err)
	}
	var samples []sample
	for _, g := range groups {
		fresh := 0
		for _, mb := range g.Members {
			if !t.seen[mb.Episode] {
				fresh++
			}
		}
		if fresh == 0 {
			continue
		}
		if len(g.Members) < t.cfg.MinGroupSize {
			rep.Waiting += fresh
			continue
		}
		adv := t.advantages(g)
		for i, mb := range g.Members {
			if t.seen[mb.Episode] {
				continue
			}
			t.seen[mb.Episode] = true
			switch {
			case t.model.version-mb.PolicyVersion > t.cfg.MaxStaleness:
				rep.Dropped++
				continue
			case adv[i] == 0 && (t.cfg.Hindsight == 0 || g.Role != agent.Solver):
				rep.NoSignal++
				continue
			}
			turns, err := src.Turns(ctx, mb.Episode)
			if err != nil {
				return rep, fmt.Errorf("policy: read turns of episode %s: %w", mb.Episode, err)
			}
			n := len(samples)
			samples = appendDecisions(samples, g.Role, turns, adv[i], t.cfg.Hindsight > 0)
			if len(samples) > n {
				rep.Episodes++
			} else if adv[i] == 0 {
				rep.NoSignal++
			}
		}
	}
	t.dropped += int64(rep.Dropped)
	rep.DroppedTotal = t.dropped
	rep.Decisions = len(samples)
	if len(samples) == 0 {
		return rep, nil
	}
	for range t.cfg.Epochs {
		order := t.rng.Perm(len(samples))
		for _, mb := range t.minibatches(samples, order) {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			st, err := t.update(mb)
			if err != nil {
				return rep, err
			}
			rep.Steps++
			rep.Stats.Loss += st.Loss
			rep.Stats.Entropy += st.Entropy
			rep.Stats.ClipFrac += st.ClipFrac
			rep.Stats.ApproxKL += st.ApproxKL
			rep.Stats.Fixes += st.Fixes * float64(st.WithFixes) // weighted: a step without fixes says nothing of them
			rep.Stats.WithFixes += st.WithFixes
			rep.Stats.PriorKL += st.PriorKL * float64(st.Pulled)
			rep.Stats.Pulled += st.Pulled
		}
	}
	s := float64(rep.Steps)
	rep.Stats = Stats{Loss: rep.Stats.Loss / s, Entropy: rep.Stats.Entropy / s, ClipFrac: rep.Stats.ClipFrac / s, ApproxKL: rep.Stats.ApproxKL / s,
		Fixes: rep.Stats.Fixes / max(1, float64(rep.Stats.WithFixes)), WithFixes: rep.Stats.WithFixes,
		PriorKL: rep.Stats.PriorKL / max(1, float64(rep.Stats.Pulled)), Pulled: rep.Stats.Pulled}
	t.model.version++
	rep.Version, rep.Published = t.model.version, true
	return rep, nil
}

// advantages are a group's group-relative advantages: pass@k ones for solver groups when PassK > 1,
// normalised rewards otherwise.
func (t *Trainer) advantages(g Group) []float64 {
	if g.Role == agent.Solver && t.cfg.PassK > 1 {
		succ := make([]bool, len(g.Members))
		for i, m := range g.Members {
			succ[i] = m.Reward > 0
		}
		return rewards.PassAtKAdvantages(succ, t.cfg.PassK)
	}
	r := make([]float64, len(g.Members))
	for i, m := range g.Members {
		r[i] = m.Reward
	}
	return rewards.Advantages(r)
}

// appendDecisions adds the decisions of turns worth training on: a choice among two or more rows with a
// finite behaviour log-probability (a single row has no gradient), and with something to learn: a
// non-zero advantage, or fixes when hindsight is on.
func appendDecisions(out []sample, role agent.Role, turns []agent.Turn, adv float64, hindsight bool) []sample {
	for _, tn := range turns {
		d := tn.Action.Decision
		if !d.IsChoice() {
			continue
		}
		var fixes []int
		if hindsight {
			for _, f := range d.Fixes {
				if f >= 0 && f < len(d.Rows) {
					fixes = append(fixes, f)
				}
			}
		}
		if adv == 0 && len(fixes) == 0 {
			continue
		}
		out = append(out, sample{role: role, rows: d.Rows, chosen: d.Chosen, oldLogp: d.LogProb, advantage: adv, fixes: fixes})
	}
	return out
}

// minibatches cuts samples, in order, into batches of at most BatchRows candidate rows.
func (t *Trainer) minibatches(samples []sample, order []int) [][]sample {
	var out [][]sample
	var cur []sample
	rows := 0
	for _, i := range order {
		s := samples[i]
		if len(cur) > 0 && rows+len(s.rows) > t.cfg.BatchRows {
			out = append(out, cur)
			cur, rows = nil, 0
		}
		cur = append(cur, s)
		rows += len(s.rows)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// update takes one optimiser step on a minibatch of decisions: featurise, score with the CPU kernels, the
// loss's gradient with respect to the scores with the ragged kernels, the weights' gradient through the
// cached graph for the padded size, global-norm clipping, then the fused Adam update in place.
func (t *Trainer) update(mb []sample) (Stats, error) {
	m := t.model
	w := m.schema.Width()
	total := 0
	for _, s := range mb {
		total += len(s.rows)
	}
	p := padded(total)
	x := make([]float64, p*w)
	b := &batch{offsets: make([]int, 1, len(mb)+1)}
	at := 0
	for _, s := range mb {
		m.schema.Featurise(x[at*w:], s.role, s.rows)
		b.chosen = append(b.chosen, at+s.chosen)
		b.oldLogp = append(b.oldLogp, s.oldLogp)
		b.advantage = append(b.advantage, s.advantage)
		b.fixes = append(b.fixes, shifted(s.fixes, at))
		b.pull = append(b.pull, s.role == agent.Injector)
		at += len(s.rows)
		b.offsets = append(b.offsets, at)
	}
	scores := m.forward(t.k, x, total)
	temp := m.cfg.Temperature
	for i := range scores {
		scores[i] /= temp
	}
	b.prior = make([]float64, total)
	at = 0
	for _, s := range mb { // the agent sampled from score + prior: so is the probability recomputed
		for j, c := range s.rows {
			b.prior[at+j] = c.Prior
			scores[at+j] += c.Prior
		}
		at += len(s.rows)
	}
	gs := make([]float64, total)
	st := t.obj.lossAndGrad(t.k, b, scores, gs)
	gin := make([]float64, p)
	for i, g := range gs {
		gin[i] = g / temp // the scores were divided by the temperature
	}
	gr, ok := t.graphs[p]
	if !ok {
		var err error
		if gr, err = newGraph(m.params, w, m.cfg.Hidden, p); err != nil {
			return st, err
		}
		t.graphs[p] = gr
	}
	grads := zeros(m.params)
	if err := gr.grads(x, gin, grads); err != nil {
		return st, err
	}
	clipNorm(grads, t.cfg.MaxGradNorm)
	t.step++
	as := kernels.AdamStep{LR: t.cfg.LR, Beta1: t.cfg.Beta1, Beta2: t.cfg.Beta2, Eps: t.cfg.Eps, WeightDecay: t.cfg.WeightDecay, T: t.step}
	for i, ps := range m.params.slices() {
		t.k.Adam(ps, grads[i], t.m[i], t.v[i], as)
	}
	return st, nil
}

// shifted is rows moved by at: a decision's row indices made global in its minibatch.
func shifted(rows []int, at int) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r + at
	}
	return out
}

// clipNorm scales grads down so that their global L2 norm is at most maxNorm.
func clipNorm(grads [][]float64, maxNorm float64) {
	ss := 0.0
	for _, g := range grads {
		for _, v := range g {
			ss += v * v
		}
	}
	norm := math.Sqrt(ss)
	if norm <= maxNorm || norm == 0 {
		return
	}
	f := maxNorm / norm
	for _, g := range grads {
		for i := range g {
			g[i] *= f
		}
	}
}
