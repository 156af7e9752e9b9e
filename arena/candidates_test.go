package arena

import (
	"reflect"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"test_add_and_subtract": {"add", "subtract"},
		"Money.__add__":         {"money", "add"},
		"TestRingPushPop":       {"ring", "push", "pop"},
		"Ring.Push":             {"ring", "push"},
		"x":                     nil,
	} {
		if got := words(in); !reflect.DeepEqual(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRankByOutputPrefersNamedFunctions(t *testing.T) {
	acts := []siteAction{
		{cand: agent.Candidate{File: "ledger/money.py", Function: "Money.parse"}},
		{cand: agent.Candidate{File: "ledger/other.py", Function: "helper"}},
		{cand: agent.Candidate{File: "ledger/money.py", Function: "Money.__add__"}},
	}
	rankByOutput(acts, "tests/test_money.py:40: in test_add_and_subtract\n    from ledger/money.py", []string{"tests/test_money.py::test_add_and_subtract"}, nil)
	if acts[0].cand.Function != "Money.__add__" || acts[2].cand.File != "ledger/other.py" {
		t.Fatalf("order: %v, %v, %v", acts[0].cand, acts[1].cand, acts[2].cand)
	}
	short := shortlist(append(acts, acts[0], acts[0], acts[0]), 10, 2)
	n := 0
	for _, a := range short {
		if a.cand.Function == "Money.__add__" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("shortlist kept %d candidates of one function, want 2", n)
	}
}
