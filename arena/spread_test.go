package arena

import (
	"maps"
	"math"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
)

// TestCrowding: a recent bug lowers its sites' prior by solvedPrior when every attempt solved it, by
// spreadPrior when none did or it is still being solved, and not at all when some did, even before the rest
// are evaluated; a bug with two sites counts at each.
func TestCrowding(t *testing.T) {
	f, g, m := store.SiteKey("a.py", "f"), store.SiteKey("a.py", "g"), store.SiteKey("b.py", "")
	bugs := []store.BugSites{
		{Bug: "always", Sites: []string{f}, Done: true, SolveRate: 1},
		{Bug: "never", Sites: []string{f, g}, Done: true, SolveRate: 0},
		{Bug: "pending", Sites: []string{g}, Failed: 2},
		{Bug: "between", Sites: []string{m}, Done: true, SolveRate: 0.5},
		{Bug: "settled", Sites: []string{f, m}, Solved: 1, Failed: 1}, // a third attempt still running
		{Bug: "code", Done: true, SolveRate: 1},                       // an agent that writes code: no sites
	}
	want := map[string]float64{f: -solvedPrior - spreadPrior, g: -2 * spreadPrior}
	if got := crowding(bugs).Sites; !maps.Equal(got, want) {
		t.Errorf("crowding by site = %v, want %v", got, want)
	}
	if got := crowding(bugs[3:]).Sites; len(got) != 0 {
		t.Errorf("crowding of bugs solved sometimes = %v, want none", got)
	}
}

// TestCrowdingOperators: an operator's prior is log(p_op/p) over its newest operatorWindow settled bugs, b
// of n solved sometimes, against the window's B of N: p = (B+1)/(N+2), p_op = (b + m·p)/(n + m). Unsettled
// bugs, empty operators and a second application of the same operator in one bug do not count, and an
// operator with no settled bug gets no prior.
func TestCrowdingOperators(t *testing.T) {
	done := func(rate float64, ops ...string) store.BugSites {
		return store.BugSites{Done: true, SolveRate: rate, Operators: ops}
	}
	var bugs []store.BugSites // newest first
	for range operatorWindow {
		bugs = append(bugs, done(1, "swap"))
	}
	bugs = append(bugs, done(0.5, "swap"), done(0.5, "swap")) // older than swap's window, but in the repo's
	bugs = append(bugs,
		done(0.25, "cmp", "cmp", "neg"), // counts once for cmp
		done(0, "cmp"),
		store.BugSites{Operators: []string{"cmp", "pend"}, Solved: 2},        // not settled
		store.BugSites{Operators: []string{"neg", ""}, Solved: 1, Failed: 2}, // settled in the middle
	)
	p := (4.0 + 1) / (13 + 2) // 4 of 13 settled bugs in the middle
	prior := func(b, n float64) float64 { return math.Log((b + operatorPseudo*p) / ((n + operatorPseudo) * p)) }
	want := map[string]float64{
		"swap": prior(0, operatorWindow),
		"cmp":  prior(1, 2),
		"neg":  prior(2, 2),
	}
	got := crowding(bugs).Operators
	if len(got) != len(want) {
		t.Errorf("crowding by operator = %v, want %v", got, want)
	}
	for op, w := range want {
		if math.Abs(got[op]-w) > 1e-12 {
			t.Errorf("operator %s: prior %g, want %g", op, got[op], w)
		}
	}
	if got["swap"] >= got["cmp"] || got["cmp"] >= got["neg"] || got["cmp"] <= 0 {
		t.Errorf("an operator whose bugs were always solved should rank below one solved sometimes, and one above the repository's rate above one never tried: %v", got)
	}
}

// TestCrowdingOperatorsAtTheRepositoryRate: an operator whose bugs end in the middle as often as the
// repository's do ranks with one never tried, not below it; one always-solved bug alone gives log(2/3).
func TestCrowdingOperatorsAtTheRepositoryRate(t *testing.T) {
	var bugs []store.BugSites
	for i := range 40 { // a quarter in the middle, for each of two operators
		rate := 1.0
		if i%4 == 0 {
			rate = 0.5
		}
		bugs = append(bugs, store.BugSites{Done: true, SolveRate: rate, Operators: []string{[]string{"neg", "swap"}[i/4%2]}})
	}
	got := crowding(bugs).Operators
	for _, op := range []string{"neg", "swap"} {
		// Each operator's last 8: two in the middle; the repository's 10 of 40.
		p := 11.0 / 42
		if w := math.Log((2 + 2*p) / (10 * p)); math.Abs(got[op]-w) > 1e-12 || math.Abs(got[op]) > 0.1 {
			t.Errorf("operator %s at the repository's rate: prior %g, want %g, near 0", op, got[op], w)
		}
	}
	alone := crowding([]store.BugSites{{Done: true, SolveRate: 1, Operators: []string{"swap"}}}).Operators["swap"]
	if w := math.Log(2.0 / 3); math.Abs(alone-w) > 1e-12 { // p = 1/3: (0 + 2p)/((1 + 2)p)
		t.Errorf("one always-solved bug, alone: prior %g, want %g", alone, w)
	}
}

// TestSpread: a candidate's prior gains its function's and its operator's crowding, whatever else it
// carries; other candidates and the given slice (the site cache's) are left as they were.
func TestSpread(t *testing.T) {
	cs := []candidate{
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 1}},
		{Candidate: agent.Candidate{File: "a.py", Function: "f", Line: 2, Operator: "arithmetic_swap", Prior: 0.25}},
		{Candidate: agent.Candidate{File: "b.py", Function: "f", Line: 1}}, // same function name, other file
		{Candidate: agent.Candidate{File: "a.py", Line: 9}},                // module level
	}
	crowded := Crowding{
		Sites:     map[string]float64{store.SiteKey("a.py", "f"): -1.5, store.SiteKey("a.py", ""): -0.5},
		Operators: map[string]float64{"arithmetic_swap": -1},
	}
	got := spread(cs, crowded)
	want := []float64{-1.5, 0.25 - 1.5 - 1, 0, -0.5}
	for i, c := range got {
		if math.Abs(c.Prior-want[i]) > 1e-12 {
			t.Errorf("candidate %d (%s %s) prior %g, want %g", i, c.File, c.Function, c.Prior, want[i])
		}
	}
	if cs[0].Prior != 0 || cs[1].Prior != 0.25 {
		t.Errorf("spread changed the candidates it was given: %g, %g", cs[0].Prior, cs[1].Prior)
	}
	if out := spread(cs, Crowding{}); &out[0] != &cs[0] {
		t.Error("without recent bugs spread should hand back the candidates as they are")
	}
}
