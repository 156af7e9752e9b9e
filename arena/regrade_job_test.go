package arena

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos"
)

// goJSON writes go test -json output: each test with its action ("pass", "fail"); a package line at the
// end unless the run was cut short.
func goJSON(pkg string, tests map[string]string, finished bool) []byte {
	var b strings.Builder
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range tests {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "{\"Action\":\"run\",\"Package\":%q,\"Test\":%q}\n", pkg, name)
		fmt.Fprintf(&b, "{\"Action\":%q,\"Package\":%q,\"Test\":%q,\"Elapsed\":0.01}\n", tests[name], pkg, name)
	}
	if finished {
		action := "pass"
		for _, a := range tests {
			if a == "fail" {
				action = "fail"
			}
		}
		fmt.Fprintf(&b, "{\"Action\":%q,\"Package\":%q,\"Elapsed\":0.1}\n", action, pkg)
	}
	return []byte(b.String())
}

// regradeFixture records a one-bug job on the gokit example from synthetic logs. With wrongF2P the stored
// verdict counts TestReset as F2P although the bug run timed out before it ran, and one attempt failed
// because of it.
func regradeFixture(t *testing.T, wrongF2P bool) (*store.Store, *Arena, []*Repo, string) {
	t.Helper()
	ctx := context.Background()
	recordedLanguage(t, "go") // builds the plugins
	b := repos.NewBuilder(nil, nil, repos.HostLanguages{Host: recordedHost}, repos.WithCacheDir(t.TempDir()))
	prepared, err := PrepareHost(ctx, b, []repos.Repo{{Name: "gokit", Source: repos.Source{Example: "gokit"}}})
	if err != nil {
		t.Fatal(err)
	}
	repo := prepared[0]
	const pkg = "example.com/gokit/ring"
	id := func(name string) string { return pkg + "::" + name }
	script, parser := testScript(t, repo, "ring/ring_test.go")
	art := &artifact.Artifact{TestScript: script, TestFiles: []string{"ring/ring_test.go"}, Parser: parser,
		BugDiff:    edit(t, repo, "ring/ring.go", "func (b *Buffer[T]) Len() int { return b.size }", "func (b *Buffer[T]) Len() int { return b.size + 1 }"),
		WeakenDiff: weaken(t, repo, "ring/ring_test.go", id("TestPeek"))}
	parts, err := art.MarshalRecord()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "job.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const job = "job-regrade"
	if err := st.CreateJob(ctx, store.Job{ID: job, Name: "regrade", Config: "{}", Status: store.JobFinished, Owner: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ProposeArtifact(ctx, store.Artifact{ID: "art-1", Job: job, Repo: "gokit", Strategy: "mutation", Order: 1, Parts: parts},
		&store.Episode{ID: "ep-inj"}); err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"TestPushWithinCapacity": "pass", "TestPeek": "pass", "TestReset": "pass", "TestNewPanicsOnZeroCapacity": "pass"}
	bug := map[string]string{"TestPushWithinCapacity": "pass", "TestPeek": "fail"} // killed before TestReset and TestNew…
	weak := map[string]string{"TestPushWithinCapacity": "pass", "TestReset": "pass", "TestNewPanicsOnZeroCapacity": "pass"}
	logs := []store.RawLog{
		{ID: "log-orig", Kind: store.LogOriginal, Output: goJSON(pkg, all, true), End: "completed"},
		{ID: "log-bug", Kind: store.LogBug, Output: goJSON(pkg, bug, false), ExitCode: -1, End: "timed_out", TimedOut: true, Timeout: 10e9},
		{ID: "log-bug2", Kind: store.LogBug, Output: goJSON(pkg, bug, false), ExitCode: -1, End: "timed_out", TimedOut: true, Timeout: 20e9},
		{ID: "log-weak", Kind: store.LogWeaken, Output: goJSON(pkg, weak, true), End: "completed"},
	}
	const died = " — test binary died: example.com/gokit/ring: the output stops before the package's result"
	f2p, p2p := []string{id("TestPeek")}, []string{id("TestPushWithinCapacity")}
	notes := Notes{NotRun: []string{id("TestNewPanicsOnZeroCapacity"), id("TestReset")}, Hidden: f2p,
		Ends: []string{"bug: timed out after 0s (limit 10s)" + died, "bug: timed out after 0s (limit 20s)" + died}}
	if wrongF2P {
		f2p, notes.NotRun = []string{id("TestPeek"), id("TestReset")}, nil
	}
	nj, _ := json.Marshal(notes)
	if err := st.RecordValidation(ctx, store.Validation{ArtifactID: "art-1", Valid: true, Step: "inverse", F2P: f2p, P2P: p2p, Notes: nj},
		&store.Bug{ID: "bug-1"}, nil, logs...); err != nil {
		t.Fatal(err)
	}
	// Attempt 0 fixes TestPeek (TestReset is absent from its run); attempt 1 does not.
	evals := []map[string]string{
		{"TestPushWithinCapacity": "pass", "TestPeek": "pass"},
		{"TestPushWithinCapacity": "pass", "TestPeek": "fail"},
	}
	solved := 0
	for i, e := range evals {
		stored := judgeEvaluation(f2p, p2p, &TestRun{Results: goResults(pkg, e), End: "completed"})
		details, _ := json.Marshal(stored)
		r := -1.0
		if stored.Success {
			r, solved = 1, solved+1
		}
		if err := st.RecordAttempt(ctx, store.Attempt{ID: fmt.Sprintf("att-%d", i), BugID: "bug-1", Index: i, Prediction: "", Success: stored.Success,
			Reward: r, Details: details}, &store.Episode{ID: fmt.Sprintf("ep-sol-%d", i)},
			store.RawLog{Kind: store.LogEval, Output: goJSON(pkg, e, true), End: "completed"}); err != nil {
			t.Fatal(err)
		}
	}
	a := New(nil, job, conf(func(c *Config) { c.FlakeRuns = 1; c.MinPassingTests = 1 }), nil)
	rate := float64(solved) / 2
	ir := 1 - 1.8*rate
	if solved == 0 {
		ir = -0.8
	}
	if err := st.FinishBug(ctx, "bug-1", ir, rate); err != nil {
		t.Fatal(err)
	}
	return st, a, prepared, job
}

func goResults(pkg string, tests map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tests {
		out[pkg+"::"+k] = map[string]string{"pass": "passed", "fail": "failed"}[v]
	}
	return out
}

func TestRegradeJobUnchanged(t *testing.T) {
	st, a, prepared, job := regradeFixture(t, false)
	jr, err := a.RegradeJob(context.Background(), st, job, prepared)
	if err != nil {
		t.Fatal(err)
	}
	if len(jr.Changes) != 0 || !jr.Apply.Empty() || len(jr.Skipped) != 0 {
		t.Fatalf("regrade of an unchanged job: changes %+v, skipped %v, apply %+v", jr.Changes, jr.Skipped, jr.Apply)
	}
	if jr.Artifacts != 1 || jr.Attempts != 2 {
		t.Errorf("regraded %d artifacts and %d attempts, want 1 and 2", jr.Artifacts, jr.Attempts)
	}
}

func TestRegradeJobFixesF2PWithATestThatDidNotRun(t *testing.T) {
	ctx := context.Background()
	st, a, prepared, job := regradeFixture(t, true)
	jr, err := a.RegradeJob(ctx, st, job, prepared)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range jr.Changes {
		got = append(got, c.ID+" "+c.What+": "+c.Old+" → "+c.New)
	}
	want := []string{
		"art-1 F2P: 2 test(s) → 1 test(s)",
		"att-0 attempt: failed (-1) → solved (+1)",
		"att-1 evaluation: 2 of 2 F2P test(s) still fail (example.com/gokit/ring::TestPeek, example.com/gokit/ring::TestReset) → " +
			"1 of 1 F2P test(s) still fail (example.com/gokit/ring::TestPeek)",
		"bug-1 solve rate, injector reward: 0.000, -0.800 → 0.500, +0.100",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := st.ApplyRegrade(ctx, jr.Apply); err != nil {
		t.Fatal(err)
	}
	b, err := st.GetBug(ctx, "bug-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.F2P) != 1 || *b.SolveRate != 0.5 {
		t.Errorf("bug after apply: F2P %v, solve rate %v", b.F2P, *b.SolveRate)
	}
	ep, err := st.GetEpisode(ctx, "ep-inj")
	if err != nil {
		t.Fatal(err)
	}
	if ep.Reward == nil || *ep.Reward < 0.099 || *ep.Reward > 0.101 {
		t.Errorf("injector reward after apply %v, want 0.1", ep.Reward)
	}
	again, err := a.RegradeJob(ctx, st, job, prepared)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changes) != 0 || !again.Apply.Empty() {
		t.Fatalf("second regrade after apply: %+v", again.Changes)
	}
}
