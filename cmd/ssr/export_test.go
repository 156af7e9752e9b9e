package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena/store"
)

// seedExportJob records a job with one LLM injector episode (valid artifact, a bug), two LLM solver
// attempts on the bug (one solved) with advantages, and one native injector episode; it returns the
// database path and the job id.
func seedExportJob(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "jobs.db")
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const job = "job-x"
	if err := st.CreateJob(ctx, store.Job{ID: job, Name: "x", Config: "agent: llm\n", Status: store.JobFinished, Owner: "1@h:0"}); err != nil {
		t.Fatal(err)
	}
	sys := &agent.Message{Role: "system", Content: "You are in a sandbox."}
	usr := &agent.Message{Role: "user", Content: "Break the code. You have 3 turns; every reply uses one."}
	llmTurns := func(tools ...string) json.RawMessage {
		var ts []agent.Turn
		for i, tool := range tools {
			m := &agent.Message{Role: "assistant", Model: "served", Usage: &agent.Usage{PromptTokens: 100, CompletionTokens: 9},
				ToolCalls: []agent.ToolCall{{ID: "call_" + tool, Name: tool, Arguments: `{"command":"ls"}`}}}
			if i == 0 {
				m.Extra = []*agent.Message{sys, usr}
			}
			ts = append(ts, agent.Turn{N: i, Action: agent.Action{Tool: tool, Command: "ls", Message: m}, Result: agent.Result{Output: "out of " + tool}})
		}
		b, _ := json.Marshal(ts)
		return b
	}
	parts := json.RawMessage(`{"test_script":"pytest -q","test_files":["tests/test_a.py"],"parser":"pytest","bug_inject":"--- a\n+++ b\n","test_weaken":""}`)
	if err := st.ProposeArtifact(ctx, store.Artifact{ID: "art-1", Job: job, Repo: "pyledger", Strategy: "direct", Order: 1, Agent: "llm", Parts: parts},
		&store.Episode{ID: "ep-inj", Agent: "llm", Repo: "pyledger", Turns: llmTurns("bash", "submit")}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordValidation(ctx, store.Validation{ArtifactID: "art-1", Valid: true, Step: "inverse", F2P: []string{"t::a"}, P2P: []string{"t::b"}},
		&store.Bug{ID: "bug-1"}, nil); err != nil {
		t.Fatal(err)
	}
	for i, ok := range []bool{true, false} {
		r := map[bool]float64{true: 1, false: -1}[ok]
		ep := &store.Episode{ID: []string{"ep-s0", "ep-s1"}[i], Job: job, Role: store.RoleSolver, Agent: "llm", Repo: "pyledger",
			Turns: llmTurns("bash", "bash", "submit"), Reward: &r}
		if err := st.RecordAttempt(ctx, store.Attempt{ID: []string{"att-0", "att-1"}[i], BugID: "bug-1", Index: i, Success: ok, Reward: r}, ep); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetAdvantages(ctx, map[string]float64{"ep-s0": 1, "ep-s1": -1}); err != nil {
		t.Fatal(err)
	}
	dec := &agent.Decision{Rows: []agent.Candidate{{Description: "flip < at a.py:3"}, {Description: "swap + at a.py:7"}}, Chosen: 1, LogProb: -0.69}
	native, _ := json.Marshal([]agent.Turn{
		{N: 0, Action: agent.Action{Tool: agent.ToolApply, Candidate: 1, Decision: dec}, Result: agent.Result{Sites: []string{"a.py:7 arithmetic_swap"}}},
		{N: 1, Action: agent.Action{Tool: agent.ToolRunTests}, Result: agent.Result{Output: "3 passed"}},
		{N: 2, Action: agent.Action{Tool: agent.ToolSubmit}, Result: agent.Result{Error: "nothing broke"}},
	})
	if err := st.ProposeArtifact(ctx, store.Artifact{ID: "art-2", Job: job, Repo: "gokit", Strategy: "mutation", Order: 1, Agent: "native", Parts: parts},
		&store.Episode{ID: "ep-nat", Agent: "native", Repo: "gokit", Turns: native}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordValidation(ctx, store.Validation{ArtifactID: "art-2", Step: "bug", Reason: "nothing fails"}, nil,
		&store.Episode{ID: "ep-nat", Reward: ptr(-1.0)}); err != nil {
		t.Fatal(err)
	}
	return db, job
}

// TestExportTrajectories: every stored episode becomes one JSONL line with its reward, advantage group and
// every turn as messages.
func TestExportTrajectories(t *testing.T) {
	db, job := seedExportJob(t)
	out := filepath.Join(t.TempDir(), "traj.jsonl")
	if code := run([]string{"export", job, "--db", db, "--format", "trajectories", "--out", out}); code != 0 {
		t.Fatalf("ssr export exited %d", code)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]trajectory{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var tr trajectory
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		got[tr.Episode] = tr
	}
	for id, want := range map[string]struct {
		role, group, strategy string
		reward                float64
		adv                   *float64
		turns, messages       int
		decisions             int
	}{
		// system + task + (assistant + tool) per turn
		"ep-inj": {role: "injector", group: "", strategy: "direct", turns: 2, messages: 2 + 2*2},
		"ep-s0":  {role: "solver", group: "bug:bug-1", reward: 1, adv: ptr(1.0), turns: 3, messages: 2 + 2*3},
		"ep-s1":  {role: "solver", group: "bug:bug-1", reward: -1, adv: ptr(-1.0), turns: 3, messages: 2 + 2*3},
		"ep-nat": {role: "injector", group: "repo:gokit", strategy: "mutation", reward: -1, turns: 3, messages: 2 * 3, decisions: 1},
	} {
		tr, ok := got[id]
		if !ok {
			t.Errorf("episode %s not exported (got %d lines)", id, len(got))
			continue
		}
		if tr.Role != want.role || tr.Group != want.group || tr.Strategy != want.strategy || tr.Turns != want.turns ||
			len(tr.Messages) != want.messages || len(tr.Decisions) != want.decisions {
			t.Errorf("%s: role %s group %q strategy %q turns %d messages %d decisions %d; want %+v", id, tr.Role, tr.Group, tr.Strategy,
				tr.Turns, len(tr.Messages), len(tr.Decisions), want)
		}
		if want.group != "" && (tr.Reward == nil || *tr.Reward != want.reward) {
			t.Errorf("%s: reward %v, want %v", id, tr.Reward, want.reward)
		}
		if (want.adv == nil) != (tr.Advantage == nil) || (want.adv != nil && *tr.Advantage != *want.adv) {
			t.Errorf("%s: advantage %v, want %v", id, tr.Advantage, want.adv)
		}
	}
	inj := got["ep-inj"].Messages
	if len(inj) > 2 && (inj[0].Role != "system" || inj[1].Role != "user" || inj[2].Role != "assistant" || inj[2].Usage == nil) {
		t.Errorf("llm transcript starts %+v", inj[:3])
	}
	nat := got["ep-nat"].Messages
	if len(nat) == 6 && (nat[0].Content != "swap + at a.py:7" || nat[0].ToolCalls[0].Arguments != `{"candidate":1}` ||
		nat[1].Role != "tool" || !strings.Contains(nat[5].Content, "error: nothing broke")) {
		t.Errorf("native messages %+v", nat)
	}
	if len(got) != 4 {
		t.Errorf("%d lines, want 4 (one per episode)", len(got))
	}
}

// TestExportErrors: a wrong call exits 2, a missing job or database 1. (Flags keep their values between
// in-process runs, so every case sets --format.)
func TestExportErrors(t *testing.T) {
	db, _ := seedExportJob(t)
	for name, tc := range map[string]struct {
		args []string
		code int
	}{
		"unknown format":          {[]string{"export", "job-x", "--db", db, "--format", "swebench-ish"}, 2},
		"unknown job":             {[]string{"export", "job-nope", "--db", db, "--format", "trajectories"}, 1},
		"no job":                  {[]string{"export", "--db", db}, 2},
		"no database":             {[]string{"export", "job-x", "--format", "trajectories", "--db", filepath.Join(t.TempDir(), "typo.db")}, 1},
		"artifacts without --out": {[]string{"export", "job-x", "--db", db, "--format", "artifacts"}, 2},
		"bad solve-rate band":     {[]string{"export", "job-x", "--db", db, "--format", "swebench", "--solve-rate", "x:y"}, 2},
		"bad order":               {[]string{"export", "job-x", "--db", db, "--format", "swebench", "--order", "3"}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			if code := run(tc.args); code != tc.code {
				t.Fatalf("exit %d, want %d", code, tc.code)
			}
		})
	}
}
