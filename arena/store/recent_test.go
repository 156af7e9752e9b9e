package store

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

// TestRecentSolves: only the last n attempts count, newest first, and a job without attempts has none.
func TestRecentSolves(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	if n, k, err := s.RecentSolves(ctx, "job-1", 4); err != nil || n != 0 || k != 0 {
		t.Fatalf("RecentSolves on a job without attempts = %d, %d, %v; want 0, 0, nil", n, k, err)
	}
	seedBug(t, s, "bug-1", "r1")
	// Oldest first: two failures, then three successes.
	for i, ok := range []bool{false, false, true, true, true} {
		a, ep := attempt("bug-1", i, ok)
		if err := s.RecordAttempt(ctx, a, ep); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]struct{ n, wantN, wantSolved int }{
		"the last three":      {3, 3, 3},
		"the last four":       {4, 4, 3},
		"more than there are": {10, 5, 3},
		"none asked":          {0, 0, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			n, k, err := s.RecentSolves(ctx, "job-1", tc.n)
			if err != nil || n != tc.wantN || k != tc.wantSolved {
				t.Errorf("RecentSolves(%d) = %d, %d, %v; want %d, %d", tc.n, n, k, err, tc.wantN, tc.wantSolved)
			}
		})
	}
	if n, _, err := s.RecentSolves(ctx, "job-other", 10); err != nil || n != 0 {
		t.Errorf("another job's attempts = %d, %v; want 0", n, err)
	}
}

// injectorTurns is an injector episode's turns: each apply names the file and function of its chosen row
// ("!" before the file: the apply failed), "revert" and "run" stand for those tools.
func injectorTurns(t *testing.T, steps ...string) json.RawMessage {
	t.Helper()
	var l []agent.Turn
	for _, st := range steps {
		switch st {
		case "revert":
			l = append(l, agent.Turn{Action: agent.Action{Tool: agent.ToolRevert}})
		case "run":
			l = append(l, agent.Turn{Action: agent.Action{Tool: agent.ToolRunTests}, Result: agent.Result{Failing: 1}})
		default:
			file, function, _ := strings.Cut(st, ":")
			failed := strings.HasPrefix(file, "!")
			rows := []agent.Candidate{{File: "other.py", Function: "x"}, {File: strings.TrimPrefix(file, "!"), Function: function}}
			turn := agent.Turn{Action: agent.Action{Tool: agent.ToolApply, Candidate: 1, Decision: &agent.Decision{Rows: rows, Chosen: 1}}}
			if failed {
				turn.Result.Error = "the site is gone"
			}
			l = append(l, turn)
		}
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRecentBugSites: the sites of the job's last n first-order bugs on a repo, counting only what each
// injector episode applied since its last revert, and not failed applies, other repos or other jobs.
func TestRecentBugSites(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	bug := func(id, repo string, turns json.RawMessage) {
		t.Helper()
		art := "art-" + id
		if err := s.ProposeArtifact(ctx, Artifact{ID: art, Job: "job-1", Repo: repo, Strategy: "mutation", Agent: "native", Parts: parts(id)},
			&Episode{ID: "ep-inj-" + id, Agent: "native", Turns: turns}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordValidation(ctx, Validation{ArtifactID: art, Valid: true, Step: "inverse", F2P: []string{"t::a"}, P2P: []string{"t::b"}},
			&Bug{ID: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.RecentBugSites(ctx, "job-1", "r1", 10); err != nil || len(got) != 0 {
		t.Fatalf("a job without bugs: %v, %v; want nothing", got, err)
	}
	bug("b1", "r1", injectorTurns(t, "a.py:f", "run", "revert", "b.py:g", "!b.py:h", "run"))
	bug("b2", "r1", injectorTurns(t, "b.py:g", "a.py:", "run"))
	bug("b3", "r2", injectorTurns(t, "a.py:f", "run"))
	seedBug(t, s, "b4", "r1") // an agent that writes code: no decisions
	g, a := SiteKey("b.py", "g"), SiteKey("a.py", "")
	tests := map[string]struct {
		repo string
		n    int
		want map[string]int
	}{
		"every bug on r1":               {"r1", 10, map[string]int{g: 2, a: 1}},
		"the last two (b4 counts none)": {"r1", 2, map[string]int{g: 1, a: 1}},
		"the last one":                  {"r1", 1, map[string]int{}},
		"another repo":                  {"r2", 10, map[string]int{SiteKey("a.py", "f"): 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := s.RecentBugSites(ctx, "job-1", tc.repo, tc.n)
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("RecentBugSites(%s, %d) = %v, %v; want %v", tc.repo, tc.n, got, err, tc.want)
			}
		})
	}
	if got, err := s.RecentBugSites(ctx, "job-other", "r1", 10); err != nil || len(got) != 0 {
		t.Errorf("another job: %v, %v; want nothing", got, err)
	}
}
