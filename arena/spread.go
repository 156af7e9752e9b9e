package arena

import (
	"context"
	"fmt"

	"github.com/selfplay-swe/ssr/arena/store"
)

// The native injector's spread. A trained injector settles where its rewards were good: one learning job put
// 21 of its choices into semver's Compare and 15 into Money.__sub__ (docs/policy.md, "Across jobs"), and a
// solver trained on a few functions learns those functions, not the repository. So each injector candidate
// gets a fixed Prior, lowered for every one of the repository's last spreadWindow bugs (in this job) that
// changed the same function of the same file, by how that bug's attempts ended:
//
//	the bug's attempts                   its function's prior   why
//	all succeeded (solve rate 1)         −solvedPrior           the solver has learnt it: another bug
//	                                                            there teaches nothing and earns −α
//	none succeeded, or not all finished  −spreadPrior           spread (maybe still beyond the solver)
//	some but not all succeeded           0                      the injector is rewarded, the solver learns
//
// The prior is outside the model, so training cannot remove it, though a learned score can outweigh it. A
// function with no recent bug costs nothing; one whose last two bugs were always solved is e² ≈ 7 times less
// likely than the policy alone would make it. With a flat −0.5 a bug, make learn's injector drifted toward
// bugs the solver always solves (27% of its finished bugs in the first half, 37% in the second); with the
// outcome it drifted all the same (21% to 41%), because the solver's skill carries across functions by
// operator, which a prior by function cannot see (docs/policy.md, "Across jobs").
const (
	spreadWindow = 50
	spreadPrior  = 0.5
	solvedPrior  = 1.0
)

// planSpread fills a mutation plan's Crowded from the job's recent bugs on repo.
func (r *Runner) planSpread(ctx context.Context, repo *Repo, plan *InjectPlan) error {
	bugs, err := r.Store.JobBugSites(ctx, r.job(), repo.Name, spreadWindow)
	if err != nil {
		return fmt.Errorf("spread: %w", err)
	}
	plan.Crowded = crowding(bugs)
	return nil
}

// crowding is the prior each site of bugs carries (by store.SiteKey), summed over the bugs that changed it.
func crowding(bugs []store.BugSites) map[string]float64 {
	out := map[string]float64{}
	for _, b := range bugs {
		p := -spreadPrior
		switch {
		case b.Done && b.SolveRate >= 1:
			p = -solvedPrior
		case b.Done && b.SolveRate > 0:
			continue
		}
		for _, k := range b.Sites {
			out[k] += p
		}
	}
	return out
}

// spread adds to the Prior of each candidate its function's crowding (crowded, by store.SiteKey).
func spread(cs []candidate, crowded map[string]float64) []candidate {
	if len(crowded) == 0 {
		return cs
	}
	out := make([]candidate, len(cs))
	for i, c := range cs {
		out[i] = c
		out[i].Prior += crowded[store.SiteKey(c.File, c.Function)]
	}
	return out
}
