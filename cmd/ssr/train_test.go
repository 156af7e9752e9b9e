package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/policy"
)

// seedTrainJob records a job with one bug and four native solver attempts (two solved), each with one
// decision among three candidates.
func seedTrainJob(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "jobs.db")
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const job = "job-t"
	if err := st.CreateJob(ctx, store.Job{ID: job, Name: "t", Config: "agent: native\n", Status: store.JobFinished, Owner: "1@h:0"}); err != nil {
		t.Fatal(err)
	}
	parts := json.RawMessage(`{"test_script":"pytest -q","test_files":["tests/test_a.py"],"parser":"pytest","bug_inject":"--- a\n+++ b\n","test_weaken":""}`)
	if err := st.ProposeArtifact(ctx, store.Artifact{ID: "art-1", Job: job, Repo: "pyledger", Strategy: "mutation", Order: 1, Agent: "native", Parts: parts},
		&store.Episode{ID: "ep-inj", Agent: "native", Repo: "pyledger", Turns: json.RawMessage(`[]`)}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordValidation(ctx, store.Validation{ArtifactID: "art-1", Valid: true, Step: "inverse", F2P: []string{"t::a"}},
		&store.Bug{ID: "bug-1"}, nil); err != nil {
		t.Fatal(err)
	}
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
		ep := &store.Episode{ID: fmt.Sprintf("ep-s%d", i), Job: job, Role: store.RoleSolver, Agent: "native", Repo: "pyledger", Turns: turns, Reward: &r}
		if err := st.RecordAttempt(ctx, store.Attempt{ID: fmt.Sprintf("att-%d", i), BugID: "bug-1", Index: i, Success: ok, Reward: r}, ep); err != nil {
			t.Fatal(err)
		}
	}
	return db, job
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
	policyFlag = path
	defer func() { policyFlag = "" }()
	sc, err := newScorer()
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
	if _, err := os.Stat(filepath.Join(out, policy.TrainerFile)); err != nil {
		t.Error(err)
	}
}
