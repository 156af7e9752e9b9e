package arena

import (
	"maps"
	"math"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
)

// TestCrowding: a recent bug lowers its sites' prior by solvedPrior when every attempt solved it, by
// spreadPrior when none did or it is still being solved, and not at all when some did; a bug with two sites
// counts at each.
func TestCrowding(t *testing.T) {
	f, g, m := store.SiteKey("a.py", "f"), store.SiteKey("a.py", "g"), store.SiteKey("b.py", "")
	bugs := []store.BugSites{
		{Bug: "always", Sites: []string{f}, Done: true, SolveRate: 1},
		{Bug: "never", Sites: []string{f, g}, Done: true, SolveRate: 0},
		{Bug: "pending", Sites: []string{g}},
		{Bug: "between", Sites: []string{m}, Done: true, SolveRate: 0.5},
		{Bug: "code", Done: true, SolveRate: 1}, // an agent that writes code: no sites
	}
	want := map[string]float64{f: -solvedPrior - spreadPrior, g: -2 * spreadPrior}
	if got := crowding(bugs); !maps.Equal(got, want) {
		t.Errorf("crowding = %v, want %v", got, want)
	}
	if got := crowding(bugs[3:]); len(got) != 0 {
		t.Errorf("crowding of bugs solved sometimes = %v, want none", got)
	}
}

// TestSpread: a candidate's prior gains its function's crowding, whatever else it carries; other candidates
// and the given slice (the site cache's) are left as they were.
func TestSpread(t *testing.T) {
	cs := []candidate{
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 1}},
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 2, Prior: 0.25}},
		{Candidate: agent.Candidate{File: "b.py", Function: "f", Line: 1}}, // same function name, other file
		{Candidate: agent.Candidate{File: "a.py", Line: 9}},                // module level
	}
	crowded := map[string]float64{store.SiteKey("a.py", "f"): -1.5, store.SiteKey("a.py", ""): -0.5}
	got := spread(cs, crowded)
	want := []float64{-1.5, 0.25 - 1.5, 0, -0.5}
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
