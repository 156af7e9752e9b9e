package repos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// DefaultFlakeRuns is how many times a baseline runs the test suite.
const DefaultFlakeRuns = 2

// DefaultTestTimeout is the time limit of one run of a repository's tests when neither its manifest entry
// (limits.timeout) nor the job (arena.test_timeout) sets one.
const DefaultTestTimeout = 5 * time.Minute

// TestTimeout is the time limit of a run of repo's whole suite on its original code, the one precedence of
// `ssr repos test` and `ssr run`: the manifest entry's limits.timeout, else the job's test_timeout (job > 0),
// else DefaultTestTimeout. Later runs in a job derive theirs from the original runs' durations (see the
// arena's timeoutFor), never more than this.
func TestTimeout(repo Repo, job time.Duration) time.Duration {
	return cmp.Or(repo.Limits.Timeout, max(job, 0), DefaultTestTimeout)
}

// WithFlakeRuns's n and the time limit are part of a baseline's cache key, with the image, script and
// parser: a baseline is shared by `ssr repos test` and `ssr run` exactly when they would run the same.

// baselineFormat is bumped when the cached JSON changes shape.
const baselineFormat = 2

// Sentinel errors of baselines, wrapped by the *BaselineError a failed baseline gives.
var (
	// ErrNoTests means a test run's output named no tests: the command or the parser does not fit the repo.
	ErrNoTests = errors.New("no tests in the output")
	// ErrNoPassingTests means tests ran but none passed in every run: nothing could become a bug's test.
	ErrNoPassingTests = errors.New("no test passed")
)

// BaselineError is a baseline that gave nothing to work with: the command that ran, how it ended and the last
// lines of its output; the full output is kept in Log.
type BaselineError struct {
	Repo     string
	Run      int    // 1-based run that failed; 0 when the runs together failed (no test passed in all)
	Command  string // the manifest's test_command, or a description of the plugin's script
	ExitCode int
	TimedOut bool
	Counts   string // e.g. "3 failed, 1 error"; empty when no tests were found
	Tail     string // the last lines of the output
	Log      string // the script and its full output on the host
	Err      error  // ErrNoTests or ErrNoPassingTests
}

func (e *BaselineError) Error() string {
	what := e.Err.Error()
	if e.Counts != "" {
		what += " (" + e.Counts + ")"
	}
	if e.Run > 0 {
		what += fmt.Sprintf(" in run %d", e.Run)
	}
	how := fmt.Sprintf("exit status %d", e.ExitCode)
	if e.TimedOut {
		how = "timed out: raise limits.timeout"
	}
	return fmt.Sprintf("baseline %s: %s running %s (%s; full output: %s): check test_command and the dependencies the image needs; last lines:\n%s",
		e.Repo, what, e.Command, how, e.Log, e.Tail)
}

// Unwrap returns ErrNoTests or ErrNoPassingTests.
func (e *BaselineError) Unwrap() error { return e.Err }

// WithFlakeRuns sets how many times Baseline runs the tests (default DefaultFlakeRuns; at least 1); tests
// whose status differs between runs are flaky.
func WithFlakeRuns(n int) Option {
	return func(c *config) { c.flakeRuns = max(n, 1) }
}

// TestRun is one run of the test script, with its raw output.
type TestRun struct {
	ExitCode int                 `json:"exit_code"`
	TimedOut bool                `json:"timed_out,omitempty"`
	Duration time.Duration       `json:"duration"`
	Output   string              `json:"output"` // stdout and stderr together, as the parser read them
	Tests    []plugin.TestResult `json:"tests"`
}

// TestBaseline is one test's outcome over all runs.
type TestBaseline struct {
	ID       string   `json:"id"`
	File     string   `json:"file,omitempty"`
	Status   string   `json:"status"`   // the status in every run, or "flaky"
	Statuses []string `json:"statuses"` // per run; "missing" when a run did not report it
	Duration float64  `json:"duration"` // mean seconds over the runs that reported it
	Excluded bool     `json:"excluded,omitempty"`
}

// StatusFlaky marks a test whose status differed between baseline runs.
const StatusFlaky = "flaky"

// Baseline is what a repo's tests do on its unmodified image.
type Baseline struct {
	Repo    string         `json:"repo"`
	Image   string         `json:"image"`
	ImageID string         `json:"image_id"`
	Script  string         `json:"script"`
	Parser  string         `json:"parser"`
	Timeout time.Duration  `json:"timeout"` // the limit each run ran under (TestTimeout)
	Runs    []TestRun      `json:"runs"`
	Tests   []TestBaseline `json:"tests"` // sorted by id
	Created time.Time      `json:"created"`
	Format  int            `json:"format"`

	Cached bool   `json:"-"` // read from the cache instead of run
	Path   string `json:"-"` // the cache file
}

// Counts tallies the tests by status (passed, failed, skipped, error, flaky), leaving out excluded tests.
func (b *Baseline) Counts() map[string]int {
	m := map[string]int{}
	for _, t := range b.Tests {
		if !t.Excluded {
			m[t.Status]++
		}
	}
	return m
}

// Passing lists the ids of the tests that passed in every run and are not excluded: the only tests that may
// become fail-to-pass or pass-to-pass tests.
func (b *Baseline) Passing() []string {
	var out []string
	for _, t := range b.Tests {
		if t.Status == plugin.StatusPassed && !t.Excluded {
			out = append(out, t.ID)
		}
	}
	return out
}

// Slowest returns the n tests with the longest mean duration, slowest first.
func (b *Baseline) Slowest(n int) []TestBaseline {
	ts := append([]TestBaseline(nil), b.Tests...)
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Duration > ts[j].Duration })
	if len(ts) > n {
		ts = ts[:n]
	}
	return ts
}

// TestScript returns the script that runs repo's tests (the manifest's test_command, or the plugin's) and
// the builtin parser that reads its output.
func TestScript(ctx context.Context, lang plugin.Language, repo Repo) (script, parser string, err error) {
	cmd, err := lang.TestCommand(ctx, &plugin.TestCommandRequest{})
	if err != nil {
		return "", "", fmt.Errorf("repo %s: test command: %w", repo.Name, err)
	}
	script = cmd.Script
	if repo.TestCommand != "" {
		script = "#!/bin/bash\n# test_command from the manifest\n" + repo.TestCommand + " 2>&1\n"
	}
	return script, cmd.Parser, nil
}

// Baseline runs repo's tests on img flake-runs times (each in a fresh sandbox), parses every run with the
// plugin and records each test's status and duration; tests whose status differs between runs are flaky.
// The result, raw outputs included, is cached in the cache directory per image ID, script, parser and number
// of runs; exclusions from the manifest are applied when it is returned.
func (b *Builder) Baseline(ctx context.Context, repo Repo, img *Image) (*Baseline, error) {
	lang, err := b.languages.Language(ctx, img.Language, nil)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", repo.Name, err)
	}
	script, parser, err := TestScript(ctx, lang, repo)
	if err != nil {
		return nil, err
	}
	runs, limit := b.cfg.flakeRuns, TestTimeout(repo, b.cfg.testTimeout)
	key := hashHex([]byte(img.ID + "\n" + script + "\n" + parser + "\n" + strconv.Itoa(runs) + "\n" + limit.String()))
	path := filepath.Join(b.cfg.cacheDir, "baselines", repo.Name+"-"+key[:16]+".json")
	if bl, err := readCache[Baseline](path, "baseline", baselineFormat); err == nil {
		bl.Cached, bl.Path = true, path
		bl.applyExclusions(repo)
		return bl, nil
	}

	bl := &Baseline{Repo: repo.Name, Image: img.Ref, ImageID: img.ID, Script: script, Parser: parser, Timeout: limit,
		Created: b.cfg.now().UTC(), Format: baselineFormat, Path: path}
	for i := 0; i < runs; i++ {
		fmt.Fprintf(b.cfg.progress, "%s: baseline run %d of %d\n", repo.Name, i+1, runs)
		run, err := b.runTests(ctx, repo, img, script, limit)
		if err != nil {
			return nil, fmt.Errorf("baseline %s, run %d: %w", repo.Name, i+1, err)
		}
		parsed, err := lang.ParseTestOutput(ctx, &plugin.ParseTestOutputRequest{Parser: parser, Output: []byte(run.Output)})
		if err != nil {
			return nil, fmt.Errorf("baseline %s, run %d: parse with %s: %w", repo.Name, i+1, parser, err)
		}
		run.Tests = parsed.Tests
		if len(parsed.Tests) == 0 {
			return nil, b.baselineError(repo, img, script, i+1, run, ErrNoTests, "")
		}
		bl.Runs = append(bl.Runs, run)
	}
	bl.summarise()
	if len(bl.Passing()) == 0 {
		last := bl.Runs[len(bl.Runs)-1]
		return nil, b.baselineError(repo, img, script, 0, last, ErrNoPassingTests, countsLine(bl.Counts()))
	}
	if err := writeCache(path, bl, true); err != nil {
		return nil, err
	}
	bl.applyExclusions(repo)
	return bl, nil
}

// runTests runs the script once in a fresh sandbox made from img.
func (b *Builder) runTests(ctx context.Context, repo Repo, img *Image, script string, limit time.Duration) (TestRun, error) {
	sb, err := b.provider.Start(ctx, sandbox.Spec{Image: img.ID, Workdir: img.Workdir, Job: b.cfg.jobFor("baseline", repo.Name), Role: "baseline", Env: img.Env, User: img.User, Limits: repo.Limits.Sandbox()})
	if err != nil {
		return TestRun{}, err
	}
	defer sb.Close(context.WithoutCancel(ctx))
	const scriptPath = "/tmp/ssr-test.sh"
	if err := sb.WriteFiles(ctx, sandbox.File{Path: scriptPath, Data: []byte(script), Mode: 0o755}); err != nil {
		return TestRun{}, err
	}
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"bash", "-c", "bash " + scriptPath + " 2>&1"}, Timeout: limit})
	if err != nil {
		return TestRun{}, err
	}
	return TestRun{ExitCode: res.ExitCode, TimedOut: res.TimedOut, Duration: res.Duration, Output: string(res.Stdout) + string(res.Stderr)}, nil
}

// summarise folds the runs into per-test outcomes.
func (bl *Baseline) summarise() {
	byID := map[string]*TestBaseline{}
	var ids []string
	for r, run := range bl.Runs {
		for _, t := range run.Tests {
			tb := byID[t.ID]
			if tb == nil {
				tb = &TestBaseline{ID: t.ID, File: t.File, Statuses: make([]string, len(bl.Runs))}
				for i := range tb.Statuses {
					tb.Statuses[i] = "missing"
				}
				byID[t.ID] = tb
				ids = append(ids, t.ID)
			}
			tb.Statuses[r] = t.Status
			tb.Duration += t.Duration
		}
	}
	sort.Strings(ids)
	bl.Tests = make([]TestBaseline, 0, len(ids))
	for _, id := range ids {
		tb := byID[id]
		seen := 0
		tb.Status = tb.Statuses[0]
		for _, s := range tb.Statuses {
			if s != "missing" {
				seen++
			}
			if s != tb.Status {
				tb.Status = StatusFlaky
			}
		}
		if seen > 0 {
			tb.Duration /= float64(seen)
		}
		bl.Tests = append(bl.Tests, *tb)
	}
}

func (bl *Baseline) applyExclusions(repo Repo) {
	for i := range bl.Tests {
		bl.Tests[i].Excluded = repo.Excluded(bl.Tests[i].ID)
	}
}

// baselineError keeps the script and the run's output in a log file and describes the failure.
func (b *Builder) baselineError(repo Repo, img *Image, script string, n int, run TestRun, cause error, counts string) error {
	cmd := fmt.Sprintf("the %s plugin's test script", img.Language)
	if repo.TestCommand != "" {
		cmd = fmt.Sprintf("test_command %q", repo.TestCommand)
	}
	e := &BaselineError{Repo: repo.Name, Run: n, Command: cmd, ExitCode: run.ExitCode, TimedOut: run.TimedOut,
		Counts: counts, Tail: lastLines(run.Output, 20), Err: cause}
	dir := filepath.Join(b.cfg.cacheDir, "logs")
	e.Log = filepath.Join(dir, fmt.Sprintf("baseline-%s-%s.log", repo.Name, b.cfg.now().UTC().Format("20060102T150405.000")))
	data := "# image " + img.Ref + "\n# script:\n" + script + "\n# output:\n" + run.Output
	if err := os.MkdirAll(dir, 0o755); err != nil || os.WriteFile(e.Log, []byte(data), 0o644) != nil {
		e.Log = "not kept"
	}
	return e
}

// countsLine writes status counts as "3 failed, 1 error", in a fixed order.
func countsLine(counts map[string]int) string {
	var parts []string
	for _, st := range []string{plugin.StatusPassed, plugin.StatusFailed, plugin.StatusError, plugin.StatusSkipped, StatusFlaky} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	return strings.Join(parts, ", ")
}
