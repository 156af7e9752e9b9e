package arena

import (
	"sort"
	"strings"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Repo is the arena's view of a prepared repository: its image, its checkout on the host (the same commit
// as /repo in the image), and the language plugin that knows its tests.
type Repo struct {
	Name      string
	Image     string          // repo image reference
	ImageID   string          // the image's id; part of the original-run cache key
	Dir       string          // host checkout at Commit
	Commit    string          // full commit hash
	Files     []string        // tracked files, repo-relative
	Lang      plugin.Language // the repository's language plugin
	Language  string          // the plugin's name
	Parsers   []string        // builtin parsers the plugin provides
	TestFiles []string        // the plugin's test files among Files
	Sources   []string        // the source files the plugin's test command exercises; nil: no such rule
	Warnings  []string        // what the plugin says a user should read once (an untested nested module, say)
	Env       []string        // KEY=VALUE for every test run (the plugin recipe's env)
	Limits    sandbox.Limits  // per-repo sandbox limits

	testSet map[string]bool
}

// IsTestFile reports whether p is a test file by the plugin's rule or the language-neutral one.
func (r *Repo) IsTestFile(p string) bool {
	if r.testSet == nil {
		r.testSet = make(map[string]bool, len(r.TestFiles))
		for _, f := range r.TestFiles {
			r.testSet[f] = true
		}
	}
	return r.testSet[p] || artifact.LooksLikeTestFile(p) || isTestConfig(p)
}

// isTestConfig names files that steer a test runner without being tests: a solver must not be able to
// change how tests run by editing them.
func isTestConfig(p string) bool {
	switch p {
	case "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "conftest.py", "sitecustomize.py", "usercustomize.py":
		return true
	}
	return strings.HasSuffix(p, "/conftest.py") || strings.HasSuffix(p, ".pth")
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
	return sandbox.Spec{Image: r.Image, Job: job, Role: role, Env: r.Env, Limits: r.Limits}
}
