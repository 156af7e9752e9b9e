package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
)

// seedFixBug records bug-N of job: a valid bug with two failed solver attempts, each with one choice among
// rows, of which the arena found in hindsight that row fix would have fixed the bug.
func seedFixBug(t *testing.T, db, job string, n int, rows []agent.Candidate, fix int) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bug := seedValidBug(t, st, job, n)
	for i := range 2 {
		r := -1.0
		chosen := (fix + 1 + i) % len(rows)
		turns, _ := json.Marshal([]agent.Turn{{Action: agent.Action{Tool: agent.ToolApply, Candidate: chosen,
			Decision: &agent.Decision{Rows: rows, Chosen: chosen, LogProb: -1.0986, Fixes: []int{fix}}}}})
		ep := &store.Episode{ID: fmt.Sprintf("ep-s%d-%d", n, i), Job: job, Role: store.RoleSolver, Agent: "native", Repo: "pyledger", Turns: turns, Reward: &r}
		if err := st.RecordAttempt(ctx, store.Attempt{ID: fmt.Sprintf("att-%d-%d", n, i), BugID: bug, Index: i, Reward: r}, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FinishBug(ctx, bug, 0.1, 0); err != nil {
		t.Fatal(err)
	}
}

// transferRows are three candidates in function fn, the fix (a boundary change) at row fix: what carries
// over from one bug to another is the operator, not the function.
func transferRows(fn string, fix int) []agent.Candidate {
	others := []agent.Candidate{
		{Kind: "edit", File: "ledger.py", Line: 9, Operator: "arithmetic_swap", Node: "binary_operator", Function: fn},
		{Kind: "edit", File: "ledger.py", Line: 12, Operator: "negate_condition", Node: "if_statement", Function: fn},
	}
	return slices.Insert(others, fix, agent.Candidate{Kind: "edit", File: "ledger.py", Line: 3, Operator: "boundary", Node: "comparison", Function: fn})
}

func TestPolicyTransferLearnsWhatCarriesOver(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jobs.db")
	const job = "job-t"
	seedJob(t, db, job, "agent: native\n")
	for n := range 8 {
		seedFixBug(t, db, job, n, transferRows(fmt.Sprintf("fn%d", n), n%3), n%3)
	}
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	defer rootCmd.SetOut(nil)
	if code := run([]string{"policy", "transfer", job, "--db", db, "--folds", "4", "--json", "--epochs", "20", "--lr", "0.05"}); code != 0 {
		t.Fatalf("ssr policy transfer: exit %d", code)
	}
	var res transferResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Groups != 8 || res.Units != 8 || res.Attempts != 16 {
		t.Fatalf("groups %d, units %d, attempts %d: want 8 bugs in 8 functions, every attempt held out once with its fix", res.Groups, res.Units, res.Attempts)
	}
	// Version 0 gives each of three rows a third; a policy trained on other functions' boundary fixes gives
	// the held-out boundary fix more, on every attempt of a fold that trained on anything.
	if res.Uniform.Estimate < 0.33 || res.Uniform.Estimate > 0.34 {
		t.Errorf("uniform p(fix) %.4f, want 1/3", res.Uniform.Estimate)
	}
	if res.Gain.Lo <= 0 || res.Better != res.Attempts || res.Top1[1] != res.Attempts {
		t.Errorf("gain %+v, better on %d, fix first on %d of %d: training on other functions should carry over",
			res.Gain, res.Better, res.Top1[1], res.Attempts)
	}
	held := 0
	for _, f := range res.PerFold {
		held += f.Attempts
		if f.Groups > 0 && f.Decisions != 2*(8-f.Groups) {
			t.Errorf("fold %+v trained on %d decisions, want the other folds' %d", f, f.Decisions, 2*(8-f.Groups))
		}
	}
	if held != 16 {
		t.Errorf("folds held out %d attempts, want 16", held)
	}

	// By file, all eight bugs are one unit: one fold holds them, the policy trains on nothing, nothing is
	// gained.
	out.Reset()
	if code := run([]string{"policy", "transfer", job, "--db", db, "--by", "file", "--json"}); code != 0 {
		t.Fatalf("ssr policy transfer --by file: exit %d", code)
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Units != 1 || res.Gain.Estimate != 0 || res.Better != 0 {
		t.Errorf("by file: units %d, gain %+v, better on %d: one unit, nothing to train on", res.Units, res.Gain, res.Better)
	}

	if code := run([]string{"policy", "transfer", job, "--db", db, "--by", "module"}); code != 2 {
		t.Errorf("--by module: exit %d, want 2 (a usage error)", code)
	}
	if code := run([]string{"policy", "transfer", job, "--db", db, "--folds", "1"}); code != 2 {
		t.Errorf("--folds 1: exit %d, want 2 (a usage error)", code)
	}
}

func TestPolicyTransferOnAnotherJob(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jobs.db")
	seedJob(t, db, "job-train", "agent: native\n")
	seedJob(t, db, "job-set", "agent: native\n")
	for n := range 6 {
		seedFixBug(t, db, "job-train", n, transferRows(fmt.Sprintf("fn%d", n), n%3), n%3)
	}
	for n := 100; n < 103; n++ { // other functions, as a frozen set's bugs are
		seedFixBug(t, db, "job-set", n, transferRows(fmt.Sprintf("other%d", n), n%3), n%3)
	}
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	defer rootCmd.SetOut(nil)
	if code := run([]string{"policy", "transfer", "job-train", "--on", "job-set", "--db", db, "--json", "--epochs", "20", "--lr", "0.05"}); code != 0 {
		t.Fatalf("ssr policy transfer --on: exit %d", code)
	}
	var res transferResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	// One policy, trained on all six of job-train's bugs (two decisions each), scores job-set's three bugs.
	if res.On != "job-set" || res.Folds != 1 || len(res.PerFold) != 1 || res.PerFold[0].Decisions != 12 {
		t.Fatalf("on %q, %d folds %+v: want one policy trained on job-train's 12 decisions", res.On, res.Folds, res.PerFold)
	}
	if res.Groups != 3 || res.Attempts != 6 {
		t.Fatalf("groups %d, attempts %d: want job-set's 3 bugs and their 6 attempts scored", res.Groups, res.Attempts)
	}
	if res.Gain.Lo <= 0 || res.Better != res.Attempts {
		t.Errorf("gain %+v, better on %d of %d: boundary fixes learnt on job-train should carry over", res.Gain, res.Better, res.Attempts)
	}

	out.Reset()
	if code := run([]string{"policy", "transfer", "job-train", "--on", "job-nope", "--db", db}); code == 0 {
		t.Errorf("--on a job that does not exist: exit 0, want an error")
	}
	if code := run([]string{"policy", "transfer", "job-train", "--on", "job-train", "--db", db}); code != 2 {
		t.Errorf("--on JOB itself: exit %d, want 2 (a usage error: it would score what it trained on)", code)
	}
}
