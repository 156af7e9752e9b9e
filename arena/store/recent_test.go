package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

// seedStagedBug stores a valid first-order bug whose artifact the curriculum stage stage planned ("" for
// none recorded).
func seedStagedBug(t *testing.T, s *Store, id, stage string) {
	t.Helper()
	ctx := context.Background()
	meta := map[string]any{"repo": "r1", "order": 1}
	if stage != "" {
		meta["curriculum_stage"] = stage
	}
	p, err := json.Marshal(map[string]any{"test_script": "pytest -q", "test_files": []string{"tests/test_x.py"}, "metadata": meta})
	if err != nil {
		t.Fatal(err)
	}
	art := "art-" + id
	if err := s.ProposeArtifact(ctx, Artifact{ID: art, Job: "job-1", Repo: "r1", Strategy: "mutation", Agent: "native", Parts: p}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordValidation(ctx, Validation{ArtifactID: art, Valid: true, Step: "inverse", F2P: []string{"t::a"}, P2P: []string{"t::b"}},
		&Bug{ID: id}, nil, RawLog{Kind: LogOriginal, Output: []byte("2 passed")}); err != nil {
		t.Fatal(err)
	}
}

// TestStageSolves: only the job's last n attempts count, newest first, each under the stage that planned
// its bug's artifact; a job without attempts has none.
func TestStageSolves(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	if got, err := s.StageSolves(ctx, "job-1", 4); err != nil || len(got) != 0 {
		t.Fatalf("StageSolves on a job without attempts = %v, %v; want none", got, err)
	}
	seedStagedBug(t, s, "bug-s", "single")
	seedStagedBug(t, s, "bug-d", "double")
	seedStagedBug(t, s, "bug-n", "")
	// Oldest first: single fails twice, double succeeds once and fails once, single succeeds, the bug with
	// no stage fails, single succeeds.
	steps := []struct {
		bug string
		ok  bool
	}{{"bug-s", false}, {"bug-s", false}, {"bug-d", true}, {"bug-d", false}, {"bug-s", true}, {"bug-n", false}, {"bug-s", true}}
	for i, st := range steps {
		a, ep := attempt(st.bug, i, st.ok)
		if err := s.RecordAttempt(ctx, a, ep); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]struct {
		n    int
		want map[string]Solves
	}{
		"the last two":        {2, map[string]Solves{"single": {1, 1}, "": {1, 0}}},
		"the last four":       {4, map[string]Solves{"single": {2, 2}, "double": {1, 0}, "": {1, 0}}},
		"more than there are": {20, map[string]Solves{"single": {4, 2}, "double": {2, 1}, "": {1, 0}}},
		"none asked":          {0, map[string]Solves{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := s.StageSolves(ctx, "job-1", tc.n)
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("StageSolves(%d) = %v, %v; want %v", tc.n, got, err, tc.want)
			}
		})
	}
	if got, err := s.StageSolves(ctx, "job-other", 10); err != nil || len(got) != 0 {
		t.Errorf("another job's attempts = %v, %v; want none", got, err)
	}
	if r := (Solves{4, 1}).Rate(); r != 0.25 {
		t.Errorf("rate of 1 in 4 = %v", r)
	}
	if r := (Solves{}).Rate(); r != 0 {
		t.Errorf("rate of no attempts = %v, want 0", r)
	}
}

// TestStageMigration: migration 8 fills the stage of the artifacts an older ssr stored from their parts,
// and leaves it empty where the parts name none (or name it as something other than a string).
func TestStageMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "job.db")
	s, err := Open(ctx, path, withMigrations(migrations[:7]))
	if err != nil {
		t.Fatal(err)
	}
	seedJob(t, s)
	for id, p := range map[string]string{
		"art-multi":  `{"metadata": {"curriculum_stage": "multi"}}`,
		"art-none":   `{"metadata": {"repo": "r1"}}`,
		"art-number": `{"metadata": {"curriculum_stage": 2}}`,
		"art-bare":   `{}`,
	} {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO artifacts (id, job, repo, strategy, ord, policy_version, agent, parts, created)
			VALUES (?, 'job-1', 'r1', 'mutation', 1, 0, 'native', ?, '2026-01-01T00:00:00Z')`, id, p); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string]string{}
	rows, err := s.r.QueryContext(ctx, `SELECT id, stage FROM artifacts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, stage string
		if err := rows.Scan(&id, &stage); err != nil {
			t.Fatal(err)
		}
		got[id] = stage
	}
	want := map[string]string{"art-multi": "multi", "art-none": "", "art-number": "", "art-bare": ""}
	if !maps.Equal(got, want) {
		t.Errorf("stages after migration = %v, want %v", got, want)
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
			rows := []agent.Candidate{{File: "other.py", Function: "x"}, {File: strings.TrimPrefix(file, "!"), Function: function, Operator: "op_" + function}}
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

// TestJobBugSites: the sites of the job's last n first-order bugs on a repo, counting only what each
// injector episode applied since its last revert, each site once per bug (its operators once per
// application), and not failed applies, other repos or other jobs; listed per bug, with a bug's solve rate
// and reward once it is done.
func TestJobBugSites(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	// counts is how many of the job's last n bugs on repo changed each site.
	counts := func(job, repo string, n int) (map[string]int, error) {
		bugs, err := s.JobBugSites(ctx, job, repo, n)
		out := map[string]int{}
		for _, b := range bugs {
			for _, k := range b.Sites {
				out[k]++
			}
		}
		return out, err
	}
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
	if got, err := counts("job-1", "r1", 10); err != nil || len(got) != 0 {
		t.Fatalf("a job without bugs: %v, %v; want nothing", got, err)
	}
	bug("b1", "r1", injectorTurns(t, "a.py:f", "run", "revert", "b.py:g", "!b.py:h", "run"))
	bug("b2", "r1", injectorTurns(t, "b.py:g", "a.py:", "b.py:g", "run")) // g twice: one bug there
	bug("b3", "r2", injectorTurns(t, "a.py:f", "run"))
	seedBug(t, s, "b4", "r1") // an agent that writes code: no decisions
	// b1 was solved half the time (rewarded), b2 always (−α): both done; b3 is still being solved, with one
	// attempt that succeeded and two that did not so far.
	for i, ok := range []bool{false, true, false} {
		a, e := attempt("b3", i, ok)
		if err := s.RecordAttempt(ctx, a, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.FinishBug(ctx, "b1", 0.1, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishBug(ctx, "b2", -0.8, 1); err != nil {
		t.Fatal(err)
	}
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
			got, err := counts("job-1", tc.repo, tc.n)
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("sites of the last bugs on %s (n=%d) = %v, %v; want %v", tc.repo, tc.n, got, err, tc.want)
			}
		})
	}
	if got, err := counts("job-other", "r1", 10); err != nil || len(got) != 0 {
		t.Errorf("another job: %v, %v; want nothing", got, err)
	}
	// Per bug, every repo, newest first: b4 (no decisions) is listed with no sites.
	list, err := s.JobBugSites(ctx, "job-1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range list {
		got = append(got, fmt.Sprintf("%s %d %v %v %g %g %d/%d", b.Bug, len(b.Sites), b.Operators, b.Done, b.SolveRate, b.Reward, b.Solved, b.Failed))
		if b.Created.IsZero() {
			t.Errorf("bug %s has no creation time", b.Bug)
		}
	}
	want := []string{"b4 0 [] false 0 0 0/0", "b3 1 [op_f] false 0 0 1/2", "b2 2 [op_g op_ op_g] true 1 -0.8 0/0", "b1 1 [op_g] true 0.5 0.1 0/0"}
	if !slices.Equal(got, want) {
		t.Errorf("JobBugSites = %q, want %q", got, want)
	}
	if len(list) == 4 && !slices.Equal(list[2].Sites, []string{a, g}) {
		t.Errorf("b2's sites = %q, want a.py's module level and b.py:g once each", list[2].Sites)
	}
}

// TestBugSitesOutcome: a bug is unfinished until done, whatever its rate so far; then never, sometimes or
// always solved by its solve rate, with the boundaries exact. Settled is the same, except that a bug not yet
// done is solved sometimes once one attempt has succeeded and one has not.
func TestBugSitesOutcome(t *testing.T) {
	tests := []struct {
		done bool
		rate float64
		want Outcome
	}{
		{false, 0, Unfinished},
		{false, 1, Unfinished},
		{true, 0, SolvedNever},
		{true, 0.01, SolvedSometimes},
		{true, 0.5, SolvedSometimes},
		{true, 0.99, SolvedSometimes},
		{true, 1, SolvedAlways},
	}
	for _, tc := range tests {
		if got := (BugSites{Done: tc.done, SolveRate: tc.rate}).Outcome(); got != tc.want {
			t.Errorf("Outcome(done %v, rate %g) = %d, want %d", tc.done, tc.rate, got, tc.want)
		}
		if got := (BugSites{Done: tc.done, SolveRate: tc.rate}).Settled(); got != tc.want {
			t.Errorf("Settled(done %v, rate %g) = %d, want %d", tc.done, tc.rate, got, tc.want)
		}
	}
	settled := []struct {
		solved, failed int
		want           Outcome
	}{{0, 0, Unfinished}, {3, 0, Unfinished}, {0, 3, Unfinished}, {1, 1, SolvedSometimes}, {1, 3, SolvedSometimes}}
	for _, tc := range settled {
		b := BugSites{Solved: tc.solved, Failed: tc.failed}
		if got := b.Settled(); got != tc.want {
			t.Errorf("Settled(not done, %d solved, %d failed) = %d, want %d", tc.solved, tc.failed, got, tc.want)
		}
		if b.Outcome() != Unfinished {
			t.Errorf("Outcome(not done, %d solved, %d failed) = %d, want Unfinished", tc.solved, tc.failed, b.Outcome())
		}
	}
}
