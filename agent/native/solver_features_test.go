package native

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

func TestFrames(t *testing.T) {
	for name, c := range map[string]struct {
		output string
		want   []frame
	}{
		"python traceback": {`  File "/repo/ledger/money.py", line 42, in __add__`, []frame{{"ledger/money.py", 42}}},
		"pytest short":     {"ledger/money.py:17: in allocate\n    raise X", []frame{{"ledger/money.py", 17}}},
		"go test":          {"    semver_test.go:31: Compare(1.0, 2.0) = 1, want -1", []frame{{"semver_test.go", 31}}},
		"go panic":         {"\t/repo/semver/semver.go:88 +0x1d", []frame{{"semver/semver.go", 88}}},
		"none":             {"FAILED 3 tests", nil},
	} {
		if got := frames(c.output); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: frames = %v, want %v", name, got, c.want)
		}
	}
}

// solverHistory is a solver episode so far: the spec applied, the first run (4 failing), an edit at
// money.py:10 that left 4 failing (reverted), an edit at money.py:20 that brought it to 1 (kept), and an
// edit at other.py:5 that made it 3 (reverted).
func solverHistory() []agent.Turn {
	apply := func(c agent.Candidate) agent.Turn {
		return agent.Turn{Action: agent.Action{Tool: agent.ToolApply, Decision: &agent.Decision{Rows: []agent.Candidate{c}, Chosen: 0}}}
	}
	run := func(failing int) agent.Turn {
		return agent.Turn{Action: agent.Action{Tool: agent.ToolRunTests}, Result: agent.Result{Failing: failing,
			Tests:  map[string]string{"tests/test_money.py::test_add_and_subtract": "failed"},
			Output: "tests/test_money.py:12: in test_add_and_subtract\nledger/money.py:21: in __add__\n"}}
	}
	tool := func(name string) agent.Turn { return agent.Turn{Action: agent.Action{Tool: name}} }
	return []agent.Turn{
		tool(agent.ToolBash), run(4),
		apply(agent.Candidate{File: "ledger/money.py", Line: 10, Function: "Money.__add__", Operator: "comparison_flip"}), run(4), tool(agent.ToolRevert),
		apply(agent.Candidate{File: "ledger/money.py", Line: 20, Function: "Money.__add__", Operator: "arithmetic_swap"}), run(1), tool(agent.ToolKeep),
		apply(agent.Candidate{File: "ledger/other.py", Line: 5, Function: "helper", Operator: "boolean_swap"}), run(3), tool(agent.ToolRevert),
	}
}

func TestEditOutcomes(t *testing.T) {
	got := editOutcomes(solverHistory())
	want := []int{0, 3, -2} // 4→4 from 4; 4→1 from 4 (kept, best now 1); 1→3 from 1
	if len(got) != len(want) {
		t.Fatalf("%d edits, want %d", len(got), len(want))
	}
	for i, e := range got {
		if !e.known || e.delta != want[i] {
			t.Errorf("edit %d at %s:%d: delta %d (known %v), want %d", i, e.cand.File, e.cand.Line, e.delta, e.known, want[i])
		}
	}
}

// The solver's policy chooses among every untried candidate, each carrying the episode's features.
func TestSolverChoicesScoreEveryCandidateWithFeatures(t *testing.T) {
	var cands []agent.Candidate
	for line := 1; line <= 30; line++ {
		cands = append(cands, agent.Candidate{Kind: "edit", File: "ledger/money.py", Line: line, Function: "Money.__add__", Operator: "arithmetic_swap"})
		cands = append(cands, agent.Candidate{Kind: "edit", File: "ledger/periods.py", Line: line, Function: "split", Operator: "boundary_shift"})
	}
	h := solverHistory()
	obs := &agent.Observation{Task: agent.Task{Role: agent.Solver, Spec: "+++ b/tests/test_money.py\n+def test_add_and_subtract():\n+    assert Money(1) + Money(2) == Money(3)\n"},
		History: h, Candidates: cands, TurnsLeft: 20}
	st := solverStateOf(h)
	rows, index := New(nil, 1).choices(obs, st)
	// Three edits were tried; one of them is in the list (money.py:20's arithmetic_swap).
	if len(rows) != len(cands)-1 || len(index) != len(rows) {
		t.Fatalf("%d rows of %d candidates, want every untried one (%d)", len(rows), len(cands), len(cands)-1)
	}
	by := map[string]map[string]float64{}
	prior := map[string]int{} // function → shortlisted rows
	for i, r := range rows {
		if i > 0 && r.Features[featFilterRank] <= rows[i-1].Features[featFilterRank] {
			t.Errorf("row %d: filter_rank %v after %v: rows come in the filter's order, which the feature records", i, r.Features[featFilterRank], rows[i-1].Features[featFilterRank])
		}
		if !reflect.DeepEqual(cands[index[i]].File, r.File) || cands[index[i]].Line != r.Line {
			t.Fatalf("index %d maps to another candidate", i)
		}
		by[fmt.Sprintf("%s:%d", r.File, r.Line)] = r.Features
		if r.Prior != 0 {
			prior[r.Function]++
			if want := math.Log(shortlistMass / (1 - shortlistMass) * float64(len(rows)-6) / 6); math.Abs(r.Prior-want) > 1e-12 {
				t.Errorf("row %d: prior %v, want %v", i, r.Prior, want)
			}
		}
	}
	// The shortlist: at most 3 rows from each of the two functions, with the prior that makes them 90% of
	// the untrained policy's probability.
	if prior["Money.__add__"] != perFunction || prior["split"] != perFunction {
		t.Errorf("shortlisted rows per function: %v, want %d each", prior, perFunction)
	}
	at21, at30, far := by["ledger/money.py:21"], by["ledger/money.py:30"], by["ledger/periods.py:21"]
	if at21[featFrameSameFile] != 1 || at21[featFrameNear] != 1 || at30[featFrameNear] != 0.1 || far[featFrameSameFile] != 0 {
		t.Errorf("frame features: money.py:21 %v, money.py:30 %v, periods.py:21 %v", at21, at30, far)
	}
	if at21[featSpecOverlap] < 1 || far[featSpecOverlap] != 0 {
		t.Errorf("spec overlap: Money.__add__ %v, split %v; the spec names Money and add", at21[featSpecOverlap], far[featSpecOverlap])
	}
	if at21[featFailingTestDir] != 0 || at21[featTriedFunction] != 2 || at21[featTriedFile] != 2 || at21[featBestDeltaFunc] != 3 ||
		at21[featTriedNear] != 0.5 || far[featTriedFile] != 0 {
		t.Errorf("edit features: money.py:21 %v, periods.py:21 %v", at21, far)
	}
	for _, c := range cands {
		if c.Features != nil {
			t.Fatal("the observation's candidates must not be written")
		}
	}
}

// Only a list longer than maxScored is cut, to the best-ranked.
func TestSolverChoicesPreFilterHugeLists(t *testing.T) {
	var cands []agent.Candidate
	for line := 1; line <= maxScored+100; line++ {
		fn := "other"
		if line%7 == 0 {
			fn = "Money.__add__" // named in the output: ranked first
		}
		cands = append(cands, agent.Candidate{Kind: "edit", File: "ledger/money.py", Line: line, Function: fn, Operator: "negate_condition"})
	}
	first := agent.Turn{Action: agent.Action{Tool: agent.ToolRunTests}, Result: agent.Result{Failing: 1, Output: "in __add__"}}
	obs := &agent.Observation{Task: agent.Task{Role: agent.Solver}, History: []agent.Turn{first}, Candidates: cands}
	rows, _ := New(nil, 1).choices(obs, solverStateOf(obs.History))
	if len(rows) != maxScored {
		t.Fatalf("%d rows, want %d", len(rows), maxScored)
	}
	named := 0
	for _, r := range rows {
		if r.Function == "Money.__add__" {
			named++
		}
	}
	if named != (maxScored+100)/7 {
		t.Errorf("%d of the candidates in the function the output names were kept, want all %d", named, (maxScored+100)/7)
	}
	if _, err := New(nil, 1).Act(context.Background(), &agent.Observation{Task: obs.Task, History: obs.History, Candidates: cands, TurnsLeft: 10}); err != nil {
		t.Fatal(err)
	}
}
