package examples

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
)

func TestNames(t *testing.T) {
	names := Names()
	if strings.Join(names, ",") != "gokit,pyledger" {
		t.Fatalf("Names() = %v, want [gokit pyledger]", names)
	}
}

func TestMaterializeIsDeterministic(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			a, err := Materialize(name, filepath.Join(t.TempDir(), "a"))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			b, err := Materialize(name, dir)
			if err != nil {
				t.Fatal(err)
			}
			if a != b || len(a) != 40 {
				t.Fatalf("two materialisations gave HEAD %s and %s; want the same full hash", a, b)
			}
			repo, err := git.PlainOpen(dir)
			if err != nil {
				t.Fatal(err)
			}
			head, err := repo.Head()
			if err != nil || head.Name().Short() != Branch || head.Hash().String() != a {
				t.Fatalf("HEAD = %v, %v; want branch %s at %s", head, err, Branch, a)
			}
			st, err := mustWorktree(t, repo).Status()
			if err != nil || !st.IsClean() {
				t.Fatalf("work tree is not clean after Materialize: %v %v", st, err)
			}
			if _, err := Materialize(name, dir); err == nil {
				t.Fatal("Materialize into a non-empty directory succeeded")
			}
		})
	}
	if _, err := Materialize("nope", t.TempDir()); !errors.Is(err, ErrUnknownExample) {
		t.Fatalf("Materialize(nope) error = %v, want ErrUnknownExample", err)
	}
}

func mustWorktree(t *testing.T, repo *git.Repository) *git.Worktree {
	t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	return wt
}

func TestHistoryShape(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			commits, err := History(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(commits) < 4 || len(commits) > 6 {
				t.Errorf("%d commits, want 4 to 6", len(commits))
			}
			fixes := 0
			for _, c := range commits {
				if c.IsFix() {
					fixes++
					if src := sourceFiles(c); len(src) != 1 {
						t.Errorf("fix %q changes source files %v, want exactly one", c.Subject(), src)
					}
				}
			}
			if fixes < 2 {
				t.Errorf("%d fix commits, want at least 2", fixes)
			}
			d1, _ := Digest(name)
			d2, _ := Digest(name)
			if d1 == "" || d1 != d2 {
				t.Errorf("Digest is empty or unstable: %q %q", d1, d2)
			}
		})
	}
}

// isTestFile recognises the examples' test files (Python tests and conftest, Go _test files).
func isTestFile(p string) bool {
	return strings.HasPrefix(p, "tests/") || strings.HasSuffix(p, "_test.go")
}

func isSourceFile(p string) bool {
	return !isTestFile(p) && (strings.HasSuffix(p, ".py") || strings.HasSuffix(p, ".go"))
}

func sourceFiles(c Commit) []string {
	var out []string
	for p := range c.Files {
		if isSourceFile(p) {
			out = append(out, p)
		}
	}
	return out
}

// TestShippedTestsPass materialises each example and runs its whole test suite on the host.
func TestShippedTestsPass(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Materialize(name, dir); err != nil {
				t.Fatal(err)
			}
			passed, failed, out := runTests(t, dir)
			if failed != 0 || passed < 40 {
				t.Fatalf("%d passed, %d failed; want >= 40 passed and none failed\n%s", passed, failed, out)
			}
			t.Logf("%s: %d tests passed", name, passed)
		})
	}
}

// TestRevertingFixesBreaksTests reverts each fix commit's change to its source file at HEAD and checks that the
// shipped tests catch the bug that brings back: the history strategy has material.
func TestRevertingFixesBreaksTests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs each example's tests once per fix commit")
	}
	for _, name := range Names() {
		commits, err := History(name)
		if err != nil {
			t.Fatal(err)
		}
		tree := map[string][]byte{}   // the tree before the commit being replayed
		before := map[string][]byte{} // per fixed file: its content before the fix
		var fixed []string
		for _, c := range commits {
			if c.IsFix() {
				for _, p := range sourceFiles(c) {
					before[p] = tree[p]
					fixed = append(fixed, p)
				}
			}
			for p, data := range c.Files {
				tree[p] = data
			}
			for _, p := range c.Deleted {
				delete(tree, p)
			}
		}
		for _, file := range fixed {
			t.Run(name+"/"+file, func(t *testing.T) {
				dir := t.TempDir()
				if _, err := Materialize(name, dir); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(file)), before[file], 0o644); err != nil {
					t.Fatal(err)
				}
				passed, failed, out := runTests(t, dir)
				if failed == 0 {
					t.Fatalf("reverting the fix to %s left every test passing (%d passed)\n%s", file, passed, out)
				}
				t.Logf("reverting the fix to %s: %d failed, %d passed", file, failed, passed)
			})
		}
	}
}

// runTests runs the suite in dir with the host's toolchain and counts results; it skips when the toolchain
// is missing.
func runTests(t *testing.T, dir string) (passed, failed int, output string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
		return runGoTests(t, dir)
	}
	return runPytest(t, dir)
}

func runGoTests(t *testing.T, dir string) (passed, failed int, output string) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not installed: skipping the Go example's tests")
	}
	cmd := exec.Command(goBin, "test", "-count=1", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run() // failing tests exit non-zero; the events say what happened
	var text strings.Builder
	for _, line := range bytes.Split(stdout.Bytes(), []byte("\n")) {
		var ev struct{ Action, Test, Output string }
		if json.Unmarshal(line, &ev) != nil {
			continue
		}
		text.WriteString(ev.Output)
		if ev.Test == "" {
			continue
		}
		switch ev.Action {
		case "pass":
			passed++
		case "fail":
			failed++
		}
	}
	if passed+failed == 0 {
		failed = 1 // a build failure counts as failing
	}
	return passed, failed, text.String() + stderr.String()
}

var pytestCount = regexp.MustCompile(`(\d+) (passed|failed|error|errors)\b`)

func runPytest(t *testing.T, dir string) (passed, failed int, output string) {
	py := ""
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import pytest").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with pytest importable (apt-get install python3-pytest): skipping the Python example's tests")
	}
	cmd := exec.Command(py, "-m", "pytest", "-q", "-p", "no:cacheprovider")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, _ := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	summary := lines[len(lines)-1]
	for _, m := range pytestCount.FindAllStringSubmatch(summary, -1) {
		n, _ := strconv.Atoi(m[1])
		if m[2] == "passed" {
			passed += n
		} else {
			failed += n
		}
	}
	if passed+failed == 0 {
		failed = 1 // a collection failure counts as failing
	}
	return passed, failed, string(out)
}
