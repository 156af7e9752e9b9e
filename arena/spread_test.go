package arena

import (
	"math"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
)

// TestSpread: a candidate loses spreadPrior of prior for each recent bug in its file's function, whatever
// else it carries; other candidates and the given slice (the site cache's) are left as they were.
func TestSpread(t *testing.T) {
	cs := []candidate{
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 1}},
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 2, Prior: 0.25}},
		{Candidate: agent.Candidate{File: "b.py", Function: "f", Line: 1}}, // same function name, other file
		{Candidate: agent.Candidate{File: "a.py", Line: 9}},                // module level
	}
	crowded := map[string]int{store.SiteKey("a.py", "f"): 3, store.SiteKey("a.py", ""): 1}
	got := spread(cs, crowded)
	want := []float64{-3 * spreadPrior, 0.25 - 3*spreadPrior, 0, -spreadPrior}
	for i, c := range got {
		if math.Abs(c.Prior-want[i]) > 1e-12 {
			t.Errorf("candidate %d (%s %s) prior %g, want %g", i, c.File, c.Function, c.Prior, want[i])
		}
	}
	if cs[0].Prior != 0 || cs[1].Prior != 0.25 {
		t.Errorf("spread changed the candidates it was given: %g, %g", cs[0].Prior, cs[1].Prior)
	}
	if out := spread(cs, nil); &out[0] != &cs[0] {
		t.Error("without recent bugs spread should hand back the candidates as they are")
	}
}
