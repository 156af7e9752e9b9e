package policy

import (
	"context"
	"sync/atomic"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
)

// Live is a Scorer whose model can be swapped while agents use it: the trainer publishes a version, Set
// makes the next Score use it. It scores uniformly (version 0) until the first Set.
type Live struct {
	cur atomic.Pointer[Model]
}

var _ native.Scorer = (*Live)(nil)

// Set makes m the model that scores from now on.
func (l *Live) Set(m *Model) { l.cur.Store(m) }

// Current is the model in use, or nil before the first Set.
func (l *Live) Current() *Model { return l.cur.Load() }

// Score scores with the current model.
func (l *Live) Score(ctx context.Context, role agent.Role, cands []agent.Candidate) ([]float64, error) {
	if m := l.cur.Load(); m != nil {
		return m.Score(ctx, role, cands)
	}
	return native.Uniform{}.Score(ctx, role, cands)
}

// Version is the current model's version (0 before the first Set).
func (l *Live) Version() int64 {
	if m := l.cur.Load(); m != nil {
		return m.Version()
	}
	return 0
}
