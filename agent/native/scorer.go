package native

import (
	"context"
	"math"

	"github.com/selfplay-swe/ssr/agent"
)

// Scorer scores candidates for a role; the shared policy implements it. Higher is likelier.
type Scorer interface {
	Score(ctx context.Context, role agent.Role, cands []agent.Candidate) ([]float64, error)
	// Version is the policy version whose weights score (0: untrained).
	Version() int64
}

// Uniform is the scorer of an untrained policy: every candidate alike.
type Uniform struct{}

// Score gives every candidate 0.
func (Uniform) Score(_ context.Context, _ agent.Role, cands []agent.Candidate) ([]float64, error) {
	return make([]float64, len(cands)), nil
}

// Version is 0: no trained weights.
func (Uniform) Version() int64 { return 0 }

// softmax turns scores into probabilities; NaN scores get 0, and scores that are all -Inf a uniform choice.
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
