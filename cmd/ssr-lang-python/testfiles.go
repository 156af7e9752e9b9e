package main

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestFiles picks the oracle files (and RunnerConfig, see isRunnerConfig): pytest modules (test_*.py, *_test.py) and conftest.py at any depth,
// pytest.ini, and every file under a directory named tests or test (helpers and data there are part of the
// oracle that ssr restores before scoring).
//
// Sources are the .py files whose code the test command exercises: every .py file that is not a test file,
// not vendored (see vendoredDirs), not in a hidden directory, and not documentation, examples or
// benchmarks (a docs, doc, examples, example, benchmarks, benchmark or bench directory at any depth, which
// holds Sphinx's conf.py too), nor packaging and task tooling (setup.py, noxfile.py, fabfile.py, and a
// top-level tasks.py or dodo.py). A warning says how many files those directories held, and another one
// when no source file is left.
func (*python) TestFiles(ctx context.Context, req *plugin.TestFilesRequest) (*plugin.TestFilesResponse, error) {
	resp := &plugin.TestFilesResponse{TestFiles: []string{}, Sources: []string{}}
	untested := 0
	for _, f := range req.Files {
		switch {
		case isTestFile(f):
			resp.TestFiles = append(resp.TestFiles, f)
		case isRunnerConfig(f):
			resp.RunnerConfig = append(resp.RunnerConfig, f)
		case path.Ext(f) != ".py" || vendored(path.Clean(f)) || isTooling(f) || inHiddenDir(f):
		case inUntestedDir(f):
			untested++
		default:
			resp.Sources = append(resp.Sources, f)
		}
	}
	if untested > 0 {
		resp.Warnings = append(resp.Warnings, fmt.Sprintf("%d .py file(s) under docs/, examples/ or benchmarks/ directories are left out of the sources: the tests do not run them", untested))
	}
	if len(resp.Sources) == 0 {
		resp.Warnings = append(resp.Warnings, "no Python source file outside tests, docs, examples, benchmarks and tooling: nothing for a bug to change")
	}
	return resp, nil
}

// isRunnerConfig names the files that steer pytest or the interpreter without being tests: a solver must
// not change how the tests run by editing them, nor a bug hide in them. The project's configuration at the
// top (pytest.ini, tox.ini, setup.cfg, pyproject.toml, site- and usercustomize.py) and .pth files anywhere.
func isRunnerConfig(f string) bool {
	switch path.Clean(f) {
	case "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml", "sitecustomize.py", "usercustomize.py":
		return true
	}
	return path.Ext(f) == ".pth"
}

// inUntestedDir reports whether a file lies in a documentation, example or benchmark directory.
func inUntestedDir(f string) bool {
	for _, d := range strings.Split(path.Dir(path.Clean(f)), "/") {
		switch d {
		case "docs", "doc", "examples", "example", "benchmarks", "benchmark", "bench":
			return true
		}
	}
	return false
}

// inHiddenDir reports whether a file lies in a directory whose name starts with a dot (.github, .venv, …).
func inHiddenDir(f string) bool {
	for _, d := range strings.Split(path.Dir(path.Clean(f)), "/") {
		if strings.HasPrefix(d, ".") && d != "." {
			return true
		}
	}
	return false
}

// isTooling reports whether a .py file is packaging or task-runner configuration rather than code under test.
func isTooling(f string) bool {
	f = path.Clean(f)
	switch path.Base(f) {
	case "setup.py", "noxfile.py", "fabfile.py":
		return true
	}
	return f == "tasks.py" || f == "dodo.py"
}

func isTestFile(f string) bool {
	f = path.Clean(f)
	if vendored(f) {
		return false
	}
	base := path.Base(f)
	if isTestModule(base) || base == "conftest.py" || base == "pytest.ini" {
		return true
	}
	dirs := strings.Split(path.Dir(f), "/")
	for _, d := range dirs {
		if d == "tests" || d == "test" {
			return true
		}
	}
	return false
}

// pytestArgs are the flags that make pytest's output parseable line by line (see pytest_parse.go):
//
//	-v                                one "nodeid STATUS" line per test phase outcome, nodeids in full
//	-rfEsxXp                          a short summary with one "STATUS nodeid" line per outcome, passes
//	                                  included, without -rA's dump of every passing test's captured output
//	--durations=0                     per-phase durations (those under 5 ms are hidden by pytest)
//	-p no:cacheprovider               no .pytest_cache written into the repository, no --lf state
//	--color=no --tb=short             no escape codes, short tracebacks
//	-o console_output_style=classic   no "[ 42%]" progress suffixes
//	-o addopts=                       ignore the project's own addopts (-x, -q, --cov, -n auto, … would
//	                                  stop early, hide ids, or need plugins the image lacks)
//	-o log_cli=false                  no live log lines between a nodeid and its status
//	--continue-on-collection-errors   one broken test module does not stop every other test from running
var pytestArgs = []string{
	"-v", "-rfEsxXp", "--durations=0", "-p", "no:cacheprovider", "--color=no", "--tb=short",
	"-o", "console_output_style=classic", "-o", "addopts=", "-o", "log_cli=false",
	"--continue-on-collection-errors",
}

// TestCommand returns a bash script, run from /repo, that runs pytest on every test, on the given test ids
// (node ids: their files are collected and a small plugin keeps only those ids, see selectPlugin;
// SelectsIDs), or on the given files (test modules only:
// conftest.py, __init__.py, pytest.ini and data files are dropped, since naming them would make pytest
// collect them as modules). Files missing at run time are skipped with a note instead of
// aborting the run. The script always exits 0: ssr parses its output, not its status.
func (*python) TestCommand(ctx context.Context, req *plugin.TestCommandRequest) (*plugin.TestCommandResponse, error) {
	var b strings.Builder
	b.WriteString("#!/usr/bin/env bash\n")
	b.WriteString("# Written by ssr-lang-python: runs pytest from /repo. ssr parses what this prints (builtin parser\n")
	b.WriteString("# \"pytest\"), never its exit status, so failing tests do not fail the script.\n")
	b.WriteString("set -u\nexport PYTHONDONTWRITEBYTECODE=1\n")
	b.WriteString("args=(" + strings.Join(quoteAll(pytestArgs), " ") + ")\n")
	byID := len(req.TestIDs) > 0
	selection := req.TestFiles
	if byID {
		selection = nil
		for _, id := range req.TestIDs {
			if file, _, ok := strings.Cut(id, "::"); ok && !strings.ContainsAny(id, "\n\r") {
				selection = append(selection, file)
			}
		}
		slices.Sort(selection)
		selection = slices.Compact(selection)
	}
	if len(selection) == 0 && !byID {
		b.WriteString("python3 -m pytest \"${args[@]}\" 2>&1\n")
	} else {
		var sel []string
		for _, f := range selection {
			if selectable(f) {
				sel = append(sel, f)
			}
		}
		if len(sel) == 0 {
			b.WriteString("echo 'ssr: no test module among the given files; no tests run'\nexit 0\n")
			return &plugin.TestCommandResponse{Script: b.String(), Parser: parserPytest, SelectsIDs: byID}, nil
		}
		b.WriteString("files=()\nfor f in " + strings.Join(quoteAll(sel), " ") + "; do\n")
		b.WriteString("  if [ -e \"${f%%::*}\" ]; then files+=(\"$f\"); else echo \"ssr: test file not found, skipped: $f\"; fi\ndone\n")
		b.WriteString("if [ ${#files[@]} -eq 0 ]; then echo 'ssr: none of the given test files exists; no tests run'; exit 0; fi\n")
		if byID {
			writeSelectPlugin(&b, req.TestIDs)
		}
		b.WriteString("python3 -m pytest \"${args[@]}\" -- \"${files[@]}\" 2>&1\n")
	}
	b.WriteString("echo \"ssr: pytest exited with status $?\"\nexit 0\n")
	return &plugin.TestCommandResponse{Script: b.String(), Parser: parserPytest, SelectsIDs: byID}, nil
}

// selectPlugin is a pytest plugin, loaded with -p, that keeps the collected items whose node id is listed in
// the file $SSR_SELECT and deselects the rest. Naming node ids on pytest's command line would be simpler,
// but pytest stops with a usage error when one of them does not exist, and a weakening removes tests: the
// files holding the selected tests are collected instead, and an id that is gone is simply not run.
const selectPlugin = `import os


def pytest_collection_modifyitems(session, config, items):
    with open(os.environ["SSR_SELECT"], encoding="utf-8") as f:
        want = {line.rstrip("\n") for line in f if line.strip()}
    keep = [item for item in items if item.nodeid in want]
    drop = [item for item in items if item.nodeid not in want]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
`

// writeSelectPlugin adds to a script the lines that install selectPlugin and the ids it keeps, in a
// temporary directory on PYTHONPATH, and the -p flag that loads it.
func writeSelectPlugin(b *strings.Builder, ids []string) {
	delim := "SSR_IDS"
	for strings.Contains(strings.Join(ids, "\n"), delim) {
		delim += "_"
	}
	b.WriteString("ssr_sel=$(mktemp -d) || exit 2\ntrap 'rm -rf \"$ssr_sel\"' EXIT\n")
	b.WriteString("cat >\"$ssr_sel/ssr_select.py\" <<'SSR_PLUGIN'\n" + selectPlugin + "SSR_PLUGIN\n")
	b.WriteString("cat >\"$ssr_sel/ids\" <<'" + delim + "'\n")
	for _, id := range ids {
		if !strings.ContainsAny(id, "\n\r") {
			b.WriteString(id + "\n")
		}
	}
	b.WriteString(delim + "\n")
	b.WriteString("export SSR_SELECT=\"$ssr_sel/ids\" PYTHONPATH=\"$ssr_sel${PYTHONPATH:+:$PYTHONPATH}\"\nargs+=(-p ssr_select)\n")
}

// selectable reports whether a file can be named on pytest's command line: a Python module that is not a
// conftest.py or a package's __init__.py, or a node id (file::test).
func selectable(f string) bool {
	if strings.Contains(f, "::") {
		return true
	}
	base := path.Base(f)
	return strings.HasSuffix(base, ".py") && base != "conftest.py" && base != "__init__.py"
}

// shellQuote quotes s for bash so that it stays one word whatever it contains.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = shellQuote(s)
	}
	return out
}
