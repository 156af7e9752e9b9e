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

// The injector's site history: features on each candidate from the recent bugs in its function, so that a
// trained injector can follow the solver. Its reward is highest for a bug solved sometimes but rarely, and a
// function's bugs drift from never solved to always solved as the solver learns it (the first make learn
// with the spread prior: 9 of 22 first-half bugs never solved, 4 in between; 5 of 19 and 1 in the second
// half), which the site's tokens alone cannot show. A function with no recent bug carries none of them.
//
//	site_bugs     the recent bugs that changed the function (what the prior counts)
//	site_reward   their mean injector reward, over those evaluated to the end
//	site_middle   the share of those solved sometimes but not always
const (
	featSiteBugs   = "site_bugs"
	featSiteReward = "site_reward"
	featSiteMiddle = "site_middle"
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
// by store.SiteKey) and gives it that function's site-history features.
func spread(cs []candidate, crowded map[string]store.SiteRecord) []candidate {
	if len(crowded) == 0 {
		return cs
	}
	out := withFeatures(cs, func(c *candidate) map[string]float64 {
		r := crowded[store.SiteKey(c.File, c.Function)]
		if r.Bugs == 0 {
			return nil
		}
		f := map[string]float64{featSiteBugs: float64(r.Bugs)}
		if r.Done > 0 {
			f[featSiteReward], f[featSiteMiddle] = r.MeanReward(), r.MiddleShare()
		}
		return f
	})
	for i := range out {
		out[i].Prior -= spreadPrior * float64(crowded[store.SiteKey(out[i].File, out[i].Function)].Bugs)
	}
	return out
}
