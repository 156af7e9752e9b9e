package main

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/rewards"
)

func TestHistogramBins(t *testing.T) {
	got := histogram([]float64{0, 0.25, 0.26, 0.5, 0.75, 0.76, 0.99, 1, 0.1})
	want := []int{1, 2, 2, 1, 2, 1} // 0 | .1 .25 | .26 .5 | .75 | .76 .99 | 1
	if !reflect.DeepEqual(got, want) {
		t.Errorf("histogram = %v, want %v (bins %v)", got, want, rateBins)
	}
}

func TestReadSettings(t *testing.T) {
	t.Setenv("LEARN_DURATION", "15m")
	t.Setenv("LEARN_ATTEMPTS", "4")
	s, err := readSettings()
	if err != nil || s.Duration != 15*time.Minute || s.Attempts != 4 || s.K != 4 || s.Bugs != 40 {
		t.Fatalf("settings %+v (%v): want 15m, 4 attempts, k 4 by default, 40 bugs", s, err)
	}
	t.Setenv("LEARN_K", "5")
	t.Setenv("LEARN_BUGS", "lots")
	_, err = readSettings()
	if err == nil || !strings.Contains(err.Error(), "LEARN_K=5") || !strings.Contains(err.Error(), "LEARN_BUGS=lots") {
		t.Errorf("bad settings: %v, want both named", err)
	}
}

// The verdict line says whether the intervals overlap.
func TestMarkdownVerdict(t *testing.T) {
	r := &report{Settings: settings{K: 1, Attempts: 1, Duration: time.Hour}, Windows: make([]window, 2)}
	r.Uniform.SuccessAt1 = rewards.Interval{Estimate: 0.2, Lo: 0.1, Hi: 0.3}
	r.Final.SuccessAt1 = rewards.Interval{Estimate: 0.5, Lo: 0.35, Hi: 0.65}
	if md := r.markdown(); !strings.Contains(md, "Difference in success@1: +0.300; the intervals do not overlap") {
		t.Errorf("markdown verdict for separated intervals:\n%s", md)
	}
	r.Final.SuccessAt1.Lo = 0.25
	if md := r.markdown(); !strings.Contains(md, "the intervals overlap") {
		t.Error("overlapping intervals must be said to overlap")
	}
}

// middleShare counts the rates strictly between 0 and 1, and the report states both halves with their intervals.
func TestMiddleShare(t *testing.T) {
	n, iv := middleShare([]float64{0, 0.25, 0.5, 0.75, 1, 1, 0.01, 0.99})
	if n != 5 || math.Abs(iv.Estimate-0.625) > 1e-12 || iv.Lo >= 0.625 || iv.Hi <= 0.625 {
		t.Errorf("middleShare = %d, %+v; want 5 of 8, 0.625 inside its interval", n, iv)
	}
	if n, iv := middleShare(nil); n != 0 || iv.Estimate != 0 {
		t.Errorf("middleShare(nil) = %d, %+v; want none", n, iv)
	}
	r := &report{Settings: settings{K: 1, Attempts: 1, Duration: time.Hour}, Windows: make([]window, 2),
		EarlyRates: []float64{0, 0, 0, 1, 1, 1, 1, 1, 1, 0.5}, LateRates: []float64{0.5, 0.25, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0}}
	if md := r.markdown(); !strings.Contains(md, "first half 1/10, 0.10 [") || !strings.Contains(md, "half 9/10, 0.90 [") ||
		!strings.Contains(md, "]; the intervals do not overlap.\n\nThe same over the whole run") {
		t.Errorf("the report's middle share:\n%s", md)
	}
}

// summariseSites counts each bug's sites, ranks the functions (ties by name) and averages the reward over the
// bugs evaluated to the end only.
func TestSummariseSites(t *testing.T) {
	f, g, h := store.SiteKey("a.py", "f"), store.SiteKey("a.py", "g"), store.SiteKey("b.go", "")
	s := summariseSites([]store.BugSites{
		{Bug: "1", Sites: []string{f, g}, Done: true, Reward: 0.1},
		{Bug: "2", Sites: []string{f}, Done: true, Reward: -0.8},
		{Bug: "3", Sites: []string{h}},
		{Bug: "4", Sites: []string{g, f}},
		{Bug: "5"},
	})
	want := siteSummary{Bugs: 5, Sites: 6, Functions: 3, Done: 2, MeanReward: -0.35,
		Top: []siteCount{{"a.py:f", 3}, {"a.py:g", 2}, {"b.go:", 1}}}
	if s.Bugs != want.Bugs || s.Sites != want.Sites || s.Functions != want.Functions || s.Done != want.Done ||
		math.Abs(s.MeanReward-want.MeanReward) > 1e-12 || !reflect.DeepEqual(s.Top, want.Top) {
		t.Errorf("summariseSites = %+v, want %+v", s, want)
	}
	if none := summariseSites(nil); none.Bugs != 0 || none.MeanReward != 0 || len(none.Top) != 0 {
		t.Errorf("no bugs: %+v", none)
	}
}

// bugKind puts a bug with an operator no one edit undoes apart, whatever else it applied, and splits the rest
// by how many mutations they applied; a bug with none (written code) has no kind.
func TestBugKind(t *testing.T) {
	for _, tc := range []struct {
		ops  []string
		want int
	}{
		{nil, -1},
		{[]string{plugin.OpComparisonFlip}, 0},
		{[]string{plugin.OpComparisonFlip, plugin.OpBoundaryShift}, 1},
		{[]string{plugin.OpRemoveStatement}, 2},
		{[]string{plugin.OpComparisonFlip, plugin.OpDefaultReturn, plugin.OpBoundaryShift}, 2},
	} {
		if got := bugKind(tc.ops); got != tc.want {
			t.Errorf("bugKind(%v) = %d, want %d (%v)", tc.ops, got, tc.want, bugKinds)
		}
	}
}

// TestSummariseOperators: applications count per half, a bug's end counts once per operator it applied and
// only when the bug is finished, and the most applied operator comes first.
func TestSummariseOperators(t *testing.T) {
	swap, flip := plugin.OpArithmeticSwap, plugin.OpComparisonFlip
	early := []store.BugSites{
		{Operators: []string{swap}, Done: true, SolveRate: 0.5},
		{Operators: []string{swap, swap, flip}, Done: true, SolveRate: 0},
		{Operators: []string{flip}}, // pending
	}
	late := []store.BugSites{
		{Operators: []string{swap}, Done: true, SolveRate: 1},
		{Operators: []string{swap}, Done: true, SolveRate: 1},
	}
	want := []operatorUse{
		{Operator: swap, Early: 3, Late: 2, EarlyEnds: [3]int{1, 1, 0}, LateEnds: [3]int{0, 0, 2}},
		{Operator: flip, Early: 2, EarlyEnds: [3]int{1, 0, 0}},
	}
	got := summariseOperators(early, late)
	if !slices.Equal(got, want) {
		t.Errorf("summariseOperators = %+v, want %+v", got, want)
	}
	r := &report{Settings: settings{K: 1, Attempts: 1, Duration: time.Hour}, Windows: make([]window, 2), Operators: got}
	if md, row := r.markdown(), "| `arithmetic_swap` | 3 | 1 / 1 / 0 | 2 | 0 / 0 / 2 |"; !strings.Contains(md, row) {
		t.Errorf("the report has no row %q:\n%s", row, md)
	}
}

// TestValidity: the valid share per half counts verdicts, lists rejections by step (the most frequent first),
// and the report prints both halves with their intervals and whether they overlap.
func TestValidity(t *testing.T) {
	var early, late validity
	for _, v := range []store.Validation{{Valid: true}, {Step: "inverse"}, {Step: "bug"}, {Step: "bug"}} {
		early.add(v)
	}
	for range 20 {
		late.add(store.Validation{Valid: true})
	}
	if early.Artifacts != 4 || early.Valid != 1 || early.rejections() != "bug 2, inverse 1" {
		t.Errorf("early = %+v, rejections %q; want 1 of 4 valid, \"bug 2, inverse 1\"", early, early.rejections())
	}
	if late.rejections() != "none" {
		t.Errorf("late rejections = %q, want none", late.rejections())
	}
	r := &report{Settings: settings{K: 1, Attempts: 1, Duration: time.Hour}, Windows: make([]window, 2), EarlyValid: early, LateValid: late}
	md := r.markdown()
	for _, want := range []string{"first 1/4, 0.25 [", "second 20/20, 1.00 [", "the intervals do not overlap", "first half bug 2, inverse 1; second half none"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}

// TestStageTally: artifacts and finished bugs count under their stage and half; stages come in curriculum
// order with the unrecorded last, and the report prints a row for each.
func TestStageTally(t *testing.T) {
	tally := newStageTally()
	valid, rejected := store.Validation{Valid: true}, store.Validation{Step: "bug"}
	tally.artifact("all", false, valid)
	tally.artifact("single", false, rejected)
	tally.artifact("single", true, valid)
	tally.artifact("", true, valid)
	tally.bugStage["b1"], tally.bugStage["b2"], tally.bugStage["b3"] = "single", "all", "single"
	tally.bug(store.BugSites{Bug: "b1", Done: true, SolveRate: 1}, true)
	tally.bug(store.BugSites{Bug: "b2", Done: true, SolveRate: 0.5}, false)
	tally.bug(store.BugSites{Bug: "b3", SolveRate: 1}, true) // unfinished: no end
	got := tally.list()
	var names []string
	for _, u := range got {
		names = append(names, u.Stage)
	}
	if !slices.Equal(names, []string{"single", "all", ""}) {
		t.Fatalf("stages %q, want single, all, then the unrecorded", names)
	}
	single := got[0].Halves
	if single[0].Artifacts != 1 || single[0].Valid != 0 || single[1].Artifacts != 1 || single[1].Valid != 1 || single[1].Ends != [3]int{0, 0, 1} {
		t.Errorf("single = %+v, want 1 rejected early, 1 valid late, one late bug always solved", single)
	}
	if got[1].Halves[0].Ends != [3]int{0, 1, 0} {
		t.Errorf("all = %+v, want one early bug solved sometimes", got[1].Halves)
	}
	r := &report{Settings: settings{K: 1, Attempts: 1, Duration: time.Hour}, Windows: make([]window, 2), Stages: got}
	md := r.markdown()
	for _, row := range []string{"| `single` | 1, 0 | 0 / 0 / 0 | 1, 1 | 0 / 0 / 1 |", "| not recorded | 0, 0 | 0 / 0 / 0 | 1, 1 | 0 / 0 / 0 |"} {
		if !strings.Contains(md, row) {
			t.Errorf("the report has no row %q:\n%s", row, md)
		}
	}
}

func TestSummariseChoices(t *testing.T) {
	rows := func(prior []float64, ops ...string) []agent.Candidate {
		out := make([]agent.Candidate, len(ops))
		for i, op := range ops {
			out[i] = agent.Candidate{Operator: op, Prior: prior[i]}
		}
		return out
	}
	decs := []*agent.Decision{
		{Rows: rows([]float64{0, 0, math.Log(2), 0}, "a", "a", "b", "c"), Chosen: 0, LogProb: math.Log(0.5)},
		{Rows: rows([]float64{0, 0}, "a", "b"), Chosen: 1, LogProb: math.Log(0.4)},
		nil, // not counted: no decision
		{Rows: rows([]float64{0}, "b"), Chosen: 0},                                 // one row: no choice
		{Rows: rows([]float64{0, 0}, "b", "b"), Chosen: 0, LogProb: math.NaN()},    // no log-probability
		{Rows: rows([]float64{0, 0}, "b", "b"), Chosen: 2, LogProb: math.Log(0.5)}, // a chosen row that is not there
	}
	got := summariseChoices(decs)
	// a and b are chosen once each: the tie goes to a, by name. A uniform draw picks a with 2/4 and 1/2; the
	// prior alone with 2/5 (weights 1, 1, 2, 1) and 1/2.
	want := choiceSummary{Choices: 2, MeanGain: (math.Log(0.5*4) + math.Log(0.4*2)) / 2, Top: "a", TopCount: 1, Uniform: 1, Prior: 0.9}
	if got.Choices != want.Choices || got.Top != want.Top || got.TopCount != want.TopCount ||
		math.Abs(got.MeanGain-want.MeanGain) > 1e-12 || math.Abs(got.Uniform-want.Uniform) > 1e-12 || math.Abs(got.Prior-want.Prior) > 1e-12 {
		t.Errorf("summariseChoices = %+v, want %+v", got, want)
	}
	if got := summariseChoices(nil); got.Choices != 0 || got.Top != "" || math.IsNaN(got.MeanGain) {
		t.Errorf("no decisions: %+v", got)
	}
}
