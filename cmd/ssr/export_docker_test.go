package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestExportOnPyledger exports hand-made bugs on the pyledger example, one of order 1 and one of order 2,
// validated by the arena in real sandboxes, and checks what an outside harness relies on: each instance's
// patch, applied to the bug's state with its test_patch, makes every F2P test pass and keeps P2P passing
// (scored by the arena's own evaluation); test_patch is exactly the spec the solvers were told; and each
// exported artifact directory re-validates as valid with the same F2P and P2P.
func TestExportOnPyledger(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example's image and runs its tests in sandboxes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cli := dockertest.Client(t)
	dockertest.BaseImage(t)
	owner, err := docker.Self()
	if err != nil {
		t.Fatal(err)
	}
	provider, err := docker.New(cli, docker.WithBudget(docker.NewBudget(4)), docker.WithOwner(owner))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	for _, p := range []string{"ssr-lang-python", "ssr-lang-go"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, p), "../"+p).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", p, err, out)
		}
	}
	host := plugin.NewHost(plugin.WithDirs(bin))
	t.Cleanup(func() { host.Close() })
	b := repos.NewBuilder(cli, provider, repos.HostLanguages{Host: host}, repos.WithCacheDir(filepath.Join(dir, "cache")))
	prepared, err := arena.Prepare(ctx, b, []repos.Repo{{Name: "pyledger", Source: repos.Source{Example: "pyledger"}}})
	if err != nil {
		t.Fatal(err)
	}
	repo := prepared[0]
	job := dockertest.Job(t)
	cfg := arena.DefaultConfig()
	cfg.Containers = 2
	ar := arena.New(provider, job, cfg, nil)
	t.Cleanup(ar.Wait)

	// The bug: Money's addition subtracts; the weakening hides the two tests that notice.
	const (
		moneyPy   = "ledger/money.py"
		testMoney = "tests/test_money.py"
		addLine   = "return Money(self.units + other.units, self.currency)"
	)
	tc, err := repo.Lang.TestCommand(ctx, &plugin.TestCommandRequest{TestFiles: []string{testMoney}})
	if err != nil {
		t.Fatal(err)
	}
	src, err := artifact.ReadTree(repo.Dir, []string{moneyPy, testMoney})
	if err != nil {
		t.Fatal(err)
	}
	buggy := bytes.Replace(src[moneyPy], []byte(addLine), []byte("return Money(self.units - other.units, self.currency)"), 1)
	bugDiff, _ := patches.Diff(moneyPy, src[moneyPy], buggy)
	rm, err := repo.Lang.RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: testMoney, Source: src[testMoney],
		Tests: []string{testMoney + "::test_add_and_subtract", testMoney + "::test_allocate_even_split_with_remainder"}})
	if err != nil {
		t.Fatal(err)
	}
	weakenDiff, _ := patches.Diff(testMoney, src[testMoney], rm.Source)
	art := &artifact.Artifact{TestScript: tc.Script, TestFiles: []string{testMoney}, Parser: artifact.Parser{Builtin: tc.Parser},
		BugDiff: bugDiff.String(), WeakenDiff: weakenDiff.String()}
	rep, err := ar.Validate(ctx, repo, art)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid {
		t.Fatalf("the hand-made bug is rejected: %v", rep.Rejection)
	}

	// Record it as a job would, with a failed attempt whose prediction (a harmless comment on the buggy
	// line's file) becomes an order-2 bug.
	st, err := store.Open(ctx, filepath.Join(dir, "job.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateJob(ctx, store.Job{ID: job, Name: "export", Config: "name: export\n", Status: store.JobFinished, Owner: "test"}))
	must(st.PutRepo(ctx, store.Repo{Job: job, Name: repo.Name, ImageRef: repo.Image, ImageID: repo.ImageID, Commit: repo.Commit, Language: repo.Language}))
	parts, _ := art.MarshalRecord()
	must(st.ProposeArtifact(ctx, store.Artifact{ID: "art-1", Job: job, Repo: repo.Name, Strategy: "direct", Order: 1, Agent: "hand", Parts: parts}, nil))
	must(st.RecordValidation(ctx, store.Validation{ArtifactID: "art-1", Valid: true, Step: rep.Step, F2P: rep.F2P, P2P: rep.P2P},
		&store.Bug{ID: "bug-1", F2P: rep.F2P, P2P: rep.P2P}, nil))
	withComment := append([]byte("# a failed repair left this comment\n"), buggy...)
	pred, _ := patches.Diff(moneyPy, buggy, withComment)
	must(st.RecordAttempt(ctx, store.Attempt{ID: "att-1", BugID: "bug-1", Index: 0, Prediction: pred.String(), Reward: -1}, nil))
	must(st.ProposeArtifact(ctx, store.Artifact{ID: "art-2", Job: job, Repo: repo.Name, Strategy: "direct", Order: 2, ParentBug: "bug-1",
		ParentAttempt: "att-1", Agent: "hand", Parts: parts}, nil))
	must(st.RecordValidation(ctx, store.Validation{ArtifactID: "art-2", Valid: true, Step: "order2", F2P: rep.F2P, P2P: rep.P2P},
		&store.Bug{ID: "bug-2", F2P: rep.F2P, P2P: rep.P2P}, nil))

	var jsonl bytes.Buffer
	must(exportSWEBench(ctx, st, job, exportFilter{}, &jsonl))
	instances := readInstances(t, &jsonl)
	if len(instances) != 2 {
		t.Fatalf("%d instances, want 2", len(instances))
	}
	diffs, err := artifact.Check(art, repo.Dir, artifact.CheckOptions{Parsers: repo.Parsers, IsTestFile: repo.IsTestFile})
	must(err)
	bug := &arena.Bug{ID: "bug-1", Artifact: art, Diffs: diffs, Order: 1, F2P: rep.F2P, P2P: rep.P2P}
	for _, in := range instances {
		t.Run("swebench "+in.BugID, func(t *testing.T) {
			if in.BaseCommit != repo.Commit || in.ImageName != repo.Image || in.ImageDigest != repo.ImageID {
				t.Errorf("base %s image %s %s, want %s %s %s", in.BaseCommit, in.ImageName, in.ImageDigest, repo.Commit, repo.Image, repo.ImageID)
			}
			if in.TestPatch != bug.Spec() {
				t.Errorf("test_patch is not the spec:\n%s\nwant\n%s", in.TestPatch, bug.Spec())
			}
			if !slices.Equal(in.FailToPass, rep.F2P) || !slices.Equal(in.PassToPass, rep.P2P) {
				t.Errorf("F2P %v P2P %v, want %v %v", in.FailToPass, in.PassToPass, rep.F2P, rep.P2P)
			}
			b := *bug
			if in.Order == 2 {
				b.Order, b.Parent = 2, pred
			}
			fix, err := patches.ParseBytes([]byte(in.Patch))
			must(err)
			// The evaluation applies the bug's state (bug diff, weakening, the order-2 parent), then the patch,
			// and puts the oracle test files back, which is applying test_patch: the spec just checked.
			ev, err := ar.Evaluate(ctx, repo, &b, fix)
			must(err)
			if !ev.Success {
				t.Errorf("the exported patch does not solve %s: %s (statuses %v)", in.BugID, ev.Reason, ev.Statuses)
			}
			// The patch is no accident: without it the F2P tests fail.
			ev, err = ar.Evaluate(ctx, repo, &b, nil)
			must(err)
			if ev.Success || !slices.Equal(ev.FailingF2P, rep.F2P) {
				t.Errorf("with no patch: success %v, failing %v, want the F2P tests %v failing", ev.Success, ev.FailingF2P, rep.F2P)
			}
		})
	}

	out := filepath.Join(dir, "artifacts")
	must(exportArtifacts(ctx, st, job, exportFilter{}, out))
	for _, id := range []string{"bug-1", "bug-2"} {
		t.Run("artifacts "+id, func(t *testing.T) {
			a, err := artifact.Load(filepath.Join(out, id))
			must(err)
			again, err := ar.Validate(ctx, repo, a)
			must(err)
			if !again.Valid {
				t.Fatalf("the exported artifact re-validates as rejected: %v", again.Rejection)
			}
			if !slices.Equal(again.F2P, rep.F2P) || !slices.Equal(again.P2P, rep.P2P) {
				t.Errorf("re-validated F2P %v P2P %v, want %v %v", again.F2P, again.P2P, rep.F2P, rep.P2P)
			}
		})
	}
}
