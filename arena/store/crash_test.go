package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// crashHelperEnv names the database a re-executed test binary writes to until it is killed.
const crashHelperEnv = "SSR_STORE_CRASH_HELPER"

const crashAttempts = 4 // attempts per bug in the crash test

func TestMain(m *testing.M) {
	if path := os.Getenv(crashHelperEnv); path != "" {
		if err := crashHelper(path); err != nil {
			fmt.Fprintln(os.Stderr, "crash helper:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashHelper plays a job the way the arena resumes one: finish what the store says is left,
// then propose, validate and attempt new work, forever. It prints "ready" after its first commit.
func crashHelper(path string) error {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	log := make([]byte, 256<<10)
	for i := range log {
		log[i] = "PASSED FAILED tests/x.py::t\n"[i%28]
	}
	ready := false
	for {
		pending, err := s.PendingArtifacts(ctx, "job-1")
		if err != nil {
			return err
		}
		for _, a := range pending {
			valid := a.ID[len(a.ID)-1] >= '5' // about two in three
			v := Validation{ArtifactID: a.ID, Valid: valid, Step: "inverse", F2P: []string{"t::a"}, P2P: []string{"t::b"}}
			var bug *Bug
			reward := ptr(-1)
			if valid {
				bug, reward = &Bug{ID: "bug-" + a.ID}, nil
			} else {
				v.Reason, v.Step = "no test fails", "bug"
			}
			inj := &Episode{ID: "ep-" + a.ID, Turns: turns(2), Reward: reward}
			if err := s.RecordValidation(ctx, v, bug, inj,
				RawLog{Kind: LogOriginal, Output: log}, RawLog{Kind: LogBug, Output: log}, RawLog{Kind: LogInverse, Output: log}); err != nil {
				return err
			}
		}
		needs, err := s.BugsNeedingAttempts(ctx, "job-1", crashAttempts)
		if err != nil {
			return err
		}
		for _, nd := range needs {
			for _, i := range nd.Missing {
				id := fmt.Sprintf("att-%s-%d", nd.Bug.ID, i)
				ok := i%2 == 0
				reward := -1.0
				if ok {
					reward = 1
				}
				if err := s.RecordAttempt(ctx, Attempt{ID: id, BugID: nd.Bug.ID, Index: i, Prediction: "diff", Success: ok, Reward: reward},
					&Episode{ID: "ep-" + id, Turns: turns(3)}, RawLog{Kind: LogEval, Output: log}); err != nil {
					return err
				}
			}
		}
		finish, err := s.BugsToFinish(ctx, "job-1", crashAttempts)
		if err != nil {
			return err
		}
		for _, b := range finish {
			if err := s.FinishBug(ctx, b.ID, 0.1, 0.5); err != nil {
				return err
			}
		}
		for range 2 {
			id := newID("art-")
			if err := s.ProposeArtifact(ctx, Artifact{ID: id, Job: "job-1", Repo: "r1", Parts: parts(id)}, &Episode{ID: "ep-" + id, Turns: turns(2)}); err != nil {
				return err
			}
		}
		if !ready {
			fmt.Println("ready")
			ready = true
		}
	}
}

// TestCrashSafety kills a writing process at random instants, several times over, and checks
// after each kill that the database opens, holds no partial unit of work, and that the next
// process resumes from it without repeating anything.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "job.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedJob(t, s)
	s.Close()

	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	lastAttempts := -1
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashHelperEnv+"="+path)
		var stderr bufferWriter
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: helper did not get ready (%q, %v): %s", round, line, err, stderr.String())
		}
		time.Sleep(time.Duration(50+r.IntN(250)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: helper ended on its own (%v) instead of being killed: %s", round, err, stderr.String())
		}

		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		c := checkConsistent(t, s)
		t.Logf("round %d: %+v", round, c)
		if c.Attempts <= lastAttempts {
			t.Errorf("round %d: no progress (%d attempts after %d)", round, c.Attempts, lastAttempts)
		}
		lastAttempts = c.Attempts
		s.Close()
	}
}

// checkConsistent asserts that every unit of work in s is whole.
func checkConsistent(t *testing.T, s *Store) Counts {
	t.Helper()
	ctx := context.Background()
	var ok string
	if err := s.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %s %v", ok, err)
	}
	rows, err := s.r.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("foreign_key_check reports a dangling reference")
	}
	rows.Close()
	c, err := s.Counts(ctx, "job-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ what, sql string }{
		{"artifact without its injector episode",
			`SELECT count(*) FROM artifacts a WHERE NOT EXISTS (SELECT 1 FROM episodes e WHERE e.artifact_id = a.id AND e.role = 'injector')`},
		{"validation without its three logs",
			`SELECT count(*) FROM validations v WHERE (SELECT count(*) FROM raw_logs l WHERE l.ref = v.artifact_id) != 3 OR json_array_length(v.log_ids) != 3`},
		{"valid validation without a bug, or rejected with one",
			`SELECT count(*) FROM validations v WHERE v.valid != (SELECT count(*) FROM bugs b WHERE b.artifact_id = v.artifact_id)`},
		{"rejected artifact whose injector has no reward",
			`SELECT count(*) FROM validations v JOIN episodes e ON e.artifact_id = v.artifact_id WHERE NOT v.valid AND e.reward IS NULL`},
		{"attempt without its episode or its one eval log",
			`SELECT count(*) FROM attempts t WHERE NOT EXISTS (SELECT 1 FROM episodes e WHERE e.id = t.episode_id AND e.attempt_id = t.id AND e.reward = t.reward)
			 OR (SELECT count(*) FROM raw_logs l WHERE l.ref = t.id AND l.kind = 'eval') != 1`},
		{"solver episode without its attempt",
			`SELECT count(*) FROM episodes e WHERE e.role = 'solver' AND NOT EXISTS (SELECT 1 FROM attempts t WHERE t.id = e.attempt_id)`},
		{"log of no unit",
			`SELECT count(*) FROM raw_logs l WHERE NOT EXISTS (SELECT 1 FROM attempts t WHERE t.id = l.ref) AND NOT EXISTS (SELECT 1 FROM validations v WHERE v.artifact_id = l.ref)`},
		{"done bug not fully attempted or injector not rewarded",
			`SELECT count(*) FROM bugs b JOIN episodes e ON e.artifact_id = b.artifact_id AND e.role = 'injector' WHERE b.status = 'done'
			 AND ((SELECT count(*) FROM attempts t WHERE t.bug_id = b.id) != 4 OR e.reward IS NOT b.injector_reward)`},
		{"bug with attempts still open",
			`SELECT count(*) FROM bugs b WHERE b.status = 'open' AND EXISTS (SELECT 1 FROM attempts t WHERE t.bug_id = b.id)`},
	} {
		var n int
		if err := s.r.QueryRowContext(ctx, q.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.what, err)
		}
		if n != 0 {
			t.Errorf("%d × %s", n, q.what)
		}
	}
	if c.Attempts != c.Roles[RoleSolver].Episodes || c.Artifacts != c.Roles[RoleInjector].Episodes || c.Valid != c.Bugs {
		t.Errorf("counts disagree: %+v", c)
	}
	return c
}

// bufferWriter collects a child's stderr for failure messages.
type bufferWriter struct{ b []byte }

func (w *bufferWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *bufferWriter) String() string              { return string(w.b) }
