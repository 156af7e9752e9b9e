package native

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

func TestRankPrefersNamedFunctions(t *testing.T) {
	cands := []agent.Candidate{
		{File: "ledger/money.py", Function: "Money.parse"},
		{File: "ledger/other.py", Function: "helper"},
		{File: "ledger/money.py", Function: "Money.__add__"},
	}
	rs := rank(cands, "tests/test_money.py:40: in test_add_and_subtract\n    from ledger/money.py", []string{"tests/test_money.py::test_add_and_subtract"})
	if rs[0].cand.Function != "Money.__add__" || rs[0].index != 2 || rs[2].cand.File != "ledger/other.py" {
		t.Fatalf("order: %v, %v, %v", rs[0].cand, rs[1].cand, rs[2].cand)
	}
	if rs[0].cand.Features["output_priority"] <= rs[2].cand.Features["output_priority"] {
		t.Errorf("features %v / %v: the priority must be recorded as output_priority", rs[0].cand.Features, rs[2].cand.Features)
	}
	if cands[0].Features != nil {
		t.Error("rank must not write into the observation's candidates")
	}
}
