package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

func TestTestFiles(t *testing.T) {
	files := []string{
		"README.md", "setup.py", "tox.ini", "pytest.ini", "src/pkg/core.py", "src/pkg/testing_utils.py",
		"test_top.py", "pkg/core_test.py", "pkg/sub/conftest.py", "tests/__init__.py", "tests/helpers.py",
		"tests/data/input.json", "src/pkg/test/fixtures.txt", "testing/util.py", "contest.py", ".venv/lib/test_x.py",
		"pyproject.toml", "setup.cfg", "src/extra.pth", "sub/pyproject.toml",
	}
	r, err := (&python{}).TestFiles(ctx, &plugin.TestFilesRequest{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pytest.ini", "test_top.py", "pkg/core_test.py", "pkg/sub/conftest.py", "tests/__init__.py", "tests/helpers.py",
		"tests/data/input.json", "src/pkg/test/fixtures.txt"}
	if !slices.Equal(r.TestFiles, want) {
		t.Errorf("got  %q\nwant %q", r.TestFiles, want)
	}
	if want := []string{"src/pkg/core.py", "src/pkg/testing_utils.py", "testing/util.py", "contest.py"}; !slices.Equal(r.Sources, want) {
		t.Errorf("sources %q, want %q", r.Sources, want)
	}
	if want := []string{"tox.ini", "pyproject.toml", "setup.cfg", "src/extra.pth"}; !slices.Equal(r.RunnerConfig, want) {
		t.Errorf("runner config %q, want %q", r.RunnerConfig, want)
	}
}

func TestTestFilesSources(t *testing.T) {
	tests := map[string]struct {
		files, sources []string
		warnings       int
	}{
		"package and tooling": {
			files:   []string{"setup.py", "noxfile.py", "tasks.py", "pkg/tasks.py", "pkg/sub/fabfile.py", "pkg/__init__.py", "pkg/core.py", "tests/test_core.py"},
			sources: []string{"pkg/tasks.py", "pkg/__init__.py", "pkg/core.py"},
		},
		"docs, examples, benchmarks": {
			files:   []string{"docs/conf.py", "doc/source/conf.py", "examples/demo.py", "pkg/example/run.py", "benchmarks/bench_x.py", "bench/b.py", "pkg/a.py"},
			sources: []string{"pkg/a.py"}, warnings: 1,
		},
		"vendored and hidden": {
			files:   []string{".venv/lib/x.py", "node_modules/x/y.py", ".github/scripts/release.py", "src/m.py"},
			sources: []string{"src/m.py"},
		},
		"nothing left": {files: []string{"tests/test_x.py", "docs/conf.py"}, sources: []string{}, warnings: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := (&python{}).TestFiles(ctx, &plugin.TestFilesRequest{Files: tc.files})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Sources, tc.sources) || len(r.Warnings) != tc.warnings {
				t.Errorf("sources %q warnings %q, want %q and %d warning(s)", r.Sources, r.Warnings, tc.sources, tc.warnings)
			}
		})
	}
}

func TestTestCommandScript(t *testing.T) {
	lang := &python{}
	all, err := lang.TestCommand(ctx, &plugin.TestCommandRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if all.Parser != "pytest" || !strings.Contains(all.Script, "python3 -m pytest") || strings.Contains(all.Script, "files=(") {
		t.Errorf("all-tests script:\n%s", all.Script)
	}
	weird := []string{"tests/it's a test.py", "tests/$(touch pwned).py", "tests/-x.py", "tests/conftest.py", "tests/__init__.py", "tests/data.json"}
	sel, err := lang.TestCommand(ctx, &plugin.TestCommandRequest{TestFiles: weird})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{all.Script, sel.Script} {
		if out, err := exec.Command("bash", "-n", "-c", s).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s\n%s", err, out, s)
		}
	}
	if strings.Contains(sel.Script, "conftest.py") || strings.Contains(sel.Script, "__init__.py") || strings.Contains(sel.Script, "data.json") {
		t.Errorf("non-module files on the command line:\n%s", sel.Script)
	}
	// Run the selection script with a fake python3 that prints its arguments: names must arrive intact and
	// nothing in them may run.
	dir := t.TempDir()
	writeFile(t, dir+"/bin/python3", []byte("#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\nexit 1\n"))
	if err := os.Chmod(dir+"/bin/python3", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range weird[:3] {
		writeFile(t, dir+"/"+f, nil)
	}
	cmd := exec.Command("bash", "-c", sel.Script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+dir+"/bin:"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script exited %v (want 0 whatever pytest does):\n%s", err, out)
	}
	for _, f := range weird[:3] {
		if !strings.Contains(string(out), "arg:"+f+"\n") {
			t.Errorf("argument %q not passed intact:\n%s", f, out)
		}
	}
	if _, err := os.Stat(dir + "/pwned"); err == nil {
		t.Errorf("a file name was executed")
	}
	if !strings.Contains(string(out), "arg:--\n") || !strings.Contains(string(out), "pytest exited with status 1") {
		t.Errorf("no -- before the files or no exit note:\n%s", out)
	}
	// Only missing files: a note and no pytest run.
	none, _ := lang.TestCommand(ctx, &plugin.TestCommandRequest{TestFiles: []string{"tests/gone_test.py"}})
	cmd = exec.Command("bash", "-c", none.Script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+dir+"/bin:"+os.Getenv("PATH"))
	out, err = cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "arg:") || !strings.Contains(string(out), "no tests run") {
		t.Errorf("missing files: %v\n%s", err, out)
	}
	if len(parsePytest(out)) != 0 {
		t.Errorf("notes parsed as tests")
	}
}
