package arena

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
)

// benchEnv turns TestBenchTable on (`make bench` sets it); benchReposEnv, a comma-separated list of
// pyledger, gokit and numlab, limits it to those repositories.
const (
	benchEnv      = "SSR_BENCH"
	benchReposEnv = "SSR_BENCH_REPOS"
)

// The two rows the table has for every repository: before (every run executes the whole suite) and
// after (each artifact's runs execute the tests that cover its bug).
const (
	modeWhole  = "whole suite"
	modeSelect = "selection"
)

// benchTarget is one repository of the table and the job it gets.
type benchTarget struct {
	repo *Repo
	cfg  JobConfig
}

// benchRow is what one job did.
type benchRow struct {
	repo, mode     string
	cut            bool          // the job's wall_time ended it with work open
	suite          time.Duration // the slowest whole-suite baseline run
	tests          int           // tests in the baseline
	runs           int64
	test, wall     time.Duration
	bugs, attempts int
	calls          int    // engine calls
	engine         string // engine calls by operation
	engineTime     string // time until the engine answered, by operation
	sandboxTime    string // time the arena waited in sandbox operations, by role and operation
}

// TestBenchTable runs a self-play job on each built-in example and on numlab, a Python repository that
// genRepo writes (312 tests; its whole suite takes 25–50 s a run on one core of the project's loaded
// machine), once running the whole suite and once with test selection, and prints one table: test time
// (the test commands' wall time inside sandboxes), the job's wall time, orchestration overhead as a share
// of test time, validated bugs and evaluated attempts per hour, and engine calls per test run. Every job
// runs one test at a time (containers: 1, so that test time and wall time compare) with a warm pool of 1
// beside it (a budget of 2), the seeded native agent, and sequential attempts. It takes about 40 minutes
// on the project's machine; `make bench` runs it.
func TestBenchTable(t *testing.T) {
	if os.Getenv(benchEnv) != "1" {
		t.Skipf("runs self-play jobs for many minutes: set %s=1 (make bench does)", benchEnv)
	}
	f := withExamples(t)
	ctx := context.Background()
	only := map[string]bool{}
	for _, name := range strings.Split(os.Getenv(benchReposEnv), ",") {
		if name = strings.TrimSpace(name); name != "" {
			only[name] = true
		}
	}
	want := func(name string) bool { return len(only) == 0 || only[name] }
	examples := e2eConfig()
	examples.Limits = Limits{Bugs: 3, Proposed: 8, WallTime: 15 * time.Minute}
	var targets []benchTarget
	for _, name := range []string{"pyledger", "gokit"} {
		if want(name) {
			targets = append(targets, benchTarget{f.repos[name], examples})
		}
	}
	if want("numlab") {
		numlab, err := prepareNumlab(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		big := e2eConfig()
		big.Strategies = map[string]float64{StrategyMutation: 1} // a generated snapshot has no history to revert
		big.Limits = Limits{Bugs: 2, Proposed: 6, WallTime: 40 * time.Minute}
		targets = append(targets, benchTarget{numlab, big})
	}

	var rows []benchRow
	for _, tg := range targets {
		for _, mode := range []string{modeWhole, modeSelect} {
			row := benchJob(t, f, tg, mode)
			t.Logf("%s, %s: %d runs, test %s, wall %s, %d bugs, %d attempts; engine: %s; time in engine calls: %s; the arena waited in: %s", row.repo, row.mode,
				row.runs, row.test.Round(time.Second), row.wall.Round(time.Second), row.bugs, row.attempts, row.engine, row.engineTime, row.sandboxTime)
			rows = append(rows, row)
		}
	}
	printBenchTable(os.Stdout, rows)
}

// benchJob runs one job on tg's repository in mode and measures it.
func benchJob(t *testing.T, f fixture, tg benchTarget, mode string) benchRow {
	t.Helper()
	ctx := context.Background()
	cfg := tg.cfg
	cfg.Arena.Containers, cfg.Arena.WarmPool = 1, 1
	cfg.Arena.SelectTests = mode == modeSelect
	calls := newCallCounter(f.cli)
	owner, err := docker.Self()
	if err != nil {
		t.Fatal(err)
	}
	provider, err := docker.New(calls, docker.WithBudget(docker.NewBudget(cfg.Arena.Containers+cfg.Arena.WarmPool)),
		docker.WithOwner(owner), docker.WithWarmPool(cfg.Arena.WarmPool))
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	timer := newSandboxTimer(provider)
	a := New(timer, f.job, cfg.Arena, nil)
	r := newRunner(a, st, map[string]*Repo{tg.repo.Name: tg.repo}, cfg)
	start := time.Now()
	err = r.Run(ctx)
	wall := time.Since(start)
	a.Wait()
	if cerr := provider.Close(ctx); cerr != nil {
		t.Error(cerr)
	}
	cut := errors.Is(err, ErrWallTime) // the row counts what was finished in the time
	if err != nil && !cut {
		t.Fatalf("%s, %s: %v", tg.repo.Name, mode, err)
	}
	c, err := st.Counts(ctx, f.job)
	if err != nil {
		t.Fatal(err)
	}
	_, total := calls.snapshot()
	row := benchRow{repo: tg.repo.Name, mode: mode, cut: cut, runs: a.Metrics().TestRuns(),
		test: a.Metrics().TestTime(), wall: wall, bugs: c.Bugs, attempts: c.Attempts, calls: total,
		engine: calls.String(), engineTime: calls.timings(), sandboxTime: timer.String()}
	if b := tg.repo.Baseline; b != nil {
		row.tests = len(b.Tests)
		for _, run := range b.Runs {
			row.suite = max(row.suite, run.Duration)
		}
	}
	return row
}

// prepareNumlab writes numlab (24 modules, scale 2) into a fixed directory, so that its snapshot, image
// and baseline are reused from one bench run to the next, and prepares it as the examples are.
func prepareNumlab(ctx context.Context, f fixture) (*Repo, error) {
	dir := filepath.Join(os.TempDir(), "ssr-bench-numlab")
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := genRepo(dir, 24, 2); err != nil {
		return nil, err
	}
	b := repos.NewBuilder(f.cli, f.provider, repos.HostLanguages{Host: fixHost})
	prepared, err := Prepare(ctx, b, []repos.Repo{{Name: "numlab", Source: repos.Source{Path: dir}}})
	if err != nil {
		return nil, err
	}
	return prepared[0], nil
}

// printBenchTable writes the rows as a Markdown table, then what the modes mean.
func printBenchTable(w io.Writer, rows []benchRow) {
	fmt.Fprintln(w, "| repo | full suite | mode | test runs | test time | wall time | overhead | bugs | attempts | bugs/h | attempts/h | engine calls/run |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		mode := r.mode
		if r.cut {
			mode += " (wall_time ran out)"
		}
		perRun := func(n int) string {
			if r.runs == 0 {
				return "—"
			}
			return fmt.Sprintf("%.1f", float64(n)/float64(r.runs))
		}
		fmt.Fprintf(w, "| %s | %d tests, %s | %s | %d | %s | %s | %.0f %% | %d | %d | %.0f | %.0f | %s |\n",
			r.repo, r.tests, r.suite.Round(100*time.Millisecond), mode, r.runs, r.test.Round(100*time.Millisecond),
			r.wall.Round(100*time.Millisecond), 100*(r.wall-r.test).Seconds()/max(r.test.Seconds(), 1e-9),
			r.bugs, r.attempts, float64(r.bugs)/r.wall.Hours(), float64(r.attempts)/r.wall.Hours(), perRun(r.calls))
	}
	notes := []string{
		"test time: the test commands' wall time inside sandboxes; overhead: (wall − test) / test.",
		"whole suite: select_tests off (ssr run --no-select); selection: each artifact's runs execute the tests that cover its bug.",
		"one test run at a time (containers: 1), a warm pool of 1, seeded native agent, sequential attempts.",
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, strings.Join(notes, "\n"))
}
