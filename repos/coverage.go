package repos

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Per-test coverage: which tests execute which source lines of a repo image, recorded once per image with
// its baseline (the plugin's CoverageCommand run in a sandbox and read by its ParseCoverage) and cached
// beside the baseline, per image ID, script, parser and time limit. The arena selects each artifact's
// tests with it. A repository whose coverage cannot be had (the plugin has none for it, the manifest's
// test_command runs the tests, the run broke or ran out of time) gets a Coverage with Unavailable set: one
// line on why, and whole-suite runs.

// coverageFormat is bumped when the cached JSON changes shape.
const coverageFormat = 1

// CoverageTimeoutFactor is the coverage run's time limit as a multiple of the baseline's (TestTimeout):
// running every test alone, or under a tracer, costs a few times the suite.
const CoverageTimeoutFactor = 3

// coverageMaxOutput caps what the coverage run may print: per-test reports are larger than test output.
const coverageMaxOutput = 256 << 20

// Coverage is which tests executed which source lines on a repository's unmodified image.
type Coverage struct {
	Repo     string                `json:"repo"`
	ImageID  string                `json:"image_id"`
	Script   string                `json:"script,omitempty"`
	Parser   string                `json:"parser,omitempty"`
	Timeout  time.Duration         `json:"timeout,omitempty"`
	Duration time.Duration         `json:"duration,omitempty"`
	Tests    []plugin.TestCoverage `json:"tests,omitempty"`  // sorted by id; tests covering nothing included
	Shared   []plugin.FileLines    `json:"shared,omitempty"` // lines run outside any test
	// Unavailable is one line on why there is no coverage (Tests is then empty): artifacts run whole suites.
	Unavailable string    `json:"unavailable,omitempty"`
	Created     time.Time `json:"created"`
	Format      int       `json:"format"`

	Cached bool   `json:"-"` // read from the cache instead of run
	Path   string `json:"-"` // the cache file; "" when nothing was cached
}

// Summary is one line on the coverage: how many tests and files, or why there is none.
func (c *Coverage) Summary() string {
	if c == nil {
		return "no coverage recorded"
	}
	if c.Unavailable != "" {
		return "no per-test coverage: " + c.Unavailable
	}
	files := map[string]bool{}
	for _, t := range c.Tests {
		for _, f := range t.Files {
			files[f.Path] = true
		}
	}
	return fmt.Sprintf("per-test coverage of %d test(s) over %d source file(s), recorded in %s", len(c.Tests), len(files), c.Duration.Round(100*time.Millisecond))
}

// Coverage records which tests execute which source lines of repo's image, once per image: files are the
// repository's tracked files (the plugin picks the sources to measure) and bl its baseline, whose tests
// the coverage's ids must match. An expected failure gives a Coverage with Unavailable set, never an
// error; the error is for the engine or the plugin failing.
func (b *Builder) Coverage(ctx context.Context, repo Repo, img *Image, files []string, bl *Baseline) (*Coverage, error) {
	cov := &Coverage{Repo: repo.Name, ImageID: img.ID, Created: b.cfg.now().UTC(), Format: coverageFormat}
	if repo.TestCommand != "" {
		cov.Unavailable = "the manifest's test_command runs the tests, and ssr cannot measure or narrow a command it did not write"
		return cov, nil
	}
	lang, err := b.languages.Language(ctx, img.Language, nil)
	if err != nil {
		return nil, fmt.Errorf("coverage %s: %w", repo.Name, err)
	}
	cmd, err := lang.CoverageCommand(ctx, &plugin.CoverageCommandRequest{Files: files})
	switch {
	case errors.Is(err, plugin.ErrUnimplemented):
		cov.Unavailable = err.Error()
		return cov, nil
	case err != nil:
		return nil, fmt.Errorf("coverage %s: %w", repo.Name, err)
	case cmd.Unsupported != "" || cmd.Script == "":
		cov.Unavailable = cmp.Or(cmd.Unsupported, "the "+img.Language+" plugin gives no coverage script")
		return cov, nil
	}
	cov.Script, cov.Parser = cmd.Script, cmd.Parser
	cov.Timeout = CoverageTimeoutFactor * TestTimeout(repo, b.cfg.testTimeout)
	key := hashHex([]byte(img.ID + "\n" + cmd.Script + "\n" + cmd.Parser + "\n" + cov.Timeout.String()))
	path := filepath.Join(b.cfg.cacheDir, "coverage", repo.Name+"-"+key[:16]+".json")
	if cached, err := readCache[Coverage](path, "coverage", coverageFormat); err == nil {
		cached.Cached, cached.Path = true, path
		return cached, nil
	}
	cov.Path = path
	fmt.Fprintf(b.cfg.progress, "%s: per-test coverage (limit %s)\n", repo.Name, cov.Timeout)
	run, err := b.runScript(ctx, repo, img, cmd.Script, cov.Timeout, coverageMaxOutput)
	if err != nil {
		return nil, fmt.Errorf("coverage %s: %w", repo.Name, err)
	}
	cov.Duration = run.Duration
	switch {
	case run.TimedOut:
		cov.Unavailable = fmt.Sprintf("the coverage run timed out after %s (limit %s, %d× the baseline's)",
			run.Duration.Round(time.Second), cov.Timeout, CoverageTimeoutFactor)
	default:
		parsed, err := lang.ParseCoverage(ctx, &plugin.ParseCoverageRequest{Parser: cmd.Parser, Output: []byte(run.Output)})
		if err != nil {
			return nil, fmt.Errorf("coverage %s: parse with %s: %w", repo.Name, cmd.Parser, err)
		}
		if parsed.Error != "" {
			cov.Unavailable = fmt.Sprintf("%s (exit status %d)", parsed.Error, run.ExitCode)
			break
		}
		cov.Tests, cov.Shared = parsed.Tests, parsed.Shared
		sort.Slice(cov.Tests, func(i, j int) bool { return cov.Tests[i].ID < cov.Tests[j].ID })
		if bl != nil && !cov.matches(bl) {
			cov.Tests, cov.Shared = nil, nil
			cov.Unavailable = "the coverage run names none of the baseline's tests (the plugin's coverage and test ids differ)"
		}
	}
	if err := writeCache(path, cov, false); err != nil {
		return nil, err
	}
	return cov, nil
}

// matches reports whether some test of the baseline is a test of the coverage (or a subtest of one).
func (c *Coverage) matches(bl *Baseline) bool {
	return slices.ContainsFunc(bl.Tests, func(t TestBaseline) bool { return c.Owner(t.ID) != "" })
}

// Owner is the id under which the coverage records test id: the id itself, or the top-level test a Go
// subtest ("pkg::TestX/sub") belongs to; "" when the coverage does not name it. Tests must be sorted by id.
func (c *Coverage) Owner(id string) string {
	for cand := id; ; {
		if _, ok := slices.BinarySearchFunc(c.Tests, cand, func(tc plugin.TestCoverage, id string) int { return strings.Compare(tc.ID, id) }); ok {
			return cand
		}
		i := lastSlash(cand)
		if i < 0 {
			return ""
		}
		cand = cand[:i]
	}
}

// lastSlash is the index of the last "/" after the "::" of a test id, or -1 (a slash in a Python node id's
// path, before "::", does not make a subtest).
func lastSlash(id string) int {
	sep := -1
	for i := 0; i+1 < len(id); i++ {
		if id[i] == ':' && id[i+1] == ':' {
			sep = i + 2
		}
	}
	if sep < 0 {
		return -1
	}
	for i := len(id) - 1; i >= sep; i-- {
		if id[i] == '/' {
			return i
		}
	}
	return -1
}

// runScript runs script once in a fresh sandbox made from img, keeping up to maxOutput bytes of its output.
func (b *Builder) runScript(ctx context.Context, repo Repo, img *Image, script string, limit time.Duration, maxOutput int64) (TestRun, error) {
	sb, err := b.provider.Start(ctx, sandbox.Spec{Image: img.ID, Workdir: img.Workdir, Job: b.cfg.jobFor("baseline", repo.Name), Role: "baseline", Env: img.Env, Limits: repo.Limits.Sandbox()})
	if err != nil {
		return TestRun{}, err
	}
	defer sb.Close(context.WithoutCancel(ctx))
	const scriptPath = "/tmp/ssr-coverage.sh"
	if err := sb.WriteFiles(ctx, sandbox.File{Path: scriptPath, Data: []byte(script), Mode: 0o755}); err != nil {
		return TestRun{}, err
	}
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"bash", "-c", "bash " + scriptPath + " 2>&1"}, Timeout: limit, MaxOutput: maxOutput})
	if err != nil {
		return TestRun{}, err
	}
	return TestRun{ExitCode: res.ExitCode, TimedOut: res.TimedOut, Duration: res.Duration, Output: string(res.Stdout) + string(res.Stderr)}, nil
}
