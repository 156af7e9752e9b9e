package policy

import (
	"context"

	"github.com/selfplay-swe/ssr/agent"
)

// Source is where the trainer reads finished, rewarded episodes. cmd/ssr implements it over the job's store
// (the reward_groups view and each episode's turns); the trainer knows nothing else of the store or arena.
type Source interface {
	// Groups returns every reward group of both roles: a bug's solver attempts, an injector batch per repo.
	// Groups and their members come in a stable order (the trainer's determinism depends on it).
	Groups(ctx context.Context) ([]Group, error)
	// Turns returns an episode's turns, whose apply actions carry the decisions trained on.
	Turns(ctx context.Context, episode string) ([]agent.Turn, error)
}

// Group is a set of rewarded episodes whose advantages are computed together.
type Group struct {
	Role    agent.Role `json:"role"`
	Key     string     `json:"key"`
	Members []Member   `json:"members"`
}

// Member is one rewarded episode of a group.
type Member struct {
	Episode       string  `json:"episode"`
	PolicyVersion int64   `json:"policy_version"` // the version that acted
	Reward        float64 `json:"reward"`
}
