package arena

import (
	"context"
	"fmt"

	"github.com/selfplay-swe/ssr/arena/store"
)

// The native injector's spread. A trained injector settles where its rewards were good: one learning job put
// 21 of its choices into semver's Compare and 15 into Money.__sub__ (docs/policy.md, "Across jobs"), and a
// solver trained on a few functions learns those functions, not the repository. So each injector candidate
// gets a fixed Prior of −spreadPrior for every one of the repository's last spreadWindow bugs (in this job)
// that changed the same function of the same file. The prior is outside the model, so training cannot
// remove it, though a learned score can outweigh it (the first make learn with it still put 27 of 65
// sites into three functions: docs/learning.md); a function with no recent bug costs nothing, and one that
// has had four is e² ≈ 7 times less likely than the policy alone would make it.
const (
	spreadWindow = 50
	spreadPrior  = 0.5
)

// planSpread fills a mutation plan's Crowded from the job's recent bugs on repo.
func (r *Runner) planSpread(ctx context.Context, repo *Repo, plan *InjectPlan) error {
	crowded, err := r.Store.RecentBugSites(ctx, r.job(), repo.Name, spreadWindow)
	if err != nil {
		return fmt.Errorf("spread: %w", err)
	}
	plan.Crowded = crowded
	return nil
}

// spread lowers the Prior of each candidate by spreadPrior for every recent bug in its function (crowded,
// by store.SiteKey).
func spread(cs []candidate, crowded map[string]int) []candidate {
	if len(crowded) == 0 {
		return cs
	}
	out := make([]candidate, len(cs))
	for i, c := range cs {
		out[i] = c
		if n := crowded[store.SiteKey(c.File, c.Function)]; n > 0 {
			out[i].Prior -= spreadPrior * float64(n)
		}
	}
	return out
}
