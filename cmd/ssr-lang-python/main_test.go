package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata from the current code")

// pytestPython finds a python3 with pytest: $SSR_PYTHON, then python3 on PATH, then Debian's /usr/bin/python3.
// Tests that need one skip without it (install it with: apt-get install -y python3-pytest).
func pytestPython(t testing.TB) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("SSR_PYTHON"); p != "" {
		candidates = append(candidates, p)
	}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")
	for _, p := range candidates {
		if out, err := exec.Command(p, "-m", "pytest", "--version").CombinedOutput(); err == nil && strings.Contains(string(out), "pytest") {
			return p
		}
	}
	t.Skip("no python3 with pytest found (apt-get install -y python3-pytest, or set SSR_PYTHON)")
	return ""
}

// pathWithPython returns a PATH in which "python3" is the given interpreter, as it is in a sandbox.
func pathWithPython(t testing.TB, python string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(python, filepath.Join(dir, "python3")); err != nil {
		t.Fatal(err)
	}
	return dir + string(os.PathListSeparator) + os.Getenv("PATH")
}
