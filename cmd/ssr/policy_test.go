package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena/store"
)

// TestPolicyFreezeSelectsAndRecordsIdentity freezes seeded bugs without containers: the filters and
// --limit choose them, the set keeps each repository's config entry and recorded identity, and a filter
// that selects nothing is one clear error.
func TestPolicyFreezeSelectsAndRecordsIdentity(t *testing.T) {
	db := filepath.Join(t.TempDir(), "jobs.db")
	const job = "job-f"
	seedJob(t, db, job, trainJobConfig)
	for n := 1; n <= 3; n++ {
		seedBug(t, db, job, n)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	err = st.PutRepo(ctx, store.Repo{Job: job, Name: "pyledger", ImageRef: "ssr-repo/pyledger:x", ImageID: "sha256:abc", Commit: "c0ffee", Language: "python"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sets", "set.json")
	if code := run([]string{"policy", "freeze", job, "--db", db, "--out", out, "--limit", "2"}); code != 0 {
		t.Fatalf("ssr policy freeze: exit %d", code)
	}
	set, err := readBugSet(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Bugs) != 2 || set.Bugs[0].ID != "bug-1" || set.Bugs[1].ID != "bug-2" {
		t.Errorf("bugs %+v, want the two oldest (bug-1, bug-2)", set.Bugs)
	}
	if len(set.Repos) != 1 || set.Repos[0].Commit != "c0ffee" || set.Repos[0].ImageID != "sha256:abc" || set.Repos[0].Repo.Source.Example != "pyledger" {
		t.Errorf("repos %+v, want pyledger's config entry with commit c0ffee and image sha256:abc", set.Repos)
	}
	if set.Arena.NAttempts != 2 || set.Arena.SolverTurns != 2 {
		t.Errorf("arena settings %+v, want the job's (n_attempts 2, solver_turns 2)", set.Arena)
	}
	if set.Bugs[0].SolveRate == nil || *set.Bugs[0].SolveRate != 0.5 || len(set.Bugs[0].Artifact) == 0 {
		t.Errorf("bug-1 %+v: want its solve rate 0.5 and its artifact", set.Bugs[0])
	}
	if code := run([]string{"policy", "freeze", job, "--db", db, "--out", out, "--order", "2"}); code != 1 {
		t.Errorf("freezing order-2 bugs of a job with none: exit %d, want 1", code)
	}
	if code := run([]string{"policy", "freeze", job, "--db", db}); code != 2 {
		t.Errorf("freeze without --out: exit %d, want 2", code)
	}
	if code := run([]string{"policy", "eval", "uniform", "--bugs", out, "--k", "3", "--attempts", "2"}); code != 2 {
		t.Errorf("eval with k above the attempts: exit %d, want 2", code)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"format":"other"}`), 0o644)
	if _, err := readBugSet(bad); err == nil || !strings.Contains(err.Error(), "ssr policy freeze") {
		t.Errorf("reading a file that is no set: %v, want an error that says how to make one", err)
	}
}

// TestPolicyEvalOnASmallJob is the CI-sized path: a real job makes two bugs on pyledger, freeze takes
// them, and eval attempts each twice with the uniform policy in real sandboxes; the JSON counts every
// attempt once and its intervals hold their estimates. A set whose repository has moved to another commit
// is refused.
func TestPolicyEvalOnASmallJob(t *testing.T) {
	dir := inProcessJobEnv(t, "builds the plugins and runs a job and an evaluation on the pyledger example")
	cfg := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(cfg, []byte(`name: evalset
examples: [pyledger]
seed: 5
strategies: {mutation: 1}
limits: {bugs: 2}
arena: {n_attempts: 1, containers: 2, order2_share: 0, solver_turns: 2}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "jobs.db")
	if code := run([]string{"run", "--db", db, cfg}); code != 0 {
		t.Fatalf("ssr run: exit %d", code)
	}
	st, err := store.Open(context.Background(), db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := st.ListJobs(context.Background())
	st.Close()
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs: %v %v", jobs, err)
	}
	set := filepath.Join(dir, "set.json")
	if code := run([]string{"policy", "freeze", jobs[0].ID, "--db", db, "--out", set}); code != 0 {
		t.Fatalf("ssr policy freeze: exit %d", code)
	}
	var stdout bytes.Buffer
	rootCmd.SetOut(&stdout)
	defer rootCmd.SetOut(nil)
	if code := run([]string{"policy", "eval", "uniform", "--bugs", set, "--attempts", "2", "--k", "2", "--json"}); code != 0 {
		t.Fatalf("ssr policy eval: exit %d", code)
	}
	var res evalResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout.String())
	}
	if res.Bugs < 2 || res.Version != 0 || res.K != 2 || res.Attempts+res.Errors != 2*res.Bugs || res.Errors != 0 {
		t.Fatalf("eval result: %d bugs, version %d, k %d, %d attempts, %d errors; want every bug attempted twice by version 0 without errors",
			res.Bugs, res.Version, res.K, res.Attempts, res.Errors)
	}
	solved := 0
	for _, b := range res.PerBug {
		if b.Attempts != 2 {
			t.Errorf("bug %s: %d attempts, want 2", b.ID, b.Attempts)
		}
		solved += b.Solved
	}
	s1, pk := res.SuccessAt1, res.PassAtK
	if solved != res.Solved || s1.Estimate != float64(solved)/float64(res.Attempts) || s1.Lo > s1.Estimate || s1.Hi < s1.Estimate ||
		pk.Lo > pk.Estimate || pk.Hi < pk.Estimate || pk.Estimate < s1.Estimate {
		t.Errorf("success@1 %+v, pass@2 %+v from %d of %d solved: inconsistent", s1, pk, solved, res.Attempts)
	}
	// First-stage bugs are one invertible mutation: its inverse is among the rows of every first choice.
	fp := res.FixProb
	if res.FixChoices != res.Attempts || fp.Estimate <= 0 || fp.Estimate >= 1 || fp.Lo > fp.Estimate || fp.Hi < fp.Estimate {
		t.Errorf("p(fix) %+v over %d first choices of %d attempts: want every first choice to have a fix, with a probability in (0, 1)", fp, res.FixChoices, res.Attempts)
	}

	// The same set on other code is refused before any attempt.
	raw, _ := os.ReadFile(set)
	var frozen bugSet
	json.Unmarshal(raw, &frozen)
	frozen.Repos[0].Commit = strings.Repeat("0", 40)
	moved := filepath.Join(dir, "moved.json")
	if err := frozen.write(moved); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"policy", "eval", "uniform", "--bugs", moved}); code != 1 {
		t.Errorf("eval of a set frozen at another commit: exit %d, want 1", code)
	}
}
