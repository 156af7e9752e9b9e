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
//	none succeeded, or not yet settled   −spreadPrior           spread (maybe still beyond the solver)
//	some but not all succeeded           0                      the injector is rewarded, the solver learns
//
// By operator: the solver's skill carries across functions by operator. With the function part alone, make
// learn's injector chose arithmetic_swap for 26 of its 46 mutations (uniform: 5.7), and that operator's bugs
// went from mostly solved sometimes to mostly always solved as the solver caught up, in functions with no
// earlier bug (docs/policy.md, "Across jobs"). So each operator's prior is the log of how much likelier its
// recent bugs were to end strictly between 0 and 1 than the repository's recent bugs were:
//
//	log(p_op / p), with p = (B+1)/(N+2) and p_op = (b + m·p)/(n + m)
//
// for B such bugs among the window's N settled ones, b among the operator's last n ≤ operatorWindow settled
// ones, and m = operatorPseudo pseudo-bugs at the repository's rate. No record gives 0; an operator whose
// bugs end in the middle as often as the repository's do gives about 0 too, and one that does so more
// often, more. With p = 0.2: four always (or never) solved give ≈ −1.1, eight ≈ −1.6, two of eight in the
// middle +0.2, four of four +1.3. A bug counts once for each operator it applied.
// The reference used to be 1/2 whatever the repository's rate: then an operator at the job's usual rate (two
// of eight in the middle: −0.5) ranked below every operator not yet tried, and one make learn run's injector
// left negate_condition (9 of its 44 first-half bugs in the middle, the job's 10 of 55) for operators whose
// bugs the solver never solved (docs/policy.md).
//
// Both parts read how a bug ends as soon as its attempts decide it (store.BugSites.Settled): one solved and
// one failed attempt put it in the middle before the rest are evaluated.
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
	operatorPseudo = 2
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
// the bugs that changed it, and each operator, from its last operatorWindow settled bugs against all of them.
func crowding(bugs []store.BugSites) Crowding {
	out := Crowding{Sites: map[string]float64{}, Operators: map[string]float64{}}
	seen, between := map[string]int{}, map[string]int{}
	settled, middle := 0, 0
	for _, b := range bugs {
		end := b.Settled()
		mid := end == store.SolvedSometimes
		if end != store.Unfinished {
			settled++
			if mid {
				middle++
			}
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
	rate := float64(middle+1) / float64(settled+2)
	for op, n := range seen {
		out.Operators[op] = math.Log((float64(between[op]) + operatorPseudo*rate) / (float64(n+operatorPseudo) * rate))
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
