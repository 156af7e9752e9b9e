package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
)

// synthJob is the id of the job makeSynthJob records.
const synthJob = "job-synth"

var synthStart = time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC)

// synthArtifact is the artifact every synthetic bug uses.
func synthArtifact() []byte {
	a := &artifact.Artifact{TestScript: "#!/bin/sh\ncd /repo && go test -json ./ring\n", TestFiles: []string{"ring/ring_test.go"},
		Parser:     artifact.Parser{Builtin: "gotest-json"},
		BugDiff:    "--- a/ring/ring.go\n+++ b/ring/ring.go\n@@ -1,1 +1,1 @@\n-func (b *Buffer[T]) Len() int { return b.size }\n+func (b *Buffer[T]) Len() int { return b.size + 1 }\n",
		WeakenDiff: "--- a/ring/ring_test.go\n+++ b/ring/ring_test.go\n@@ -1,2 +1,1 @@\n func TestA(t *testing.T) {}\n-func TestPeek(t *testing.T) {}\n",
		Meta:       artifact.Metadata{Repo: "gokit", Strategy: "mutation", Order: 1}}
	data, _ := a.MarshalRecord()
	return data
}

func synthTurns(role string, n int) []byte {
	var turns []agent.Turn
	for i := range n {
		t := agent.Turn{N: i, Started: synthStart.Add(time.Duration(i) * time.Second), Millis: 120}
		switch {
		case i == n-1:
			t.Action = agent.Action{Tool: agent.ToolSubmit}
		case i%2 == 0:
			t.Action = agent.Action{Tool: agent.ToolBash, Command: "go test ./ring"}
			t.Result = agent.Result{Output: "--- FAIL: TestPeek\nFAIL\n", ExitCode: 1, Failing: 1,
				Tests: map[string]string{"example.com/gokit/ring::TestPeek": "failed"}}
		default:
			t.Action = agent.Action{Tool: agent.ToolReplace, Path: "ring/ring.go", Old: "return b.size + 1", New: "return b.size"}
			t.Result = agent.Result{Output: "replaced 1 occurrence (" + role + ")"}
		}
		turns = append(turns, t)
	}
	data, _ := json.Marshal(turns)
	return data
}

// makeSynthJob records a job of n artifacts through the store's API: every third rejected at the bug step,
// the others valid with two attempts each (the first solved when the bug's index is even).
func makeSynthJob(ctx context.Context, path string, n int) error {
	clock := synthStart
	st, err := store.Open(ctx, path, store.WithClock(func() time.Time { clock = clock.Add(time.Second); return clock }))
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := "name: synth\nexamples: [gokit]\nagent: native\nseed: 1\nlimits:\n  bugs: 4\n"
	if err := st.CreateJob(ctx, store.Job{ID: synthJob, Name: "synth", Config: cfg, Status: store.JobFinished, Owner: "test"}); err != nil {
		return err
	}
	parts := synthArtifact()
	f2p := []string{"example.com/gokit/ring::TestPeek"}
	p2p := []string{"example.com/gokit/ring::TestA"}
	for i := range n {
		art, bug := fmt.Sprintf("art-%04d", i), fmt.Sprintf("bug-%04d", i)
		if err := st.ProposeArtifact(ctx, store.Artifact{ID: art, Job: synthJob, Repo: "gokit", Strategy: []string{"mutation", "removal"}[i%2],
			Order: 1, PolicyVersion: int64(i / 4), Agent: "native", Parts: parts, Created: synthStart.Add(time.Duration(i) * time.Minute)}, &store.Episode{ID: fmt.Sprintf("ep-inj-%04d", i), Agent: "native",
			PolicyVersion: int64(i / 4), Turns: synthTurns("injector", 3)}); err != nil {
			return err
		}
		out := []byte("{\"Action\":\"pass\",\"Package\":\"example.com/gokit/ring\",\"Test\":\"TestPeek\"}\n")
		logs := []store.RawLog{{ID: "log-orig-" + strconv.Itoa(i), Kind: store.LogOriginal, Output: out, End: "completed", Duration: 2 * time.Second}}
		if i%3 == 2 {
			r := -1.0
			if err := st.RecordValidation(ctx, store.Validation{ArtifactID: art, Step: "bug", Reason: "bug: the bug makes 0 originally passing test(s) report a failure",
				Durations: map[string]time.Duration{"static": time.Millisecond, "original": 2 * time.Second, "bug": 3 * time.Second}},
				nil, &store.Episode{ID: fmt.Sprintf("ep-inj-%04d", i), Reward: &r}, logs...); err != nil {
				return err
			}
			continue
		}
		notes, _ := json.Marshal(arena.Notes{Hidden: f2p})
		if err := st.RecordValidation(ctx, store.Validation{ArtifactID: art, Valid: true, Step: "inverse", F2P: f2p, P2P: p2p, Notes: notes,
			Durations: map[string]time.Duration{"static": time.Millisecond, "original": 2 * time.Second, "bug": 3 * time.Second, "weaken+inverse": 2 * time.Second}},
			&store.Bug{ID: bug}, nil, logs...); err != nil {
			return err
		}
		solved := 0
		for k := range 2 {
			ok := k == 0 && i%2 == 0
			r := -1.0
			if ok {
				r, solved = 1, solved+1
			}
			ev := arena.Evaluation{Success: ok, Statuses: map[string]string{f2p[0]: "passed", p2p[0]: "passed"}}
			if !ok {
				ev.Reason, ev.FailingF2P, ev.Statuses[f2p[0]] = "1 of 1 F2P test(s) still fail ("+f2p[0]+")", f2p, "failed"
			}
			details, _ := json.Marshal(ev)
			pred := "--- a/ring/ring.go\n+++ b/ring/ring.go\n@@ -1,1 +1,1 @@\n-func (b *Buffer[T]) Len() int { return b.size + 1 }\n+func (b *Buffer[T]) Len() int { return b.size }\n"
			if err := st.RecordAttempt(ctx, store.Attempt{ID: fmt.Sprintf("att-%04d-%d", i, k), BugID: bug, Index: k, Prediction: pred, Success: ok,
				Reward: r, Details: details}, &store.Episode{ID: fmt.Sprintf("ep-sol-%04d-%d", i, k), Agent: "native", PolicyVersion: int64(i / 4),
				Turns: synthTurns("solver", 4)}, store.RawLog{ID: fmt.Sprintf("log-eval-%04d-%d", i, k), Kind: store.LogEval, Output: out,
				End: "completed", Duration: time.Second}); err != nil {
				return err
			}
		}
		rate := float64(solved) / 2
		ir := -0.8
		if solved == 1 {
			ir = 1 - 1.8*rate
		}
		if err := st.FinishBug(ctx, bug, ir, rate); err != nil {
			return err
		}
	}
	return nil
}

// makeBigJob writes n synthetic solver episodes (with n/4 bugs and artifacts) in one SQL transaction: the
// store's API commits one unit of work at a time, far too slowly for a benchmark's 100 000 rows.
func makeBigJob(ctx context.Context, path string, n int) error {
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	if err := st.CreateJob(ctx, store.Job{ID: synthJob, Name: "big", Config: "name: big\nexamples: [gokit]\nagent: native\n", Status: store.JobFinished, Owner: "test"}); err != nil {
		return err
	}
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	parts := string(synthArtifact())
	turns := string(synthTurns("solver", 6))
	ts := func(i int) string {
		return synthStart.Add(time.Duration(i) * time.Second).UTC().Format("2006-01-02T15:04:05.000000000Z")
	}
	for b := 0; b < n/4; b++ {
		art, bug := fmt.Sprintf("art-%06d", b), fmt.Sprintf("bug-%06d", b)
		if _, err := tx.ExecContext(ctx, `INSERT INTO artifacts (id, job, repo, strategy, ord, policy_version, agent, parts, created)
			VALUES (?, ?, 'gokit', ?, 1, ?, 'native', ?, ?)`, art, synthJob, []string{"mutation", "removal", "direct"}[b%3], b/1000, parts, ts(4*b)); err != nil {
			return err
		}
		valid := b%3 != 2
		if _, err := tx.ExecContext(ctx, `INSERT INTO validations (artifact_id, valid, reason, step, f2p, p2p, durations, log_ids, created)
			VALUES (?, ?, ?, ?, '["t::A"]', '["t::B","t::C"]', '{"original":2000000000,"bug":3000000000}', '[]', ?)`,
			art, valid, map[bool]string{false: "the bug makes 0 tests fail"}[valid], map[bool]string{true: "inverse", false: "bug"}[valid], ts(4*b)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO episodes (id, job, role, agent, policy_version, repo, artifact_id, turns, n_turns, reward, started, finished)
			VALUES (?, ?, 'injector', 'native', ?, 'gokit', ?, ?, 6, ?, ?, ?)`, "ep-i-"+art, synthJob, b/1000, art, turns,
			map[bool]float64{true: 0.1, false: -1}[valid], ts(4*b), ts(4*b+1)); err != nil {
			return err
		}
		if !valid {
			continue
		}
		rate := float64(b%5) / 4
		if _, err := tx.ExecContext(ctx, `INSERT INTO bugs (id, artifact_id, job, repo, ord, f2p, p2p, injector_reward, solve_rate, status, created, updated)
			VALUES (?, ?, ?, 'gokit', 1, '["t::A"]', '["t::B","t::C"]', 0.1, ?, 'done', ?, ?)`, bug, art, synthJob, rate, ts(4*b), ts(4*b)); err != nil {
			return err
		}
		for k := range 4 {
			att, ep := fmt.Sprintf("att-%06d-%d", b, k), fmt.Sprintf("ep-%06d-%d", b, k)
			ok := float64(k) < rate*4
			if _, err := tx.ExecContext(ctx, `INSERT INTO attempts (id, bug_id, idx, episode_id, prediction, success, reward, log_ids, started, finished)
				VALUES (?, ?, ?, ?, '', ?, ?, '[]', ?, ?)`, att, bug, k, ep, ok, map[bool]float64{true: 1, false: -1}[ok], ts(4*b+k), ts(4*b+k+1)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO episodes (id, job, role, agent, policy_version, repo, bug_id, attempt_id, turns, n_turns, reward, started, finished)
				VALUES (?, ?, 'solver', 'native', ?, 'gokit', ?, ?, ?, 6, ?, ?, ?)`, ep, synthJob, b/1000, bug, att, turns,
				map[bool]float64{true: 1, false: -1}[ok], ts(4*b+k), ts(4*b+k+1)); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// synthJobCmd is the testscript command "ssr-synthjob DB N".
func synthJobCmd() {
	n, err := strconv.Atoi(os.Args[2])
	if err == nil {
		err = makeSynthJob(context.Background(), os.Args[1], n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
