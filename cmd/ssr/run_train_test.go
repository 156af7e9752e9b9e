package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/policy"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
)

// trainJobConfig is a small pyledger job: one real bug on top of the seeded one, two attempts each.
const trainJobConfig = `name: train
examples: [pyledger]
seed: 3
strategies: {mutation: 1}
limits: {bugs: 2}
arena: {n_attempts: 2, containers: 1, order2_share: 0, solver_turns: 2}
`

// TestRunTrainFollowsAndResumesExactly runs `ssr run --resume JOB --train` in process on a job that already
// holds rewarded episodes: the trainer publishes a version from them while the arena makes a real bug on
// pyledger, and that bug's solver episodes are played by the published version (the agent follows the
// trainer). Then, with one more rewarded bug recorded, a second `ssr run --resume --train` and `ssr train`
// on a copy of the same database and directory publish byte-identical next versions: the in-process
// trainer resumes from its checkpoint exactly, and is the same trainer as `ssr train`.
func TestRunTrainFollowsAndResumesExactly(t *testing.T) {
	dir := inProcessJobEnv(t, "builds the plugins and runs a job on the pyledger example")
	db := filepath.Join(dir, "jobs.db")
	const job = "job-train"
	seedJob(t, db, job, trainJobConfig)
	seedBug(t, db, job, 1)

	if code := run([]string{"run", "--db", db, "--resume", job, "--train", "--train-every", "1s"}); code != 0 {
		t.Fatalf("ssr run --train: exit %d", code)
	}
	pdir := policyDirOf(db, job)
	_, v1, err := policy.Newest(pdir)
	if err != nil || v1 < 1 {
		t.Fatalf("published by ssr run --train in %s: version %d (%v), want at least 1", pdir, v1, err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	eps, err := st.ListEpisodes(ctx, job, store.EpisodeFilter{Role: store.RoleSolver})
	if err != nil {
		t.Fatal(err)
	}
	played := 0
	for _, e := range eps {
		if strings.HasPrefix(e.ID, "ep-s") { // seeded
			continue
		}
		played++
		if e.PolicyVersion < 1 {
			t.Errorf("solver episode %s of the real bug was played by version %d: the agent did not follow the trainer", e.ID, e.PolicyVersion)
		}
	}
	pvs, err := st.PolicyVersions(ctx)
	st.Close()
	if err != nil || int64(len(pvs)) != v1 {
		t.Fatalf("policy_versions: %d recorded (%v), want %d", len(pvs), err, v1)
	}
	if played == 0 {
		t.Fatal("the job made no solver episode of its own")
	}

	// One more rewarded bug; then the same next round twice, from copies of the same state.
	seedBug(t, db, job, 2)
	db2, pdir2 := filepath.Join(t.TempDir(), "jobs.db"), filepath.Join(t.TempDir(), "pol")
	copyTree(t, db, db2)
	copyTree(t, pdir, pdir2)
	if code := run([]string{"run", "--db", db, "--resume", job, "--train"}); code != 0 {
		t.Fatalf("second ssr run --train: exit %d", code)
	}
	if code := run([]string{"train", job, "--db", db2, "--out", pdir2}); code != 0 {
		t.Fatalf("ssr train on the copy: exit %d", code)
	}
	for _, name := range []string{policy.VersionFile(v1 + 1), policy.TrainerFile} {
		a, errA := os.ReadFile(filepath.Join(pdir, name))
		b, errB := os.ReadFile(filepath.Join(pdir2, name))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v / %v (both runs should have published version %d)", name, errA, errB, v1+1)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the resumed ssr run --train and ssr train from the same state", name)
		}
	}
}

// TestRunTrainRefusesWhatCannotRun: --train publishes into a directory and trains the native agent, with a
// kernel backend this binary has.
func TestRunTrainRefusesWhatCannotRun(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "job.yaml")
	if err := os.WriteFile(cfg, []byte(trainJobConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "policy-v000001.safetensors")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "jobs.db")
	for name, args := range map[string][]string{
		"a checkpoint file to publish into": {"--train", "--policy", file},
		"no time between rounds":            {"--train", "--train-every", "0s"},
		"a kernel backend not compiled in":  {"--train", "--kernels", "tpu"},
	} {
		if code := run(append([]string{"run", "--db", db, cfg}, args...)); code != 2 {
			t.Errorf("%s: exit %d, want 2 (a usage error)", name, code)
		}
	}
	st, err := store.Open(context.Background(), db, store.MustExist())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if jobs, _ := st.ListJobs(context.Background()); len(jobs) != 0 {
		t.Errorf("a refused run recorded %d job(s)", len(jobs))
	}
}

// inProcessJobEnv prepares a test that runs jobs through run() in this process: it skips under -short with
// why, needs the engine and the base image, builds the plugins, and points the cache and the plugin
// lookup at fresh directories. It returns the test's directory.
func inProcessJobEnv(t *testing.T, why string) string {
	t.Helper()
	if testing.Short() {
		t.Skip(why)
	}
	dockertest.Client(t)
	dockertest.BaseImage(t)
	bin := buildSSR(t)
	dir := t.TempDir()
	t.Setenv("SSR_CACHE_DIR", filepath.Join(dir, "cache"))
	t.Setenv("SSR_PLUGIN_DIR", bin)
	return dir
}

// copyTree copies a directory (cp -r), or a SQLite database with its write-ahead log when it has one.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(src + suffix); err != nil {
			continue
		}
		if out, err := exec.Command("cp", "-r", src+suffix, dst+suffix).CombinedOutput(); err != nil {
			t.Fatalf("cp -r %s: %v %s", src+suffix, err, out)
		}
	}
}
