package arena

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Repo is the arena's view of a prepared repository: its image, its checkout on the host (the same commit
// as /repo in the image), and the language plugin that knows its tests.
type Repo struct {
	Name         string
	Image        string          // repo image reference
	ImageID      string          // the image's id; part of the original-run cache key
	Dir          string          // host checkout at Commit
	Commit       string          // full commit hash
	Files        []string        // tracked files, repo-relative
	Lang         plugin.Language // the repository's language plugin
	Language     string          // the plugin's name
	Parsers      []string        // builtin parsers the plugin provides
	TestFiles    []string        // the plugin's test files among Files
	RunnerConfig []string        // the plugin's test-runner configuration among Files (test files by the rule, not oracle files)
	Sources      []string        // the source files the plugin's test command exercises; nil: no such rule
	Warnings     []string        // what the plugin says a user should read once (an untested nested module, say)
	Env          []string        // KEY=VALUE for every test run (the plugin recipe's env)
	User         string          // who runs tests and agents' commands in its sandboxes (repos.Image.User)
	Limits       sandbox.Limits  // per-repo sandbox limits
	TestCommand  string          // the manifest's test_command: the full suite's and every artifact's script; "" for the plugin's
	Timeout      time.Duration   // the manifest's limits.timeout; 0: the job's test_timeout (repos.TestTimeout)
	// Baseline is the repository's whole-suite baseline (repos.Builder.Baseline): the script and parser the
	// injector runs, and the tests that may become F2P or P2P tests. Nil until Prepare records it.
	Baseline *repos.Baseline
	// Coverage is which tests execute which source lines on the image (repos.Builder.Coverage, recorded with
	// the baseline): what selects an artifact's tests. Nil, or Unavailable set: artifacts run whole suites.
	Coverage *repos.Coverage
	// Excluded reports whether the manifest's exclude_tests leaves a test out of the protocol: it never
	// becomes an F2P or P2P test. Nil: none is.
	Excluded func(id string) bool

	rule *testRule // made by RepoAt; shared by copies of the Repo
}

// testRule caches the plugin's answers: path → test file or runner configuration.
type testRule struct {
	mu    sync.Mutex
	known map[string]bool
}

// RepoAt is the arena's view of a checkout at dir holding files, read through its language plugin: its
// test files, runner configuration and sources. Prepare and `ssr artifact check` both make their Repo here,
// so that they apply one test-file rule.
func RepoAt(ctx context.Context, lang plugin.Language, name, dir string, files []string) (*Repo, error) {
	desc, err := lang.Describe(ctx, &plugin.DescribeRequest{})
	if err != nil {
		return nil, err
	}
	tf, err := lang.TestFiles(ctx, &plugin.TestFilesRequest{Files: files})
	if err != nil {
		return nil, err
	}
	return &Repo{Name: name, Dir: dir, Files: files, Lang: lang, Language: desc.Name, Parsers: desc.Parsers,
		TestFiles: tf.TestFiles, RunnerConfig: tf.RunnerConfig, Sources: tf.Sources, Warnings: tf.Warnings, rule: &testRule{}}, nil
}

// IsTestFile is the language plugin's test-file rule, the one rule of validation, evaluation, the solver's
// prediction filter and `ssr artifact check`: a test file or a file that steers the test runner. A path the
// repository does not hold (a file a diff adds) is asked of the plugin the first time it is seen.
func (r *Repo) IsTestFile(p string) bool {
	if r.rule == nil {
		r.rule = &testRule{} // a Repo made by hand, not by RepoAt
	}
	r.rule.mu.Lock()
	defer r.rule.mu.Unlock()
	if r.rule.known == nil {
		r.rule.known = make(map[string]bool, len(r.Files))
		for _, f := range r.Files {
			r.rule.known[f] = false
		}
		for _, f := range slices.Concat(r.TestFiles, r.RunnerConfig) {
			r.rule.known[f] = true
		}
	}
	is, ok := r.rule.known[p]
	if !ok && r.Lang != nil {
		ctx, cancel := context.WithTimeout(context.Background(), ruleCallTimeout)
		resp, err := r.Lang.TestFiles(ctx, &plugin.TestFilesRequest{Files: []string{p}})
		cancel()
		// A plugin that cannot answer leaves the path a test file: the stricter side for every caller.
		is = err != nil || slices.Contains(resp.TestFiles, p) || slices.Contains(resp.RunnerConfig, p)
		r.rule.known[p] = is
	}
	return is
}

// ruleCallTimeout bounds one question to the plugin about a path the repository does not hold.
const ruleCallTimeout = 30 * time.Second

// CheckOptions are the static check's options for an artifact on r: the plugin's parsers and test-file rule.
func (r *Repo) CheckOptions(minChangedFiles int) artifact.CheckOptions {
	return artifact.CheckOptions{MinChangedFiles: minChangedFiles, Parsers: r.Parsers, IsTestFile: r.IsTestFile}
}

// SourceFiles lists the repository's files that are not test files, sorted.
func (r *Repo) SourceFiles() []string {
	var out []string
	for _, f := range r.Files {
		if !r.IsTestFile(f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func (r *Repo) spec(job, role string) sandbox.Spec {
	return sandbox.Spec{Image: r.Image, Job: job, Role: role, Env: r.Env, User: r.User, Limits: r.Limits}
}
