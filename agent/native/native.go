package native

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/selfplay-swe/ssr/agent"
)

// ErrNoCandidates is returned by Choose when there is nothing to choose from.
var ErrNoCandidates = errors.New("native: no candidates to choose from")

// Agent is the native agent. It is safe for concurrent use: one Agent plays every episode of a job.
type Agent struct {
	scorer Scorer
	mu     sync.Mutex
	rng    *rand.Rand
}

var _ agent.Agent = (*Agent)(nil)

// New returns a native agent that scores with s (Uniform when nil) and samples with seed.
func New(s Scorer, seed uint64) *Agent {
	if s == nil {
		s = Uniform{}
	}
	return &Agent{scorer: s, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Name names the agent in episodes.
func (n *Agent) Name() string { return "native" }

// PolicyVersion is the version of the weights that act.
func (n *Agent) PolicyVersion() int64 { return n.scorer.Version() }

// Structured is true: the native agent acts over the arena's candidates.
func (n *Agent) Structured() bool { return true }

// Act chooses the next action of the episode from what its history says.
func (n *Agent) Act(ctx context.Context, obs *agent.Observation) (agent.Action, error) {
	switch obs.Task.Role {
	case agent.Injector:
		return n.inject(ctx, obs)
	case agent.Solver:
		return n.solve(ctx, obs)
	}
	return agent.Action{}, fmt.Errorf("native: unknown role %q", obs.Task.Role)
}

// Choose samples one of rows from the softmax of the scorer's scores plus each row's Prior, and returns the
// decision.
func (n *Agent) Choose(ctx context.Context, role agent.Role, rows []agent.Candidate) (*agent.Decision, error) {
	probs, err := Probabilities(ctx, n.scorer, role, rows)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	u := n.rng.Float64()
	n.mu.Unlock()
	k := len(rows) - 1
	acc := 0.0
	for i, p := range probs {
		acc += p
		if u < acc {
			k = i
			break
		}
	}
	return &agent.Decision{Rows: rows, Chosen: k, LogProb: math.Log(probs[k]), PolicyVersion: n.scorer.Version()}, nil
}

// Probabilities is the policy the native agent samples from: the softmax over rows of s's scores plus each
// row's Prior.
func Probabilities(ctx context.Context, s Scorer, role agent.Role, rows []agent.Candidate) ([]float64, error) {
	if len(rows) == 0 {
		return nil, ErrNoCandidates
	}
	scores, err := s.Score(ctx, role, rows)
	if err != nil {
		return nil, fmt.Errorf("native: score %d %s candidates: %w", len(rows), role, err)
	}
	if len(scores) != len(rows) {
		return nil, fmt.Errorf("native: the scorer gave %d scores for %d candidates", len(scores), len(rows))
	}
	logits := make([]float64, len(scores))
	for i, sc := range scores {
		logits[i] = sc + rows[i].Prior // the trainer adds the same prior when it recomputes the probability
	}
	return softmax(logits), nil
}

// apply is the action that carries out candidate index of the observation, recording the decision.
func apply(index int, d *agent.Decision) agent.Action {
	return agent.Action{Tool: agent.ToolApply, Candidate: index, Decision: d}
}

// chosen is the candidate an apply turn carried out, as its decision recorded it.
func chosen(t agent.Turn) (agent.Candidate, bool) {
	d := t.Action.Decision
	if t.Action.Tool != agent.ToolApply || d == nil || d.Chosen < 0 || d.Chosen >= len(d.Rows) {
		return agent.Candidate{}, false
	}
	return d.Rows[d.Chosen], true
}
