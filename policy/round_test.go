package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/kernels"
)

func TestStaleEpisodesAreDroppedAndCounted(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	m.version = 10
	src := &memSource{}
	bandit(t, src, m, 1, 4, 1, 5)
	// Played by versions 1 (9 behind: dropped), 2 (8 behind: kept), 9 and 10.
	for i, v := range []int64{1, 2, 9, 10} {
		src.groups[0].Members[i].PolicyVersion = v
	}
	src.groups[0].Members[0].Reward, src.groups[0].Members[1].Reward = 1, -1 // the group has signal
	tr, err := NewTrainer(m, smallTrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := tr.Round(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Dropped != 1 || rep.DroppedTotal != 1 {
		t.Errorf("dropped %d this round, %d in all; want 1 and 1", rep.Dropped, rep.DroppedTotal)
	}
	if rep.Episodes+rep.NoSignal != 3 || !rep.Published || rep.Version != 11 {
		t.Errorf("report %+v: want 3 episodes consumed and version 11 published", rep)
	}
	// A second round finds nothing new: no version, nothing dropped again.
	rep2, _ := tr.Round(context.Background(), src)
	if rep2.Published || rep2.Dropped != 0 || rep2.DroppedTotal != 1 {
		t.Errorf("second round %+v: want nothing published or dropped", rep2)
	}
}

func TestSmallGroupsWait(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	src := &memSource{}
	bandit(t, src, m, 1, 1, 1, 6)
	tr, _ := NewTrainer(m, smallTrainConfig())
	rep, _ := tr.Round(context.Background(), src)
	if rep.Waiting != 1 || rep.Published {
		t.Errorf("report %+v: a group of one should wait", rep)
	}
}

// TestSamplingMatchesSoftmax samples the native agent scoring with a trained-looking model at a temperature
// and compares the counts with the softmax of the scores (chi-square, 7 degrees of freedom).
func TestSamplingMatchesSoftmax(t *testing.T) {
	m := randomModel(t, 21)
	m, _ = m.WithTemperature(0.6)
	rows := testCandidates(8, 77)
	s, _ := m.Score(context.Background(), agent.Solver, rows)
	maxs := math.Inf(-1)
	for _, v := range s {
		maxs = math.Max(maxs, v)
	}
	p, sum := make([]float64, len(s)), 0.0
	for i, v := range s {
		p[i] = math.Exp(v - maxs)
		sum += p[i]
	}
	ag := native.New(m, 3)
	const n = 40000
	counts := make([]int, len(rows))
	for range n {
		d, err := ag.Choose(context.Background(), agent.Solver, rows)
		if err != nil {
			t.Fatal(err)
		}
		counts[d.Chosen]++
		if want := math.Log(p[d.Chosen] / sum); math.Abs(d.LogProb-want) > 1e-9 {
			t.Fatalf("recorded log-prob %v, softmax says %v", d.LogProb, want)
		}
		if d.PolicyVersion != m.Version() {
			t.Fatalf("decision version %d, model %d", d.PolicyVersion, m.Version())
		}
	}
	chi2 := 0.0
	for i, c := range counts {
		e := n * p[i] / sum
		chi2 += (float64(c) - e) * (float64(c) - e) / e
	}
	// The 0.999 quantile of χ²(7) is 24.32.
	if chi2 > 24.32 {
		t.Errorf("χ² = %.2f over 7 degrees of freedom (counts %v, probabilities %v)", chi2, counts, p)
	}
	t.Logf("χ² = %.2f (7 df)", chi2)
}

// TestTrainingLearnsTheRewardedChoice is a bandit: choosing a "boundary" candidate is rewarded. A few rounds
// of self-play with training must raise its probability well above the untrained policy's.
func TestTrainingLearnsTheRewardedChoice(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	tr, err := NewTrainer(m, smallTrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	probe := testCandidates(200, 999)
	share := func(m *Model) float64 {
		s, _ := m.Score(context.Background(), agent.Solver, probe)
		maxs := math.Inf(-1)
		for _, v := range s {
			maxs = math.Max(maxs, v)
		}
		num, den := 0.0, 0.0
		for i, v := range s {
			e := math.Exp(v - maxs)
			den += e
			if probe[i].Operator == "boundary" {
				num += e
			}
		}
		return num / den
	}
	before := share(tr.Model())
	src := &memSource{}
	for round := range 6 {
		bandit(t, src, tr.Model(), 8, 4, 1, uint64(100+round))
		rep, err := tr.Round(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %+v", round, rep)
	}
	after := share(tr.Model())
	t.Logf("probability of a boundary candidate: %.3f before, %.3f after %d versions", before, after, tr.Version())
	if after < before+0.25 {
		t.Errorf("training moved the rewarded choice's probability from %.3f to %.3f only", before, after)
	}
}

// TestInjectorLearnsANumericFeature: an injector paid for choosing rows whose numeric feature "paid" is
// positive (negative or absent elsewhere) learns to choose them. The feature reaches the model only as a
// hashed numeric value and its "top=" indicator, and it varies from list to list, so no token of the rows
// can stand in for it.
func TestInjectorLearnsANumericFeature(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	c := smallTrainConfig()
	c.InjectorPull = 0 // what the features can carry, not how far the pull lets the injector go
	tr, err := NewTrainer(m, c)
	if err != nil {
		t.Fatal(err)
	}
	rows := func(n int, seed uint64) []agent.Candidate {
		r := rand.New(rand.NewPCG(seed, 11))
		cs := testCandidates(n, seed)
		for i := range cs {
			cs[i].Features = map[string]float64{}
			switch r.IntN(3) {
			case 0: // absent
			case 1:
				cs[i].Features["paid"] = -0.8 + 0.3*r.Float64()
			default:
				cs[i].Features["paid"] = 0.1 + 0.5*r.Float64()
			}
		}
		return cs
	}
	pays := func(c agent.Candidate) bool { return c.Features["paid"] > 0 }
	share := func(m *Model) float64 { return paidShare(m, agent.Injector, rows, pays, 5000) }
	before := share(tr.Model())
	src := &memSource{}
	for round := range 6 {
		banditFor(t, src, tr.Model(), agent.Injector, rows, pays, 8, 4, 1, uint64(300+round))
		if _, err := tr.Round(context.Background(), src); err != nil {
			t.Fatal(err)
		}
	}
	after := share(tr.Model())
	t.Logf("probability of a paid row: %.3f before, %.3f after %d versions", before, after, tr.Version())
	if after < before+0.25 {
		t.Errorf("training moved the paid rows' probability from %.3f to %.3f only", before, after)
	}
}

func trainedTrainer(t *testing.T, rounds int) (*Trainer, *memSource) {
	t.Helper()
	m, _ := New(DefaultConfig, 1)
	tr, err := NewTrainer(m, smallTrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	src := &memSource{}
	for r := range rounds {
		bandit(t, src, m, 4, 4, 2, uint64(200+r)) // the behaviour is the untrained model: the data is fixed
		if _, err := tr.Round(context.Background(), src); err != nil {
			t.Fatal(err)
		}
	}
	return tr, src
}

func TestCheckpointRoundTrip(t *testing.T) {
	tr, _ := trainedTrainer(t, 2)
	dir := t.TempDir()
	a := filepath.Join(dir, "a.safetensors")
	if err := tr.Save(a); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTrainer(a)
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, x, y []float64) {
		t.Helper()
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				t.Fatalf("%s[%d]: %v, loaded %v", what, i, x[i], y[i])
			}
		}
	}
	for i, n := range paramNames {
		same(n, tr.model.params.slices()[i], back.model.params.slices()[i])
		same("adam.m."+n, tr.m[i], back.m[i])
		same("adam.v."+n, tr.v[i], back.v[i])
	}
	if back.step != tr.step || back.Version() != tr.Version() || len(back.seen) != len(tr.seen) || back.cfg != tr.cfg {
		t.Errorf("loaded step %d version %d seen %d; saved %d %d %d", back.step, back.Version(), len(back.seen), tr.step, tr.Version(), len(tr.seen))
	}
	b := filepath.Join(dir, "b.safetensors")
	if err := back.Save(b); err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Errorf("saving the loaded trainer gives another file (%d vs %d bytes)", len(ab), len(bb))
	}
	// A weights-only checkpoint scores like the trainer's model.
	w := filepath.Join(dir, "w.safetensors")
	if err := tr.Model().Save(w); err != nil {
		t.Fatal(err)
	}
	m, err := Load(w)
	if err != nil {
		t.Fatal(err)
	}
	rows := testCandidates(10, 3)
	s1, _ := tr.Model().Score(context.Background(), agent.Injector, rows)
	s2, _ := m.Score(context.Background(), agent.Injector, rows)
	same("scores", s1, s2)
	if _, err := LoadTrainer(w); err == nil {
		t.Error("LoadTrainer accepted a weights-only checkpoint")
	}
}

func TestCheckpointOfAnotherSchemaIsRefused(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	m.schema.Version = 99 // as if written by a build that featurises differently
	p := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(p); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); !errors.Is(err, ErrSchema) {
		t.Errorf("Load of a schema-99 checkpoint: %v, want ErrSchema", err)
	}
}

// TestResumeGivesTheSameNextVersion: train two rounds, save, load, train a third; it must give bit for bit
// the weights of three rounds without the interruption.
func TestResumeGivesTheSameNextVersion(t *testing.T) {
	straight, src := trainedTrainer(t, 2)
	m0, _ := New(DefaultConfig, 1)
	bandit(t, src, m0, 4, 4, 2, 300)
	p := filepath.Join(t.TempDir(), "mid.safetensors")
	if err := straight.Save(p); err != nil {
		t.Fatal(err)
	}
	resumed, err := LoadTrainer(p)
	if err != nil {
		t.Fatal(err)
	}
	r1, err1 := straight.Round(context.Background(), src)
	r2, err2 := resumed.Round(context.Background(), src)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if r1 != r2 {
		t.Errorf("reports differ: uninterrupted %+v, resumed %+v", r1, r2)
	}
	a, b := straight.Model(), resumed.Model()
	if a.Version() != b.Version() || a.Version() != 3 {
		t.Errorf("versions %d and %d, want 3", a.Version(), b.Version())
	}
	for i, s := range a.params.slices() {
		for j := range s {
			if math.Float64bits(s[j]) != math.Float64bits(b.params.slices()[i][j]) {
				t.Fatalf("%s[%d]: uninterrupted %v, resumed %v", paramNames[i], j, s[j], b.params.slices()[i][j])
			}
		}
	}
}

// TestHindsightTeachesWithoutReward: every attempt fails (all rewards alike, advantage 0), but the arena
// marked which rows would have fixed the bug (here, the "negate_condition" ones). Hindsight alone must raise
// their probability; with hindsight off, such episodes teach nothing and no version is published.
func TestHindsightTeachesWithoutReward(t *testing.T) {
	failing := func(seed uint64) *memSource {
		src := &memSource{turns: map[string][]agent.Turn{}}
		ag := native.New(native.Uniform{}, seed)
		for g := range 8 {
			grp := Group{Role: agent.Solver, Key: fmt.Sprintf("bug:%d-%d", seed, g)}
			for a := range 4 {
				id := fmt.Sprintf("ep-%d-%d-%d", seed, g, a)
				rows := testCandidates(12, seed*100+uint64(g*4+a))
				dec, err := ag.Choose(context.Background(), agent.Solver, rows)
				if err != nil {
					t.Fatal(err)
				}
				for i, r := range rows {
					if r.Operator == "negate_condition" {
						dec.Fixes = append(dec.Fixes, i)
					}
				}
				src.turns[id] = []agent.Turn{{Action: agent.Action{Tool: agent.ToolApply, Candidate: dec.Chosen, Decision: dec}}}
				grp.Members = append(grp.Members, Member{Episode: id, Reward: -1})
			}
			src.groups = append(src.groups, grp)
		}
		return src
	}
	probe := testCandidates(200, 4242)
	share := func(m *Model) float64 {
		s, _ := m.Score(context.Background(), agent.Solver, probe)
		lp := make([]float64, len(s))
		kernels.CPU{}.LogSoftmaxRagged(lp, s, nil, []int{0, len(s)})
		p := 0.0
		for i, c := range probe {
			if c.Operator == "negate_condition" {
				p += math.Exp(lp[i])
			}
		}
		return p
	}

	off := smallTrainConfig()
	off.Hindsight = 0
	m, _ := New(DefaultConfig, 1)
	tr, err := NewTrainer(m, off)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := tr.Round(context.Background(), failing(1))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Published || rep.NoSignal != 32 {
		t.Errorf("hindsight off, all rewards alike: published %v, no_signal %d (want no version, 32 episodes without signal)", rep.Published, rep.NoSignal)
	}

	tr, err = NewTrainer(m, smallTrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	before := share(tr.Model())
	var fixProb []float64
	for round := range 4 {
		rep, err := tr.Round(context.Background(), failing(uint64(10+round)))
		if err != nil {
			t.Fatal(err)
		}
		// Each decision is seen once per epoch.
		if rep.Stats.WithFixes != rep.Episodes*tr.cfg.Epochs || rep.Stats.Fixes <= 0 || rep.Stats.Fixes > 1 {
			t.Errorf("round %d: p(fixes) %v over %d decisions with fixes (want one per episode and epoch)", round, rep.Stats.Fixes, rep.Stats.WithFixes)
		}
		fixProb = append(fixProb, rep.Stats.Fixes)
		// An episode none of whose rows is a fix has nothing to learn.
		if !rep.Published || rep.Episodes+rep.NoSignal != 32 || rep.Episodes < 24 {
			t.Fatalf("round %d: %+v (want a version from most of the 32 episodes)", round, rep)
		}
	}
	after := share(tr.Model())
	t.Logf("probability of the fixes: %.3f before, %.3f after %d versions; in training %.3f", before, after, tr.Version(), fixProb)
	if fixProb[3] <= fixProb[0] {
		t.Errorf("the probability of the fixes in training did not rise: %.3f", fixProb)
	}
	if after < before+0.25 {
		t.Errorf("hindsight moved the fixes' probability from %.3f to %.3f only", before, after)
	}
}

// TestRolesKeepTheirOwnSiteTokens: a solver trained to fix in one function comes to prefer that function's
// candidates, and the injector, which shares the network, does not: what one role learns about a site (its
// path, function and code) must not become the other's preference there. With shared site tokens the solver's
// learning made the injector break where the solver had just learnt to repair (docs/policy.md, Features).
func TestRolesKeepTheirOwnSiteTokens(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	tr, err := NewTrainer(m, smallTrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	rows := func(n int, seed uint64) []agent.Candidate {
		r := rand.New(rand.NewPCG(seed, 13))
		cs := testCandidates(n, seed)
		for i := range cs {
			cs[i].Function = []string{"alphaSum", "betaCount"}[r.IntN(2)]
			cs[i].Features = nil
		}
		return cs
	}
	pays := func(c agent.Candidate) bool { return c.Function == "alphaSum" }
	share := func(m *Model, role agent.Role) float64 { return paidShare(m, role, rows, pays, 7000) }
	solBefore, injBefore := share(tr.Model(), agent.Solver), share(tr.Model(), agent.Injector)
	src := &memSource{}
	for round := range 6 {
		banditFor(t, src, tr.Model(), agent.Solver, rows, pays, 8, 4, 1, uint64(400+round))
		if _, err := tr.Round(context.Background(), src); err != nil {
			t.Fatal(err)
		}
	}
	solAfter, injAfter := share(tr.Model(), agent.Solver), share(tr.Model(), agent.Injector)
	t.Logf("probability of an alphaSum row: solver %.3f → %.3f, injector %.3f → %.3f after %d versions",
		solBefore, solAfter, injBefore, injAfter, tr.Version())
	if solAfter < solBefore+0.25 {
		t.Errorf("the solver's training moved its own preference from %.3f to %.3f only", solBefore, solAfter)
	}
	if math.Abs(injAfter-injBefore) > 0.08 {
		t.Errorf("the solver's training moved the injector's preference for the same function from %.3f to %.3f", injBefore, injAfter)
	}
}

// paidShare is the probability m gives role's paying rows, averaged over 40 lists of 8 that rows makes
// (seeds from seed0).
func paidShare(m *Model, role agent.Role, rows func(n int, seed uint64) []agent.Candidate, pays func(agent.Candidate) bool,
	seed0 uint64) float64 {
	num := 0.0
	for k := range 40 {
		probe := rows(8, seed0+uint64(k))
		s, _ := m.Score(context.Background(), role, probe)
		lp := make([]float64, len(s))
		kernels.CPU{}.LogSoftmaxRagged(lp, s, nil, []int{0, len(s)})
		for i, c := range probe {
			if pays(c) {
				num += math.Exp(lp[i])
			}
		}
	}
	return num / 40
}

// TestInjectorPullHoldsItsPrior: two trainers learn from the same injector episodes, in which a "boundary"
// row pays and the arena's prior prefers "negate_condition" rows. Without the pull the learned scores take
// the choices far from the prior; with it (Objective.Pull) the injector still learns the paying rows, but its
// distance from the prior, KL(p ‖ softmax(prior)), stays a fraction of the free trainer's.
func TestInjectorPullHoldsItsPrior(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	free, pulled := smallTrainConfig(), smallTrainConfig()
	free.InjectorPull = 0 // pulled keeps the default
	trFree, err := NewTrainer(m, free)
	if err != nil {
		t.Fatal(err)
	}
	trPulled, err := NewTrainer(m, pulled)
	if err != nil {
		t.Fatal(err)
	}
	rows := func(n int, seed uint64) []agent.Candidate {
		cs := testCandidates(n, seed)
		for i := range cs {
			if cs[i].Operator == "negate_condition" {
				cs[i].Prior = 1
			}
		}
		return cs
	}
	pays := func(c agent.Candidate) bool { return c.Operator == "boundary" }
	src := &memSource{}
	for round := range 6 {
		// The behaviour is the untrained model, so both trainers see the same episodes.
		banditFor(t, src, m, agent.Injector, rows, pays, 8, 4, 1, uint64(500+round))
		for _, tr := range []*Trainer{trFree, trPulled} {
			if _, err := tr.Round(context.Background(), src); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := paidShare(m, agent.Injector, rows, pays, 9000)
	klFree, paidFree := priorKL(trFree.Model(), rows, 9000), paidShare(trFree.Model(), agent.Injector, rows, pays, 9000)
	klPulled, paidPulled := priorKL(trPulled.Model(), rows, 9000), paidShare(trPulled.Model(), agent.Injector, rows, pays, 9000)
	t.Logf("paying rows %.3f before; free: %.3f, KL from the prior %.3f; pulled (κ %g): %.3f, KL %.3f",
		before, paidFree, klFree, pulled.InjectorPull, paidPulled, klPulled)
	if klPulled > klFree/2 {
		t.Errorf("KL from the prior: %.3f with the pull, %.3f without; the pull must hold the injector near its prior", klPulled, klFree)
	}
	if paidPulled < before+0.05 {
		t.Errorf("with the pull the paying rows' probability went from %.3f to %.3f: the injector must still learn", before, paidPulled)
	}
}

// TestInjectorPullLeavesTheSolver: the pull is the injector's alone. A trainer that sees only solver
// episodes ends with the same weights, bit for bit, whatever InjectorPull is.
func TestInjectorPullLeavesTheSolver(t *testing.T) {
	m, _ := New(DefaultConfig, 1)
	src := &memSource{}
	var models []*Model
	for _, pull := range []float64{0, 3} {
		c := smallTrainConfig()
		c.InjectorPull = pull
		tr, err := NewTrainer(m, c)
		if err != nil {
			t.Fatal(err)
		}
		for round := range 3 {
			if len(models) == 0 { // the same episodes for both
				bandit(t, src, m, 4, 4, 2, uint64(600+round))
			}
			src := &memSource{groups: src.groups[:4*(round+1)], turns: src.turns}
			if _, err := tr.Round(context.Background(), src); err != nil {
				t.Fatal(err)
			}
		}
		models = append(models, tr.Model())
	}
	a, b := models[0].params.slices(), models[1].params.slices()
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("%s differs between InjectorPull 0 and 3 after solver-only training", paramNames[i])
		}
	}
}

// priorKL is the mean over 40 lists of 8 that rows makes (seeds from seed0) of KL(p ‖ softmax(prior)), p
// being the injector's choice distribution: m's scores plus each row's Prior, as the agent samples.
func priorKL(m *Model, rows func(n int, seed uint64) []agent.Candidate, seed0 uint64) float64 {
	sum := 0.0
	for k := range 40 {
		probe := rows(8, seed0+uint64(k))
		s, _ := m.Score(context.Background(), agent.Injector, probe)
		prior := make([]float64, len(probe))
		for i, c := range probe {
			s[i] += c.Prior
			prior[i] = c.Prior
		}
		lp, lq := make([]float64, len(s)), make([]float64, len(s))
		kernels.CPU{}.LogSoftmaxRagged(lp, s, nil, []int{0, len(s)})
		kernels.CPU{}.LogSoftmaxRagged(lq, prior, nil, []int{0, len(s)})
		for i := range lp {
			sum += math.Exp(lp[i]) * (lp[i] - lq[i])
		}
	}
	return sum / 40
}
