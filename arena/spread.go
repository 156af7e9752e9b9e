package arena

import (
	"context"
	"fmt"
	"math"

	"github.com/selfplay-swe/ssr/arena/store"
)

// The native injector's spread. A trained injector settles where its rewards were good: one learning job put
// 21 of its choices into semver's Compare and 15 into Money.__sub__ (docs/policy.md, "Across jobs"), and a
// solver trained on a few functions learns those functions, not the repository. So each injector candidate
// gets a fixed Prior from the repository's last spreadWindow bugs in this job, in two parts that add up.
//
// By function: lowered for every one of those bugs that changed the same function of the same file, by how
// that bug's attempts ended:
//
//	the bug's attempts                   its function's prior   why
//	all succeeded (solve rate 1)         −solvedPrior           the solver has learnt it: another bug
//	                                                            there teaches nothing and earns −α
//	none succeeded, or not all finished  −spreadPrior           spread (maybe still beyond the solver)
//	some but not all succeeded           0                      the injector is rewarded, the solver learns
//
// By operator: the solver's skill carries across functions by operator. With the function part alone, make
// learn's injector chose arithmetic_swap for 26 of its 46 mutations (uniform: 5.7), and that operator's bugs
// went from mostly solved sometimes to mostly always solved as the solver caught up, in functions with no
// earlier bug (docs/policy.md, "Across jobs"). So each operator's prior is the log of how much likelier its
// recent bugs were to end strictly between 0 and 1 than an operator with no record, with one pseudo-bug on
// each side: log(2(b+1)/(n+2)), for b such bugs among the operator's last n ≤ operatorWindow finished ones.
// No record gives 0; four always (or never) solved give log(1/3) ≈ −1.1, eight give log(1/5) ≈ −1.6; four
// solved sometimes give +0.5. A bug counts once for each operator it applied.
//
// The prior is outside the model, so training cannot remove it, though a learned score can outweigh it. A
// function with no recent bug costs nothing; one whose last two bugs were always solved is e² ≈ 7 times less
// likely than the policy alone would make it. With a flat −0.5 a bug, make learn's injector drifted toward
// bugs the solver always solves (27% of its finished bugs in the first half, 37% in the second); with the
// function part by outcome it drifted all the same (21% to 41%), which is why the operator part exists.
const (
	spreadWindow   = 50
	spreadPrior    = 0.5
	solvedPrior    = 1.0
	operatorWindow = 8
)

// Crowding is the spread prior of an injector episode's candidates: by site (store.SiteKey) and by mutation
// operator, each added to the Prior of the candidates it names. The zero Crowding adds nothing.
type Crowding struct {
	Sites     map[string]float64
	Operators map[string]float64
}

// planSpread fills a mutation plan's Crowded from the job's recent bugs on repo.
func (r *Runner) planSpread(ctx context.Context, repo *Repo, plan *InjectPlan) error {
	bugs, err := r.Store.JobBugSites(ctx, r.job(), repo.Name, spreadWindow)
	if err != nil {
		return fmt.Errorf("spread: %w", err)
	}
	plan.Crowded = crowding(bugs)
	return nil
}

// crowding is the prior that bugs (newest first, as store.JobBugSites lists them) give each site, summed over
// the bugs that changed it, and each operator, from its last operatorWindow finished bugs.
func crowding(bugs []store.BugSites) Crowding {
	out := Crowding{Sites: map[string]float64{}, Operators: map[string]float64{}}
	seen, between := map[string]int{}, map[string]int{}
	for _, b := range bugs {
		end := b.Outcome()
		mid := end == store.SolvedSometimes
		if end != store.Unfinished {
			counted := map[string]bool{}
			for _, op := range b.Operators {
				if op == "" || counted[op] || seen[op] == operatorWindow {
					continue
				}
				counted[op] = true
				seen[op]++
				if mid {
					between[op]++
				}
			}
		}
		if mid {
			continue
		}
		p := -spreadPrior
		if end == store.SolvedAlways {
			p = -solvedPrior
		}
		for _, k := range b.Sites {
			out.Sites[k] += p
		}
	}
	for op, n := range seen {
		out.Operators[op] = math.Log(2 * float64(between[op]+1) / float64(n+2))
	}
	return out
}

// spread adds to the Prior of each candidate its function's and its operator's crowding.
func spread(cs []candidate, crowded Crowding) []candidate {
	if len(crowded.Sites) == 0 && len(crowded.Operators) == 0 {
		return cs
	}
	out := make([]candidate, len(cs))
	for i, c := range cs {
		out[i] = c
		out[i].Prior += crowded.Sites[store.SiteKey(c.File, c.Function)] + crowded.Operators[c.Operator]
	}
	return out
}
