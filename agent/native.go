package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Role is the part an agent plays.
type Role string

// Roles.
const (
	Injector Role = "injector"
	Solver   Role = "solver"
)

// Candidate is one action the native agent may take, as the arena built it.
type Candidate struct {
	Kind        string             `json:"kind"` // mutation, removal, history, edit
	File        string             `json:"file"`
	Line        int                `json:"line,omitempty"`
	Node        string             `json:"node,omitempty"`
	Operator    string             `json:"operator,omitempty"`
	Function    string             `json:"function,omitempty"`
	Commit      string             `json:"commit,omitempty"` // history: the commit whose change is reverted
	Description string             `json:"description"`
	Features    map[string]float64 `json:"features,omitempty"` // what a trained policy may weigh
}

// Scorer scores candidates for a role; the shared policy implements it. Higher is likelier.
type Scorer interface {
	Score(ctx context.Context, role Role, cands []Candidate) ([]float64, error)
	// Version is the policy version whose weights score (0: untrained).
	Version() int64
}

// Uniform is the scorer of an untrained policy: every candidate alike.
type Uniform struct{}

// Score gives every candidate 0.
func (Uniform) Score(_ context.Context, _ Role, cands []Candidate) ([]float64, error) {
	return make([]float64, len(cands)), nil
}

// Version is 0: no trained weights.
func (Uniform) Version() int64 { return 0 }

// ErrNoCandidates is returned by Choose when there is nothing to choose from.
var ErrNoCandidates = errors.New("agent: no candidates to choose from")

// Native is the structured-action agent: it samples a candidate from the softmax of the scorer's scores.
// It is safe for concurrent use.
type Native struct {
	scorer Scorer
	mu     sync.Mutex
	rng    *rand.Rand
}

// NewNative returns a native agent that scores with s (Uniform when nil) and samples with seed.
func NewNative(s Scorer, seed uint64) *Native {
	if s == nil {
		s = Uniform{}
	}
	return &Native{scorer: s, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Name names the agent in episodes.
func (n *Native) Name() string { return "native" }

// PolicyVersion is the version of the weights that act.
func (n *Native) PolicyVersion() int64 { return n.scorer.Version() }

// Choose picks one candidate for role and returns its index.
func (n *Native) Choose(ctx context.Context, role Role, cands []Candidate) (int, error) {
	if len(cands) == 0 {
		return 0, ErrNoCandidates
	}
	scores, err := n.scorer.Score(ctx, role, cands)
	if err != nil {
		return 0, fmt.Errorf("agent: score %d %s candidates: %w", len(cands), role, err)
	}
	if len(scores) != len(cands) {
		return 0, fmt.Errorf("agent: scorer gave %d scores for %d candidates", len(scores), len(cands))
	}
	probs := softmax(scores)
	n.mu.Lock()
	u := n.rng.Float64()
	n.mu.Unlock()
	acc := 0.0
	for i, p := range probs {
		acc += p
		if u < acc {
			return i, nil
		}
	}
	return len(cands) - 1, nil
}

// Intn draws a uniform integer in [0, k) from the agent's generator (for choices that are not policy
// decisions, such as how many sites to mutate).
func (n *Native) Intn(k int) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rng.IntN(k)
}

func softmax(xs []float64) []float64 {
	maxv := math.Inf(-1)
	for _, x := range xs {
		if !math.IsNaN(x) && x > maxv {
			maxv = x
		}
	}
	out := make([]float64, len(xs))
	sum := 0.0
	for i, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		out[i] = math.Exp(x - maxv)
		sum += out[i]
	}
	if sum == 0 || math.IsInf(maxv, 0) {
		for i := range out {
			out[i] = 1 / float64(len(out))
		}
		return out
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
