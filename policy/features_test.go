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
	if got := roleBuckets(x[w+2:w+2+s.HashBuckets], agent.Solver)[bucket("op|sym=boundary_shift|<", s.HashBuckets/2)]; got < 1 {
		t.Errorf("the operator × symbol token is %v in the row of %q, want at least 1", got, lt.Code)
	}
}

// TestTopIndicators: a feature that varies over the list marks the rows holding its largest value, a
// missing value counting as 0; one that does not vary marks nothing.
func TestTopIndicators(t *testing.T) {
	s := CurrentSchema
	w := s.Width()
	c := agent.Candidate{Kind: "edit", File: "a.py", Line: 1, Operator: "boundary_shift", Node: "comparison_operator"}
	rows := make([]agent.Candidate, 4)
	for i, f := range []map[string]float64{
		{"ochiai": 0.87, "same": 1, "delta": -1},
		{"ochiai": 0.5, "same": 1, "delta": -2},
		{"ochiai": 0.87, "same": 1},
		{"same": 1, "delta": -1},
	} {
		rows[i] = c
		rows[i].Features = f
	}
	x := make([]float64, len(rows)*w)
	s.Featurise(x, agent.Solver, rows)
	col := func(name string) int { return 2 + s.HashBuckets + bucket(name, s.NumBuckets) }
	for i, want := range []bool{true, false, true, false} {
		if got := x[i*w+col("top=ochiai")] >= 1; got != want {
			t.Errorf("row %d: top=ochiai %v, want %v", i, got, want)
		}
	}
	for i, want := range []bool{false, false, true, false} { // delta: the row without it holds the top, 0
		if got := x[i*w+col("top=delta")] >= 1; got != want {
			t.Errorf("row %d: top=delta %v, want %v", i, got, want)
		}
	}
	if b := bucket("top=same", s.NumBuckets); b != bucket("top=ochiai", s.NumBuckets) && b != bucket("top=delta", s.NumBuckets) {
		for i := range rows {
			if x[i*w+col("top=same")] != 0 {
				t.Errorf("row %d: top=same is set, but every row has the same value", i)
			}
		}
	}
}
