package policy

import (
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

func TestCodeTokens(t *testing.T) {
	tests := []struct {
		code       string
		toks, syms []string
	}{
		{"total <= limit", []string{"total", "<=", "limit"}, []string{"<="}},
		{"a.balanceOf(x) * 100 - 1", []string{"a", "balance", "of", "x", "*", "num:100", "-", "num:1"}, []string{"*", "-"}},
		{"if not (x is None) and y", []string{"if", "not", "x", "is", "none", "and", "y"}, []string{"not", "is", "and"}},
		{"i++; j += 2.5", []string{"i", "++", "j", "+=", "num:2.5"}, []string{"++", "+="}},
		{"", nil, nil},
	}
	for _, tc := range tests {
		toks, syms := codeTokens(tc.code)
		if !slices.Equal(toks, tc.toks) || !slices.Equal(syms, tc.syms) {
			t.Errorf("codeTokens(%q) = %q, %q; want %q, %q", tc.code, toks, syms, tc.toks, tc.syms)
		}
	}
}

// TestCodeIsAFeature: two candidates alike but for the code at their site get different rows, and the
// difference includes the operator crossed with the symbol.
func TestCodeIsAFeature(t *testing.T) {
	s := CurrentSchema
	w := s.Width()
	c := agent.Candidate{Kind: "edit", File: "a/b.py", Line: 3, Node: "comparison_operator", Operator: "boundary_shift", Function: "f"}
	lt, le := c, c
	lt.Code, le.Code = "x < y", "x <= y"
	x := make([]float64, 3*w)
	s.Featurise(x, agent.Solver, []agent.Candidate{c, lt, le})
	if slices.Equal(x[:w], x[w:2*w]) || slices.Equal(x[w:2*w], x[2*w:]) {
		t.Fatal("the code at the site does not change the row")
	}
	if got := x[w+2+bucket("op|sym=boundary_shift|<", s.HashBuckets)]; got < 1 {
		t.Errorf("the operator × symbol token is %v in the row of %q, want at least 1", got, lt.Code)
	}
}
