package store

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s round trip:\n got %s\nwant %s", what, g, w)
	}
}

func TestRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec)*time.Second + 7) }

	job := Job{ID: "job-20261125-171900-ab12", Name: "nightly", Config: "repos: [a]\n", Status: JobRunning, Owner: "42@box:1700000000", Created: at(1), Updated: at(1)}
	if err := s.CreateJob(ctx, job); err != nil {
		t.Fatal(err)
	}
	gotJob, err := s.GetJob(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "job", gotJob, job)
	if err := s.SetJobStatus(ctx, job.ID, JobStopped, "43@box:1700000100"); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.GetJob(ctx, job.ID); j.Status != JobStopped || j.Owner != "43@box:1700000100" || j.Updated.Equal(job.Updated) {
		t.Errorf("after SetJobStatus: %+v", j)
	}
	if err := s.FailJob(ctx, job.ID, "43@box:1700000100", "repo calc: clone: host unreachable"); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.GetJob(ctx, job.ID); j.Status != JobFailed || j.Reason != "repo calc: clone: host unreachable" {
		t.Errorf("after FailJob: %+v", j)
	}
	if err := s.SetJobStatus(ctx, job.ID, JobRunning, "44@box:1700000200"); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.GetJob(ctx, job.ID); j.Status != JobRunning || j.Reason != "" {
		t.Errorf("a resumed job keeps the old failure's reason: %+v", j)
	}
	if jobs, err := s.ListJobs(ctx); err != nil || len(jobs) != 1 || jobs[0].ID != job.ID {
		t.Errorf("ListJobs = %v, %v", jobs, err)
	}

	repo := Repo{Job: job.ID, Name: "calc", ImageRef: "ssr-repo/calc:abc", ImageID: "sha256:0123", Commit: "abc123", Language: "python",
		Baseline: json.RawMessage(`{"passed":12,"failed":["t::meta"]}`)}
	if err := s.PutRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	repo.Commit = "def456" // PutRepo replaces
	if err := s.PutRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	repos, err := s.Repos(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "repos", repos, []Repo{repo})

	pv := PolicyVersion{Version: 3, Created: at(2), Checkpoint: "/ckpt/3.bin", Metrics: json.RawMessage(`{"loss":0.25}`)}
	if err := s.AddPolicyVersion(ctx, pv); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPolicyVersion(ctx, pv); !errors.Is(err, ErrDuplicate) {
		t.Errorf("second version 3 = %v, want ErrDuplicate", err)
	}
	pvs, err := s.PolicyVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "policy versions", pvs, []PolicyVersion{pv})

	art := Artifact{ID: "art-1", Job: job.ID, Repo: "calc", Strategy: "removal", Order: 1, PolicyVersion: 3, Agent: "native",
		Parts: parts("calc"), Metadata: json.RawMessage(`{"image":"sha256:0123"}`), Created: at(3)}
	inj := Episode{ID: "ep-inj", Job: job.ID, Role: RoleInjector, Agent: "native", PolicyVersion: 3, Repo: "calc", ArtifactID: "art-1",
		Turns: turns(4), Started: at(2), Finished: at(3)}
	if err := s.ProposeArtifact(ctx, art, &inj); err != nil {
		t.Fatal(err)
	}
	gotArt, err := s.GetArtifact(ctx, "art-1")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "artifact", gotArt, art)

	logs := []RawLog{
		{ID: "log-orig", Kind: LogOriginal, Output: []byte("12 passed\n"), ExitCode: 0, Duration: 1500 * time.Millisecond,
			Results: json.RawMessage(`{"t::a":"passed"}`), Created: at(4)},
		{ID: "log-bug", Kind: LogBug, Output: []byte("1 failed, 11 passed\n"), ExitCode: 137, Duration: time.Second, Created: at(5),
			End: "timed_out", TimedOut: true, Timeout: 61 * time.Second},
	}
	shared, err := s.RecordLogs(ctx, RawLog{Job: job.ID, Kind: LogOriginal, Ref: "calc", Output: []byte("cached original")})
	if err != nil {
		t.Fatal(err)
	}
	v := Validation{ArtifactID: "art-1", Valid: true, Step: "inverse", F2P: []string{"t::a"}, P2P: []string{"t::b", "t::c"},
		Durations: map[string]time.Duration{"original": 1500 * time.Millisecond, "bug": time.Second}, LogIDs: shared, Created: at(6),
		Notes: json.RawMessage(`{"not_run":["t::d"]}`)}
	bug := Bug{ID: "bug-1", Created: at(6), Updated: at(6)}
	injReward := inj
	injReward.Advantage = ptr(0.5) // replaced as a whole
	if err := s.RecordValidation(ctx, v, &bug, &injReward, logs...); err != nil {
		t.Fatal(err)
	}
	gotV, err := s.GetValidation(ctx, "art-1")
	if err != nil {
		t.Fatal(err)
	}
	wantV := v
	wantV.LogIDs = append(shared, "log-orig", "log-bug")
	same(t, "validation", gotV, wantV)

	gotBug, err := s.GetBug(ctx, "bug-1")
	if err != nil {
		t.Fatal(err)
	}
	wantBug := Bug{ID: "bug-1", ArtifactID: "art-1", Job: job.ID, Repo: "calc", Order: 1, F2P: v.F2P, P2P: v.P2P, Status: BugOpen, Created: at(6), Updated: at(6)}
	same(t, "bug", gotBug, wantBug)

	for _, want := range logs {
		got, err := s.Log(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		want.Job, want.Ref, want.Size = job.ID, "art-1", int64(len(want.Output))
		same(t, "log "+want.ID, got, want)
	}
	if byRef, err := s.LogsByRef(ctx, "art-1"); err != nil || len(byRef) != 2 || byRef[0].ID != "log-orig" {
		t.Errorf("LogsByRef = %d logs, %v", len(byRef), err)
	}

	att := Attempt{ID: "att-1", BugID: "bug-1", Index: 0, Prediction: "--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-x\n+y\n",
		Success: true, Reward: 1, Details: json.RawMessage(`{"f2p":{"t::a":"passed"},"p2p":{"t::b":"passed"}}`), Started: at(7), Finished: at(8)}
	sol := Episode{ID: "ep-sol", Agent: "native", PolicyVersion: 3, Turns: turns(5), Started: at(7), Finished: at(8)}
	if err := s.RecordAttempt(ctx, att, &sol, RawLog{ID: "log-eval", Kind: LogEval, Output: []byte("ok"), Created: at(8)}); err != nil {
		t.Fatal(err)
	}
	atts, err := s.Attempts(ctx, "bug-1")
	if err != nil {
		t.Fatal(err)
	}
	wantAtt := att
	wantAtt.EpisodeID, wantAtt.LogIDs = "ep-sol", []string{"log-eval"}
	same(t, "attempts", atts, []Attempt{wantAtt})
	if b, _ := s.GetBug(ctx, "bug-1"); b.Status != BugSolving {
		t.Errorf("bug status after an attempt = %s, want solving", b.Status)
	}

	gotSol, err := s.GetEpisode(ctx, "ep-sol")
	if err != nil {
		t.Fatal(err)
	}
	wantSol := sol
	wantSol.Job, wantSol.Role, wantSol.Repo, wantSol.BugID, wantSol.AttemptID, wantSol.NTurns, wantSol.Reward =
		job.ID, RoleSolver, "calc", "bug-1", "att-1", 5, ptr(1)
	same(t, "solver episode", gotSol, wantSol)
	if tr, err := s.EpisodeTurns(ctx, "ep-sol"); err != nil || string(tr) != string(sol.Turns) {
		t.Errorf("EpisodeTurns = %s, %v", tr, err)
	}

	if err := s.FinishBug(ctx, "bug-1", -0.8, 1); err != nil {
		t.Fatal(err)
	}
	gotBug, _ = s.GetBug(ctx, "bug-1")
	if gotBug.Status != BugDone || *gotBug.InjectorReward != -0.8 || *gotBug.SolveRate != 1 {
		t.Errorf("finished bug: %+v", gotBug)
	}
	gotInj, err := s.GetEpisode(ctx, "ep-inj")
	if err != nil {
		t.Fatal(err)
	}
	wantInj := injReward
	wantInj.NTurns, wantInj.Reward = 4, ptr(-0.8)
	same(t, "injector episode", gotInj, wantInj)

	if err := s.SetAdvantages(ctx, map[string]float64{"ep-sol": 0.25, "ep-inj": -1.5}); err != nil {
		t.Fatal(err)
	}
	eps, err := s.ListEpisodes(ctx, job.ID, EpisodeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	wantInj.Turns, wantInj.Advantage = nil, ptr(-1.5)
	wantSol.Turns, wantSol.Advantage = nil, ptr(0.25)
	same(t, "listed episodes", eps, []Episode{wantInj, wantSol})
}

func TestNotFound(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	for name, f := range map[string]func() error{
		"job":        func() error { _, err := s.GetJob(ctx, "nope"); return err },
		"set status": func() error { return s.SetJobStatus(ctx, "nope", JobFailed, "") },
		"artifact":   func() error { _, err := s.GetArtifact(ctx, "nope"); return err },
		"validation": func() error { _, err := s.GetValidation(ctx, "nope"); return err },
		"validate unknown artifact": func() error {
			return s.RecordValidation(ctx, Validation{ArtifactID: "nope"}, nil, nil)
		},
		"bug":     func() error { _, err := s.GetBug(ctx, "nope"); return err },
		"attempt": func() error { a, e := attempt("nope", 0, true); return s.RecordAttempt(ctx, a, e) },
		"finish":  func() error { return s.FinishBug(ctx, "nope", 0, 0) },
		"episode": func() error { _, err := s.GetEpisode(ctx, "nope"); return err },
		"turns":   func() error { _, err := s.EpisodeTurns(ctx, "nope"); return err },
		"log":     func() error { _, err := s.Log(ctx, "nope"); return err },
		"advantage": func() error {
			return s.SetAdvantages(ctx, map[string]float64{"nope": 1})
		},
	} {
		if err := f(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}

func TestInvalidRecords(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	seedBug(t, s, "b1", "r1")
	ctx := context.Background()
	okArt := Artifact{ID: "a", Job: "job-1", Repo: "r1", Parts: parts("x")}
	for name, f := range map[string]func() error{
		"job without id":      func() error { return s.CreateJob(ctx, Job{Name: "x"}) },
		"job bad status":      func() error { return s.CreateJob(ctx, Job{ID: "j", Status: "paused"}) },
		"artifact no repo":    func() error { a := okArt; a.Repo = ""; return s.ProposeArtifact(ctx, a, nil) },
		"artifact order 3":    func() error { a := okArt; a.Order = 3; return s.ProposeArtifact(ctx, a, nil) },
		"order 2 no parent":   func() error { a := okArt; a.Order = 2; return s.ProposeArtifact(ctx, a, nil) },
		"parts not an object": func() error { a := okArt; a.Parts = json.RawMessage(`[1]`); return s.ProposeArtifact(ctx, a, nil) },
		"bad metadata":        func() error { a := okArt; a.Metadata = json.RawMessage(`{`); return s.ProposeArtifact(ctx, a, nil) },
		"unknown job":         func() error { a := okArt; a.Job = "job-x"; return s.ProposeArtifact(ctx, a, nil) },
		"episode bad role": func() error {
			return s.ProposeArtifact(ctx, okArt, &Episode{ID: "e", Role: "critic", Turns: turns(1)})
		},
		"turns not array": func() error {
			return s.ProposeArtifact(ctx, okArt, &Episode{ID: "e", Turns: json.RawMessage(`{"a":1}`)})
		},
		"valid without bug": func() error { return s.RecordValidation(ctx, Validation{ArtifactID: "art-b1", Valid: true}, nil, nil) },
		"rejected with bug": func() error { return s.RecordValidation(ctx, Validation{ArtifactID: "art-b1"}, &Bug{ID: "x"}, nil) },
		"unknown log ref": func() error {
			a, e := attempt("b1", 0, true)
			a.LogIDs = []string{"log-x"}
			return s.RecordAttempt(ctx, a, e)
		},
		"bad log kind": func() error {
			a, e := attempt("b1", 0, true)
			return s.RecordAttempt(ctx, a, e, RawLog{Kind: "stdout"})
		},
		"negative index": func() error { a, e := attempt("b1", -1, true); return s.RecordAttempt(ctx, a, e) },
		"bad details": func() error {
			a, e := attempt("b1", 0, true)
			a.Details = json.RawMessage("x")
			return s.RecordAttempt(ctx, a, e)
		},
		"bugs per n 0":         func() error { _, err := s.BugsNeedingAttempts(ctx, "job-1", 0); return err },
		"set status bad value": func() error { return s.SetJobStatus(ctx, "job-1", "paused", "") },
		"fail without reason":  func() error { return s.FailJob(ctx, "job-1", "", "") },
	} {
		err := f()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// Nothing of the failed units was written.
	if _, err := s.GetArtifact(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a rejected proposal left its artifact: %v", err)
	}
	if atts, _ := s.Attempts(ctx, "b1"); len(atts) != 0 {
		t.Errorf("rejected attempts left %d rows", len(atts))
	}
}
