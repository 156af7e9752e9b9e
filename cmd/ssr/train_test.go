package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/policy"
)

// seedTrainJob records a job with one bug and four native solver attempts (two solved), each with one
// decision among three candidates.
func seedTrainJob(t *testing.T) (string, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "jobs.db")
	const job = "job-t"
	seedJob(t, db, job, "agent: native\n")
	seedBug(t, db, job, 1)
	return db, job
}

// seedJob records a finished job with config in the database at db.
func seedJob(t *testing.T, db, job, config string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateJob(ctx, store.Job{ID: job, Name: "t", Config: config, Status: store.JobFinished, Owner: "1@h:0"}); err != nil {
		t.Fatal(err)
	}
}

// seedBug records bug-N of job on pyledger (a stand-in artifact), finished, with four native solver
// attempts, the first and third solved, each with one decision among three candidates.
func seedBug(t *testing.T, db, job string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bug := seedValidBug(t, st, job, n)
	rows := []agent.Candidate{
		{Kind: "edit", File: "ledger.py", Line: 3, Operator: "boundary", Node: "comparison", Function: "balance"},
		{Kind: "edit", File: "ledger.py", Line: 9, Operator: "arithmetic_swap", Node: "binary_operator", Function: "total"},
		{Kind: "edit", File: "money.py", Line: 4, Operator: "negate_condition", Node: "if_statement", Function: "parse"},
	}
	for i, ok := range []bool{true, false, true, false} {
		r := map[bool]float64{true: 1, false: -1}[ok]
		chosen := map[bool]int{true: 0, false: 1 + i%2}[ok]
		turns, _ := json.Marshal([]agent.Turn{{Action: agent.Action{Tool: agent.ToolApply, Candidate: chosen,
			Decision: &agent.Decision{Rows: rows, Chosen: chosen, LogProb: -1.0986}}}})
		ep := &store.Episode{ID: fmt.Sprintf("ep-s%d-%d", n, i), Job: job, Role: store.RoleSolver, Agent: "native", Repo: "pyledger", Turns: turns, Reward: &r}
		if err := st.RecordAttempt(ctx, store.Attempt{ID: fmt.Sprintf("att-%d-%d", n, i), BugID: bug, Index: i, Success: ok, Reward: r}, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FinishBug(ctx, bug, 0.1, 0.5); err != nil {
		t.Fatal(err)
	}
}

// seedValidBug records bug-N of job, a valid pyledger bug (a stand-in artifact) with no attempt yet, and
// returns its id.
func seedValidBug(t *testing.T, st *store.Store, job string, n int) string {
	t.Helper()
	ctx := context.Background()
	art, bug := fmt.Sprintf("art-%d", n), fmt.Sprintf("bug-%d", n)
	parts, err := (&artifact.Artifact{TestScript: "pytest -q", TestFiles: []string{"tests/test_a.py"}, Parser: artifact.Parser{Builtin: "pytest"},
		BugDiff: "--- a/ledger/money.py\n+++ b/ledger/money.py\n@@ -1 +1 @@\n-a\n+b\n"}).MarshalRecord()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ProposeArtifact(ctx, store.Artifact{ID: art, Job: job, Repo: "pyledger", Strategy: "mutation", Order: 1, Agent: "native", Parts: parts},
		&store.Episode{ID: "ep-inj-" + art, Agent: "native", Repo: "pyledger", Turns: json.RawMessage(`[]`)}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordValidation(ctx, store.Validation{ArtifactID: art, Valid: true, Step: "inverse", F2P: []string{"t::a"}},
		&store.Bug{ID: bug}, nil); err != nil {
		t.Fatal(err)
	}
	return bug
}

func TestTrainCommandPublishesAndResumes(t *testing.T) {
	db, job := seedTrainJob(t)
	out := filepath.Join(t.TempDir(), "pol")
	if code := run([]string{"train", job, "--db", db, "--out", out}); code != 0 {
		t.Fatalf("ssr train: exit %d", code)
	}
	path, v, err := policy.Newest(out)
	if err != nil || v != 1 {
		t.Fatalf("newest published: %q version %d (%v), want version 1", path, v, err)
	}
	st, err := store.Open(context.Background(), db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	pvs, err := st.PolicyVersions(context.Background())
	st.Close()
	if err != nil || len(pvs) != 1 || pvs[0].Version != 1 {
		t.Fatalf("policy_versions: %+v (%v), want version 1", pvs, err)
	}
	// Again: the trainer resumes from its state, finds nothing new and publishes nothing.
	if code := run([]string{"train", job, "--db", db, "--out", out}); code != 0 {
		t.Fatalf("second ssr train: exit %d", code)
	}
	if _, v, _ := policy.Newest(out); v != 1 {
		t.Errorf("second run published version %d; nothing was new", v)
	}
	// The published version scores: the solved choice is now likelier than the failed ones.
	sc, err := scorerFor("--policy", path)
	if err != nil {
		t.Fatal(err)
	}
	rows := []agent.Candidate{{Kind: "edit", File: "ledger.py", Line: 3, Operator: "boundary", Node: "comparison", Function: "balance"},
		{Kind: "edit", File: "ledger.py", Line: 9, Operator: "arithmetic_swap", Node: "binary_operator", Function: "total"}}
	s, err := sc.Score(context.Background(), agent.Solver, rows)
	if err != nil || sc.Version() != 1 || !(s[0] > s[1]) {
		t.Errorf("scores %v (version %d, %v): the rewarded candidate should score higher", s, sc.Version(), err)
	}
	if code := run([]string{"train", "no-such-job", "--db", db, "--out", out}); code == 0 {
		t.Error("ssr train of an unknown job succeeded")
	}
	if code := run([]string{"train", job, "--db", db, "--out", out, "--kernels", "tpu"}); code == 0 {
		t.Error("ssr train with a kernel backend that is not compiled in succeeded")
	}
	if _, err := os.Stat(filepath.Join(out, policy.TrainerFile)); err != nil {
		t.Error(err)
	}
}
