package arena

import (
	"maps"
	"math"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
)

// TestSpread: a candidate loses spreadPrior of prior for each recent bug in its file's function, whatever
// else it carries, and gets that function's site-history features (reward and middle share only once a bug
// there is done); other candidates and the given slice (the site cache's) are left as they were.
func TestSpread(t *testing.T) {
	cs := []candidate{
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 1, Features: map[string]float64{featCoveringTests: 2}}},
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 2, Prior: 0.25}},
		{Candidate: agent.Candidate{File: "b.py", Function: "f", Line: 1}}, // same function name, other file
		{Candidate: agent.Candidate{File: "a.py", Line: 9}},                // module level
	}
	crowded := map[string]store.SiteRecord{
		store.SiteKey("a.py", "f"): {Bugs: 3, Done: 2, Reward: 0.55 - 0.8, Middle: 1},
		store.SiteKey("a.py", ""):  {Bugs: 1},
	}
	got := spread(cs, crowded)
	want := []struct {
		prior float64
		feats map[string]float64
	}{
		{-3 * spreadPrior, map[string]float64{featCoveringTests: 2, featSiteBugs: 3, featSiteReward: -0.125, featSiteMiddle: 0.5}},
		{0.25 - 3*spreadPrior, map[string]float64{featSiteBugs: 3, featSiteReward: -0.125, featSiteMiddle: 0.5}},
		{0, nil},
		{-spreadPrior, map[string]float64{featSiteBugs: 1}},
	}
	for i, c := range got {
		if math.Abs(c.Prior-want[i].prior) > 1e-12 {
			t.Errorf("candidate %d (%s %s) prior %g, want %g", i, c.File, c.Function, c.Prior, want[i].prior)
		}
		if !maps.EqualFunc(c.Features, want[i].feats, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
			t.Errorf("candidate %d (%s %s) features %v, want %v", i, c.File, c.Function, c.Features, want[i].feats)
		}
	}
	if cs[0].Prior != 0 || cs[1].Prior != 0.25 || len(cs[0].Features) != 1 || cs[1].Features != nil {
		t.Errorf("spread changed the candidates it was given: %+v, %+v", cs[0].Candidate, cs[1].Candidate)
	}
	if out := spread(cs, nil); &out[0] != &cs[0] {
		t.Error("without recent bugs spread should hand back the candidates as they are")
	}
}
