package arena

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

// hindsightRules are memRules with fixed candidates and the solver's hindsight against goal.
type hindsightRules struct {
	memRules
	cands []candidate
	goal  map[string][]byte
}

func (r *hindsightRules) candidates(context.Context, *episode) ([]candidate, error) {
	return r.cands, nil
}
func (r *hindsightRules) fixes(ctx context.Context, e *episode, cands []candidate, d *agent.Decision) ([]int, error) {
	goal := func(p string) ([]byte, bool, error) { data, ok := r.goal[p]; return data, ok, nil }
	return (&solverRules{goal: goal}).fixes(ctx, e, cands, d)
}

// TestHindsightFindsTheFix: a bug turned `<` into `<=` on line 2. Of the rows the solver chose among, only
// the edit that gives `<` back is recorded as a fix; a wrong edit at the same line is not, an edit far from
// the changed line is not even applied, and the agent never sees the fixes in its history.
func TestHindsightFindsTheFix(t *testing.T) {
	goal := []byte("def f(a, b):\n    return a < b\n\n\n\n\nx = 1\n")
	buggy := bytes.Replace(goal, []byte("a < b"), []byte("a <= b"), 1)
	farApplied := 0
	swap := func(from, to string, counter *int) func(context.Context, []byte) ([]byte, string, string, error) {
		return func(_ context.Context, src []byte) ([]byte, string, string, error) {
			if counter != nil {
				*counter++
			}
			if !bytes.Contains(src, []byte(from)) {
				return nil, "", "no " + from + " here", nil
			}
			return bytes.Replace(src, []byte(from), []byte(to), 1), "", "", nil
		}
	}
	cands := []candidate{
		{Candidate: agent.Candidate{Kind: "edit", File: "m.py", Line: 2, Operator: "comparison_flip"}, change: swap("<=", ">", nil)},
		{Candidate: agent.Candidate{Kind: "edit", File: "m.py", Line: 7, Operator: "constant_off_by_one"}, change: swap("x = 1", "x = 2", &farApplied)},
		{Candidate: agent.Candidate{Kind: "edit", File: "m.py", Line: 2, Operator: "boundary_shift"}, change: swap("<=", "<", nil)},
		{Candidate: agent.Candidate{Kind: "edit", File: "m.py", Line: 1, Operator: "arithmetic_swap"}, change: swap("a, b", "a, a", nil)},
	}
	// The agent's rows come in its own order, not the arena's.
	rows := []agent.Candidate{cands[3].Candidate, cands[0].Candidate, cands[1].Candidate, cands[2].Candidate}
	dec := &agent.Decision{Rows: rows, Chosen: 1, LogProb: -1.2}
	ag := &scripted{structured: true, failAt: -1, actions: []agent.Action{
		{Tool: agent.ToolApply, Candidate: 0, Decision: dec},
		{Tool: agent.ToolSubmit},
	}}
	sb := &memSandbox{files: map[string][]byte{"m.py": buggy}}
	rules := &hindsightRules{cands: cands, goal: map[string][]byte{"m.py": goal}}
	base := func(p string) ([]byte, bool, error) { return buggy, p == "m.py", nil }
	e := &episode{id: "ep-test", ag: ag, sb: sb, rules: rules, ws: newWorkspace(sb, base), maxTurns: 4,
		task: agent.Task{Role: agent.Solver, Workdir: "/repo"}}
	if err := e.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := e.turns[0].Action.Decision
	if !slices.Equal(got.Fixes, []int{3}) {
		t.Errorf("fixes %v, want [3] (the boundary_shift row, the only one giving line 2 back)", got.Fixes)
	}
	if got.Chosen != 1 || got.LogProb != -1.2 || len(got.Rows) != 4 {
		t.Errorf("the recorded decision changed: %+v", got)
	}
	if dec.Fixes != nil {
		t.Errorf("the agent's own decision was written to: fixes %v", dec.Fixes)
	}
	if farApplied != 0 {
		t.Errorf("the edit at line 7, far from the changed line, was applied %d time(s) to check it", farApplied)
	}
	if h := ag.seen[1].History; len(h) != 1 || h[0].Action.Decision == nil || h[0].Action.Decision.Fixes != nil {
		t.Errorf("the agent's history at turn 1 shows the fixes: %+v", h)
	}
	if string(sb.files["m.py"]) != string(bytes.Replace(buggy, []byte("<="), []byte(">"), 1)) {
		t.Errorf("the chosen edit was not carried out: m.py = %q", sb.files["m.py"])
	}
}

func TestLineDistance(t *testing.T) {
	tests := []struct {
		a, b    string
		dist    int
		changed []int
	}{
		{"a\nb\nc\n", "a\nb\nc\n", 0, nil},
		{"a\nB\nc\n", "a\nb\nc\n", 2, []int{2}},
		{"A\nb\nC\n", "a\nb\nc\n", 4, []int{1, 3}},
		{"a\nc\n", "a\nb\nc\n", 1, nil},               // a line removed: none of a's lines differ, one of b's is missing
		{"a\nx\ny\nc\n", "a\nb\nc\n", 3, []int{2, 3}}, // two lines for one
	}
	for _, tc := range tests {
		dist, changed := lineDistance([]byte(tc.a), []byte(tc.b))
		if dist != tc.dist || !slices.Equal(changed, tc.changed) {
			t.Errorf("lineDistance(%q, %q) = %d, %v; want %d, %v", tc.a, tc.b, dist, changed, tc.dist, tc.changed)
		}
	}
}

// TestHindsightTellsSitesOnOneLineApart: three integer literals on one line give three candidates alike but
// for their column; only the one at the mutated literal is a fix.
func TestHindsightTellsSitesOnOneLineApart(t *testing.T) {
	goal := []byte("d = date(y + 1, 1, 1)\n")
	buggy := []byte("d = date(y + 1, 2, 1)\n")
	minusOne := func(col int) func(context.Context, []byte) ([]byte, string, string, error) {
		return func(_ context.Context, src []byte) ([]byte, string, string, error) {
			out := bytes.Clone(src)
			out[col-1]--
			return out, "", "", nil
		}
	}
	var cands []candidate
	for _, col := range []int{14, 17, 20} {
		cands = append(cands, candidate{Candidate: agent.Candidate{Kind: "edit", File: "p.py", Line: 1, Column: col, Node: "integer", Operator: "constant_minus_one"},
			change: minusOne(col)})
	}
	rows := []agent.Candidate{cands[2].Candidate, cands[0].Candidate, cands[1].Candidate}
	sb := &memSandbox{files: map[string][]byte{"p.py": buggy}}
	e := &episode{id: "ep-test", sb: sb, ws: newWorkspace(sb, func(string) ([]byte, bool, error) { return buggy, true, nil })}
	goalOf := func(string) ([]byte, bool, error) { return goal, true, nil }
	fixes, err := (&solverRules{goal: goalOf}).fixes(context.Background(), e, cands, &agent.Decision{Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fixes, []int{2}) {
		t.Errorf("fixes %v, want [2] (the literal at column 17)", fixes)
	}
}
