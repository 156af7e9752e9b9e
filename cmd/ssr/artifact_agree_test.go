package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// agreeRepo is a small Python repository with test-runner configuration beside its code.
var agreeRepo = map[string]string{
	"calc/__init__.py":   "",
	"calc/ops.py":        "def add(a, b):\n    return a + b\n",
	"tests/test_ops.py":  "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
	"tests/conftest.py":  "",
	"pyproject.toml":     "[project]\nname = \"calc\"\n",
	"setup.cfg":          "[metadata]\nname = calc\n",
	"docs/conf.py":       "project = 'calc'\n",
	"calc/extra/util.py": "X = 1\n",
}

// fileDiff is a one-line change of path from old to new, or a new file when old is "".
func fileDiff(path, old, new string) string {
	if old == "" {
		return "diff --git a/" + path + " b/" + path + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + path + "\n@@ -0,0 +1 @@\n+" + new + "\n"
	}
	return "diff --git a/" + path + " b/" + path + "\n--- a/" + path + "\n+++ b/" + path + "\n@@ -1 +1 @@\n-" + old + "\n+" + new + "\n"
}

const agreeWeaken = "diff --git a/tests/test_ops.py b/tests/test_ops.py\n--- a/tests/test_ops.py\n+++ b/tests/test_ops.py\n@@ -1,5 +1 @@\n from calc.ops import add\n-\n-\n-def test_add():\n-    assert add(1, 2) == 3\n"

// TestArtifactCheckAgreesWithValidation: `ssr artifact check` and a job's validation give the same verdict
// on every case of the static-check table, because both ask the language plugin for the test-file rule
// (test files and test-runner configuration such as pyproject.toml).
func TestArtifactCheckAgreesWithValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Python plugin")
	}
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "ssr-lang-python"), "../ssr-lang-python").CombinedOutput(); err != nil {
		t.Fatalf("go build ssr-lang-python: %v\n%s", err, out)
	}
	t.Setenv("SSR_PLUGIN_DIR", bin)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := t.TempDir()
	for p, c := range agreeRepo {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}

	// The validation side: the repository as a job prepares it (a clone, the plugin's rule).
	ctx := context.Background()
	host := plugin.NewHost()
	defer host.Close()
	b := repos.NewBuilder(nil, nil, repos.HostLanguages{Host: host}, repos.WithCacheDir(t.TempDir()))
	prepared, err := arena.PrepareHost(ctx, b, []repos.Repo{{Name: "calc", Source: repos.Source{Path: dir}}})
	if err != nil {
		t.Fatal(err)
	}
	validation := arena.New(nil, "job", arena.DefaultConfig(), nil)

	bug := fileDiff("calc/ops.py", "def add(a, b):", "def add(b, a):")
	for name, tc := range map[string]struct {
		edit func(a *artifact.Artifact)
		want string // "" for valid
	}{
		"valid":                       {edit: func(a *artifact.Artifact) {}},
		"bug touches a listed test":   {edit: func(a *artifact.Artifact) { a.BugDiff = agreeWeaken }, want: "touches test file tests/test_ops.py"},
		"bug touches conftest.py":     {edit: func(a *artifact.Artifact) { a.BugDiff = fileDiff("tests/conftest.py", "", "import os") }, want: "tests/conftest.py"},
		"bug touches pyproject.toml":  {edit: func(a *artifact.Artifact) { a.BugDiff = bug + fileDiff("pyproject.toml", "[project]", "[tool]") }, want: "pyproject.toml"},
		"bug touches setup.cfg":       {edit: func(a *artifact.Artifact) { a.BugDiff = bug + fileDiff("setup.cfg", "[metadata]", "[tool:pytest]") }, want: "setup.cfg"},
		"bug adds a test module":      {edit: func(a *artifact.Artifact) { a.BugDiff = bug + fileDiff("tests/test_new.py", "", "X = 1") }, want: "tests/test_new.py"},
		"bug adds a .pth file":        {edit: func(a *artifact.Artifact) { a.BugDiff = bug + fileDiff("calc/x.pth", "", "import os") }, want: "calc/x.pth"},
		"bug adds a source file":      {edit: func(a *artifact.Artifact) { a.BugDiff = bug + fileDiff("calc/new.py", "", "Y = 2") }},
		"bug in a nested source":      {edit: func(a *artifact.Artifact) { a.BugDiff = fileDiff("calc/extra/util.py", "X = 1", "X = 2") }},
		"weaken touches unlisted":     {edit: func(a *artifact.Artifact) { a.TestFiles = []string{"tests/conftest.py"} }, want: "not listed"},
		"unknown parser":              {edit: func(a *artifact.Artifact) { a.Parser = artifact.Parser{Builtin: "nose"} }, want: `unknown builtin parser "nose"`},
		"missing listed test file":    {edit: func(a *artifact.Artifact) { a.TestFiles = append(a.TestFiles, "tests/test_gone.py") }, want: "does not exist"},
		"bug diff garbage":            {edit: func(a *artifact.Artifact) { a.BugDiff = "@@ nonsense\n+x\n" }, want: "bug_inject.diff"},
		"empty test script":           {edit: func(a *artifact.Artifact) { a.TestScript = " \n" }, want: "the test script is empty"},
		"weakening touches test only": {edit: func(a *artifact.Artifact) { a.WeakenDiff = bug }, want: "test_weaken.diff"},
	} {
		t.Run(name, func(t *testing.T) {
			a := &artifact.Artifact{TestScript: "python3 -m pytest -rA tests/test_ops.py\n", TestFiles: []string{"tests/test_ops.py"},
				Parser: artifact.Parser{Builtin: "pytest"}, BugDiff: bug, WeakenDiff: agreeWeaken}
			tc.edit(a)
			cli, err := checkArtifact(ctx, dir, a, arena.DefaultConfig().MinChangedFiles)
			if err != nil {
				t.Fatalf("ssr artifact check: %v", err)
			}
			_, val, err := validation.StaticCheck(prepared[0], a)
			if err != nil {
				t.Fatalf("validation: %v", err)
			}
			if (cli == nil) != (val == nil) || (cli != nil && cli.Error() != val.Error()) {
				t.Fatalf("ssr artifact check says %v, validation says %v", cli, val)
			}
			switch {
			case tc.want == "" && cli != nil:
				t.Fatalf("rejected: %v; want valid", cli)
			case tc.want != "" && (cli == nil || !strings.Contains(cli.Error(), tc.want)):
				t.Fatalf("verdict %v; want a rejection containing %q", cli, tc.want)
			}
		})
	}
}
