package arena

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent/native"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// e2eConfig is a short job: sequential attempts, so that the seeded agent makes the same choices every run.
func e2eConfig() JobConfig {
	return JobConfig{
		Name: "e2e", Agent: "native", Seed: 1,
		Strategies: map[string]float64{StrategyMutation: 0.6, StrategyRemoval: 0.2, StrategyHistory: 0.2},
		Limits:     Limits{Bugs: 3, Proposed: 8, WallTime: 10 * time.Minute},
		Arena:      conf(func(c *Config) { c.NAttempts = 2; c.Containers = 1; c.Order2Share = 1; c.SolverTurns = 4 }),
	}
}

func newRunner(a *Arena, st *store.Store, rs map[string]*Repo, cfg JobConfig) *Runner {
	names := make([]string, 0, len(rs))
	for n := range rs {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]*Repo, 0, len(names))
	for _, n := range names {
		list = append(list, rs[n])
	}
	return &Runner{Arena: a, Store: st, Repos: list, Agent: native.New(native.Uniform{}, cfg.Seed),
		Seed: cfg.Seed, Strategies: cfg.Strategies, Limits: cfg.Limits}
}

func openStore(t testing.TB, path, job string, cfg JobConfig) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateJob(context.Background(), store.Job{ID: job, Name: cfg.Name, Config: cfg.YAML(), Status: store.JobRunning}); err != nil && !errors.Is(err, store.ErrDuplicate) {
		t.Fatal(err)
	}
	return st
}

// TestJobEndToEnd runs a short job on the examples and reads everything back from the store: valid bugs,
// attempts with rewards, order-2 bugs, injector rewards, advantages, raw logs and turns.
func TestJobEndToEnd(t *testing.T) {
	f := withExamples(t)
	cfg := e2eConfig()
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	r := newRunner(f.arena(cfg.Arena), st, f.repos, cfg)
	ctx := context.Background()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	checkBookkeeping(t, st, f.job, cfg.Arena.NAttempts)
	c, _ := st.Counts(ctx, f.job)
	if c.Valid < 1 || c.Order2 < 1 {
		t.Fatalf("counts %+v: want at least one valid order-1 bug and one order-2 bug", c)
	}
	eps, err := st.ListEpisodes(ctx, f.job, store.EpisodeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[store.Role]int{}
	for _, e := range eps {
		roles[e.Role]++
		if e.NTurns == 0 {
			t.Errorf("episode %s (%s) has no turns", e.ID, e.Role)
		}
		if e.Role == store.RoleSolver && (e.Reward == nil || (*e.Reward != 1 && *e.Reward != -1)) {
			t.Errorf("solver episode %s reward %v, want ±1", e.ID, e.Reward)
		}
		if e.Role == store.RoleSolver && e.Advantage == nil {
			t.Errorf("solver episode %s has no advantage", e.ID)
		}
	}
	if roles[store.RoleInjector] < 1 || roles[store.RoleSolver] != c.Attempts {
		t.Errorf("episodes by role %v, want injector ≥ 1 and one solver episode per attempt (%d)", roles, c.Attempts)
	}
	// Every first-order mutation artifact records the curriculum stage that planned it.
	arts, err := st.ListArtifacts(ctx, f.job)
	if err != nil {
		t.Fatal(err)
	}
	mutations := 0
	for _, sa := range arts {
		if sa.Order != 1 || sa.Strategy != StrategyMutation {
			continue
		}
		mutations++
		a, err := artifact.UnmarshalJSON(sa.ID, sa.Parts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(StageNames(), a.Meta.Stage) {
			t.Errorf("artifact %s records curriculum stage %q, want one of %v", sa.ID, a.Meta.Stage, StageNames())
		}
	}
	if mutations == 0 {
		t.Errorf("no first-order mutation artifact among %d: the stage check saw nothing", len(arts))
	}
	t.Logf("counts: %+v", c)
}

// checkBookkeeping asserts what must hold for any finished job: every bug done with exactly n attempts
// (indexes 0..n-1), an injector reward and solve rate on it, every attempt's evaluation log stored, every
// artifact judged, and no container left.
func checkBookkeeping(t *testing.T, st *store.Store, job string, n int) {
	t.Helper()
	ctx := context.Background()
	c, err := st.Counts(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pending != 0 || c.Valid+c.Rejected != c.Artifacts {
		t.Errorf("artifacts: %+v: every proposed artifact must be judged", c)
	}
	if c.BugsDone != c.Bugs || c.Attempts != c.Bugs*n {
		t.Errorf("bugs: %+v: want every bug done with %d attempts", c, n)
	}
	bugs, err := st.BugsNeedingAttempts(ctx, job, n)
	if err != nil || len(bugs) != 0 {
		t.Errorf("bugs still needing attempts: %v %v", bugs, err)
	}
	eps, err := st.ListEpisodes(ctx, job, store.EpisodeFilter{Role: store.RoleSolver})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[int]bool{}
	for _, e := range eps {
		if e.BugID == "" {
			continue
		}
		atts, err := st.Attempts(ctx, e.BugID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range atts {
			if seen[e.BugID] == nil {
				seen[e.BugID] = map[int]bool{}
			}
			seen[e.BugID][a.Index] = true
			logs, err := st.LogsByRef(ctx, a.ID)
			if err != nil || len(logs) == 0 {
				t.Errorf("attempt %s: no evaluation log (%v)", a.ID, err)
			}
		}
		b, err := st.GetBug(ctx, e.BugID)
		if err != nil {
			t.Fatal(err)
		}
		if b.InjectorReward == nil || b.SolveRate == nil {
			t.Errorf("bug %s has no injector reward or solve rate", b.ID)
		}
	}
	for bug, idx := range seen {
		if len(idx) != n {
			t.Errorf("bug %s has attempt indexes %v, want 0..%d", bug, idx, n-1)
		}
	}
}

// The crash test's helper: the test binary re-executed runs the job until it is killed.
const (
	crashHelperEnv = "SSR_ARENA_CRASH_HELPER"
	crashDBEnv     = "SSR_ARENA_CRASH_DB"
	crashJobEnv    = "SSR_ARENA_CRASH_JOB"
)

func crashHelper() int {
	ctx := context.Background()
	cli, err := docker.Connect(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	provider, err := docker.New(cli, docker.WithBudget(docker.NewBudget(4)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "ssr-crash-helper-")
	if err != nil {
		return 1
	}
	rs, host, err := prepareExamples(ctx, cli, provider, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer host.Close()
	st, err := store.Open(ctx, os.Getenv(crashDBEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg := e2eConfig()
	cfg.Limits = Limits{Bugs: 50, WallTime: 10 * time.Minute} // runs until killed
	r := newRunner(New(provider, os.Getenv(crashJobEnv), cfg.Arena, nil), st, rs, cfg)
	fmt.Println("READY")
	if err := r.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestJobCrashResume kills a running job with SIGKILL once it has recorded some attempts, resumes it, and
// checks the bookkeeping: nothing lost, nothing counted twice, no container left behind.
func TestJobCrashResume(t *testing.T) {
	f := withExamples(t)
	cfg := e2eConfig()
	db := filepath.Join(t.TempDir(), "jobs.db")
	st := openStore(t, db, f.job, cfg)
	ctx := context.Background()

	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"=1", crashDBEnv+"="+db, crashJobEnv+"="+f.job)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(8 * time.Minute)
	for {
		c, err := st.Counts(ctx, f.job)
		if err != nil {
			t.Fatal(err)
		}
		if c.Attempts >= 1 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the helper recorded no attempt in time: %+v", c)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // let it get into the middle of the next unit
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	before, _ := st.Counts(ctx, f.job)

	// The next start reaps what the dead process left.
	n, err := docker.Reap(ctx, f.cli)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after SIGKILL: %+v; reaped %d container(s)", before, n)
	left, err := dockertest.Left(ctx, f.cli, f.job)
	if err != nil || len(left) != 0 {
		t.Fatalf("containers left after reap: %v %v", left, err)
	}

	cfg.Limits = Limits{Bugs: before.Bugs + 1, WallTime: 10 * time.Minute}
	r := newRunner(f.arena(cfg.Arena), st, f.repos, cfg)
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := st.Counts(ctx, f.job)
	if after.Attempts < before.Attempts || after.Artifacts < before.Artifacts {
		t.Fatalf("resume lost work: before %+v, after %+v", before, after)
	}
	checkBookkeeping(t, st, f.job, cfg.Arena.NAttempts)
}

// flakyLang is a language plugin whose first calls to MutationSites fail, as a crashed plugin's do.
type flakyLang struct {
	plugin.Language
	failures atomic.Int32
}

func (l *flakyLang) MutationSites(ctx context.Context, req *plugin.MutationSitesRequest) (*plugin.MutationSitesResponse, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, errors.New("plugin ssr-lang-python crashed during MutationSites: exit status 2")
	}
	return l.Language.MutationSites(ctx, req)
}

// TestJobGoesOnAfterFailures: units of work that fail outside the protocol are recorded and the job goes on;
// failing without end stops it with the last error.
func TestJobGoesOnAfterFailures(t *testing.T) {
	f := withExamples(t)
	ctx := context.Background()
	cfg := e2eConfig()
	cfg.Strategies = map[string]float64{StrategyMutation: 1}
	cfg.Limits = Limits{Bugs: 1, Proposed: 4}
	cfg.Arena.SolverTurns = 1
	py := *f.repos["pyledger"]
	lang := &flakyLang{Language: py.Lang}
	lang.failures.Store(2)
	py.Lang = lang
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	r := newRunner(f.arena(cfg.Arena), st, map[string]*Repo{"pyledger": &py}, cfg)
	if err := r.Run(ctx); err != nil {
		t.Fatalf("the job stopped: %v", err)
	}
	fails, err := st.Failures(ctx, f.job, 0)
	if err != nil || len(fails) != 2 || !strings.Contains(fails[0].Error, "crashed during MutationSites") {
		t.Fatalf("failures = %+v, %v; want the two crashes recorded", fails, err)
	}
	if c, _ := st.Counts(ctx, f.job); c.Bugs != 1 {
		t.Fatalf("counts %+v: the job should have gone on to a bug", c)
	}

	lang.failures.Store(1000)
	job2 := f.job + "-broken"
	st2 := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), job2, cfg)
	a2 := New(f.provider, job2, cfg.Arena, nil)
	t.Cleanup(a2.Wait)
	r2 := newRunner(a2, st2, map[string]*Repo{"pyledger": &py}, cfg)
	err = r2.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "5 units of work failed in a row") {
		t.Fatalf("a job whose every unit fails: err = %v", err)
	}
}
