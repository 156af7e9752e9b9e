package native

import (
	"context"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

func turn(tool string, res agent.Result) agent.Turn {
	return agent.Turn{Action: agent.Action{Tool: tool}, Result: res}
}

func applied(c agent.Candidate, res agent.Result) agent.Turn {
	return agent.Turn{Action: agent.Action{Tool: agent.ToolApply, Decision: &agent.Decision{Rows: []agent.Candidate{c}}}, Result: res}
}

var (
	candA = agent.Candidate{Kind: "edit", File: "ledger/money.py", Line: 64, Operator: "arithmetic_swap", Function: "Money.__add__"}
	candB = agent.Candidate{Kind: "edit", File: "ledger/other.py", Line: 3, Operator: "comparison_flip", Function: "helper"}
)

// TestInjectorPolicy: apply the drawn number of sites, run the tests, submit when tests broke, else revert
// and try again while turns remain.
func TestInjectorPolicy(t *testing.T) {
	ok := agent.Result{}
	tests := map[string]struct {
		sites, left int
		history     []agent.Turn
		cands       []agent.Candidate
		want        string
	}{
		"first site":                      {sites: 2, left: 10, cands: []agent.Candidate{candA, candB}, want: agent.ToolApply},
		"second site":                     {sites: 2, left: 9, history: []agent.Turn{applied(candA, ok)}, cands: []agent.Candidate{candB}, want: agent.ToolApply},
		"a refused apply does not count":  {sites: 1, left: 9, history: []agent.Turn{applied(candA, agent.Result{Error: "refused"})}, cands: []agent.Candidate{candB}, want: agent.ToolApply},
		"every site applied: run":         {sites: 2, left: 8, history: []agent.Turn{applied(candA, ok), applied(candB, ok)}, want: agent.ToolRunTests},
		"tests broke: submit":             {sites: 1, left: 8, history: []agent.Turn{applied(candA, ok), turn(agent.ToolRunTests, agent.Result{Broken: 2})}, want: agent.ToolSubmit},
		"nothing broke: revert":           {sites: 1, left: 8, history: []agent.Turn{applied(candA, ok), turn(agent.ToolRunTests, ok)}, want: agent.ToolRevert},
		"nothing broke, no turns: submit": {sites: 1, left: 3, history: []agent.Turn{applied(candA, ok), turn(agent.ToolRunTests, ok)}, want: agent.ToolSubmit},
		"after a revert: apply again": {sites: 1, left: 6, cands: []agent.Candidate{candA},
			history: []agent.Turn{applied(candA, ok), turn(agent.ToolRunTests, ok), turn(agent.ToolRevert, ok)}, want: agent.ToolApply},
		"no candidates: submit":   {sites: 1, left: 6, want: agent.ToolSubmit},
		"the last turn is submit": {sites: 1, left: 1, cands: []agent.Candidate{candA}, want: agent.ToolSubmit},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			obs := &agent.Observation{Task: agent.Task{Role: agent.Injector, Sites: tc.sites}, TurnsLeft: tc.left, History: tc.history, Candidates: tc.cands}
			act, err := New(nil, 1).Act(context.Background(), obs)
			if err != nil {
				t.Fatal(err)
			}
			if act.Tool != tc.want {
				t.Fatalf("action %+v, want %s", act, tc.want)
			}
			if act.Tool == agent.ToolApply {
				d := act.Decision
				if d == nil || len(d.Rows) != len(tc.cands) || d.Rows[d.Chosen].Key() != tc.cands[act.Candidate].Key() || d.LogProb >= 0.001 {
					t.Fatalf("decision %+v for candidate %d: want the rows, the chosen one and its log-probability", d, act.Candidate)
				}
			}
		})
	}
}

// TestSolverPolicy: write the spec's tests back, run them, try edits ranked by the output, keep an edit that
// lowers the failures, revert one that does not, and hand in the last harmless edit when nothing helped.
func TestSolverPolicy(t *testing.T) {
	ok := agent.Result{}
	first := turn(agent.ToolRunTests, agent.Result{Failing: 2, Output: "FAILED tests/test_money.py::test_add_and_subtract money.py",
		Tests: map[string]string{"tests/test_money.py::test_add_and_subtract": "failed"}})
	start := []agent.Turn{turn(agent.ToolBash, ok), first}
	with := func(ts ...agent.Turn) []agent.Turn { return append(append([]agent.Turn{}, start...), ts...) }
	tests := map[string]struct {
		left      int
		history   []agent.Turn
		wantTool  string
		wantCand  *agent.Candidate
		wantInCmd string
	}{
		"write the spec back":      {left: 20, wantTool: agent.ToolBash, wantInCmd: "git apply"},
		"first run":                {left: 19, history: start[:1], wantTool: agent.ToolRunTests},
		"the best-ranked edit":     {left: 18, history: start, wantTool: agent.ToolApply},
		"run the edit":             {left: 17, history: with(applied(candA, ok)), wantTool: agent.ToolRunTests},
		"fewer failures: keep":     {left: 16, history: with(applied(candA, ok), turn(agent.ToolRunTests, agent.Result{Failing: 1})), wantTool: agent.ToolKeep},
		"as many failures: revert": {left: 16, history: with(applied(candA, ok), turn(agent.ToolRunTests, agent.Result{Failing: 2})), wantTool: agent.ToolRevert},
		"an edit is not tried twice": {left: 15, history: with(applied(candA, ok), turn(agent.ToolRunTests, agent.Result{Failing: 2}), turn(agent.ToolRevert, ok)),
			wantTool: agent.ToolApply, wantCand: &candB},
		"out of turns: the best guess": {left: 4, history: with(applied(candA, ok), turn(agent.ToolRunTests, agent.Result{Failing: 2}), turn(agent.ToolRevert, ok)),
			wantTool: agent.ToolApply, wantCand: &candA},
		"the best guess is handed in untested": {left: 10, history: with(applied(candA, ok), turn(agent.ToolRunTests, agent.Result{Failing: 2}), turn(agent.ToolRevert, ok),
			applied(candA, ok)), wantTool: agent.ToolSubmit},
		"all pass: submit": {left: 10, history: with(applied(candA, ok), turn(agent.ToolRunTests, agent.Result{Failing: 0}), turn(agent.ToolKeep, ok)), wantTool: agent.ToolSubmit},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			obs := &agent.Observation{Task: agent.Task{Role: agent.Solver, Spec: "--- a/t.py\n+++ b/t.py\n"}, TurnsLeft: tc.left,
				History: tc.history, Candidates: []agent.Candidate{candB, candA}}
			act, err := New(nil, 1).Act(context.Background(), obs)
			if err != nil {
				t.Fatal(err)
			}
			if act.Tool != tc.wantTool || !strings.Contains(act.Command, tc.wantInCmd) {
				t.Fatalf("action %+v, want %s", act, tc.wantTool)
			}
			if tc.wantCand != nil && obs.Candidates[act.Candidate].Key() != tc.wantCand.Key() {
				t.Fatalf("applied %+v, want %+v", obs.Candidates[act.Candidate], *tc.wantCand)
			}
			if act.Tool == agent.ToolApply && (act.Decision == nil || act.Decision.Rows[act.Decision.Chosen].File != obs.Candidates[act.Candidate].File) {
				t.Fatalf("decision %+v does not record candidate %d", act.Decision, act.Candidate)
			}
		})
	}
}
