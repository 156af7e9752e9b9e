package arena

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestNativeSolverRepairsAMutation: the native solver, led by the failing output, finds and undoes a
// single arithmetic mutation in at least one of a few seeded attempts; its predictions touch source only.
func TestNativeSolverRepairsAMutation(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2; c.SolverTurns = 6 }))
	ctx := context.Background()
	art := moneyBug(t, repo)
	art.TestScript, art.Parser = testScript(t, repo) // the whole suite, so that the spec's tests are fewer
	rep, err := ar.Validate(ctx, repo, art)
	if err != nil || !rep.Valid {
		t.Fatalf("the money bug must be valid: %v %v", err, rep.Rejection)
	}
	bug := &Bug{ID: "bug-native", Artifact: art, Diffs: rep.Diffs, Order: 1, F2P: rep.F2P, P2P: rep.P2P}
	// The inner runs run the spec's tests: every F2P test, and fewer than the bug's script runs.
	inner, ids := ar.specTests(ctx, repo, bug)
	if inner == bug.Artifact || len(ids) >= len(bug.F2P)+len(bug.P2P) {
		t.Fatalf("no narrower spec selection: %d ids of %d F2P and %d P2P", len(ids), len(bug.F2P), len(bug.P2P))
	}
	for _, id := range bug.F2P {
		if !slices.Contains(ids, id) {
			t.Errorf("F2P test %s is not among the spec's tests", id)
		}
	}
	ag := native.New(native.Uniform{}, 7)
	solved, withFixes := 0, 0
	for i := 0; i < 3; i++ {
		att, err := ar.Solve(ctx, repo, bug, ag, i)
		if err != nil {
			t.Fatal(err)
		}
		if att.Eval.Success {
			solved++
		}
		for _, turn := range att.Turns {
			var passed, failed, errs, skipped int
			if turn.Action.Tool != agent.ToolRunTests {
				continue
			}
			if _, err := fmt.Sscanf(turn.Result.Output, "%d passed, %d failed, %d error, %d skipped", &passed, &failed, &errs, &skipped); err != nil {
				t.Fatalf("attempt %d turn %d: %v in %q", i, turn.N, err, firstLine(turn.Result.Output))
			}
			if n := passed + failed + errs + skipped; n != len(ids) {
				t.Errorf("attempt %d turn %d: run_tests ran %d tests, want the spec's %d", i, turn.N, n, len(ids))
			}
		}
		if n := len(att.Eval.Statuses); n != len(bug.F2P)+len(bug.P2P) {
			t.Errorf("attempt %d: the evaluation judged %d tests, want every F2P and P2P test (%d)", i, n, len(bug.F2P)+len(bug.P2P))
		}
		if len(att.Turns) < 2 {
			t.Errorf("attempt %d has %d turns", i, len(att.Turns))
		}
		for _, turn := range att.Turns {
			t.Logf("attempt %d turn %d %s: %s %s", i, turn.N, turn.Action.Tool, turn.Result.Error, firstLine(turn.Result.Output))
			if d := turn.Action.Decision; d != nil && len(d.Fixes) > 0 {
				withFixes++
				for _, f := range d.Fixes {
					if r := d.Rows[f]; r.File != moneyPy {
						t.Errorf("attempt %d turn %d: hindsight fix %s:%d %s is not in the mutated file %s", i, turn.N, r.File, r.Line, r.Operator, moneyPy)
					}
				}
				t.Logf("attempt %d turn %d: in hindsight, %d of %d rows fix the bug", i, turn.N, len(d.Fixes), len(d.Rows))
			}
		}
	}
	if solved == 0 {
		t.Fatalf("no attempt of 3 repaired a one-site arithmetic mutation")
	}
	// Its inverse is among the candidates until it is tried, so hindsight finds it.
	if withFixes == 0 {
		t.Errorf("no solver decision recorded the fix in hindsight")
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestSpecFailing: the solver's run_tests counts the bug's F2P and P2P tests that do not pass, those that
// did not run included, and a run that timed out never reads as passing.
func TestSpecFailing(t *testing.T) {
	ids := []string{"t::f2p", "t::p2p"}
	tests := map[string]struct {
		run  TestRun
		want int
	}{
		"all pass":                      {TestRun{End: plugin.RunCompleted, Results: map[string]string{"t::f2p": "passed", "t::p2p": "passed"}}, 0},
		"one fails":                     {TestRun{End: plugin.RunCompleted, Results: map[string]string{"t::f2p": "failed", "t::p2p": "passed"}}, 1},
		"an error":                      {TestRun{End: plugin.RunCompleted, Results: map[string]string{"t::f2p": "error", "t::p2p": "passed"}}, 1},
		"other tests fail, not counted": {TestRun{End: plugin.RunCompleted, Results: map[string]string{"t::f2p": "passed", "t::p2p": "passed", "t::x": "failed"}}, 0},
		"timed out before they ran":     {TestRun{End: plugin.RunTimedOut, TimedOut: true, Results: map[string]string{}}, 2},
		"timed out after one":           {TestRun{End: plugin.RunTimedOut, TimedOut: true, Results: map[string]string{"t::f2p": "passed"}}, 1},
		"timed out after both passed":   {TestRun{End: plugin.RunTimedOut, TimedOut: true, Results: map[string]string{"t::f2p": "passed", "t::p2p": "passed"}}, 1},
		"build failed: nothing ran":     {TestRun{End: plugin.RunBuildFailed, Results: map[string]string{}}, 2},
		"crashed mid-suite":             {TestRun{End: plugin.RunCrashed, Results: map[string]string{"t::f2p": "passed"}}, 1},
		"skipped is not passing":        {TestRun{End: plugin.RunCompleted, Results: map[string]string{"t::f2p": "skipped", "t::p2p": "passed"}}, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := specFailing(&tc.run, ids, map[string]string{})
			if got != tc.want {
				t.Errorf("specFailing = %d, want %d", got, tc.want)
			}
		})
	}
}
