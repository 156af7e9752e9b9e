package repos

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// probeTests are tests whose outcome says who runs them and where they may write.
const probeTests = `import os, pathlib

def test_uid_is_root():
    assert os.getuid() == 0

def test_uid_is_not_root():
    assert os.getuid() != 0

def test_write_etc():
    pathlib.Path("/etc/ssr-probe").write_text("x")

def test_write_usr():
    pathlib.Path("/usr/lib/ssr-probe").write_text("x")

def test_write_tree():
    pathlib.Path("probe.txt").write_text("x")
    pathlib.Path("pkg/probe.txt").write_text("x")

def test_write_home():
    (pathlib.Path.home() / "probe.txt").write_text("x")

def test_write_tmp():
    pathlib.Path("/tmp/probe.txt").write_text("x")
    pathlib.Path("/var/tmp/probe.txt").write_text("x")
`

// TestSandboxUser (issue 11): tests in a repo image run as the unprivileged sandbox user by default, who can
// write the tree, its home and the scratch directories but not the system (/etc, /usr); with run_as_root
// they run as root. The image's inputs hold the setting, so switching it builds another image.
func TestSandboxUser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images on the Docker Engine")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"tests/test_probe.py": probeTests,
		"pkg/__init__.py":     "",
		"pyproject.toml":      "[project]\nname = \"probe\"\nversion = \"0.1.0\"\n",
	} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, cli := testBuilder(t)
	name := uniqueName(t, cli, "test-user")
	want := map[bool]map[string]string{
		false: {"uid_is_root": "failed", "uid_is_not_root": "passed", "write_etc": "failed", "write_usr": "failed",
			"write_tree": "passed", "write_home": "passed", "write_tmp": "passed"},
		// Root without capabilities still writes what it owns, /etc included.
		true: {"uid_is_root": "passed", "uid_is_not_root": "failed", "write_etc": "passed", "write_usr": "passed",
			"write_tree": "passed", "write_home": "passed", "write_tmp": "passed"},
	}
	inputs := map[bool]string{}
	for _, root := range []bool{false, true} {
		repo := Repo{Name: name, Source: Source{Path: dir}, Language: "python", RunAsRoot: root}
		img, err := b.Build(context.Background(), repo)
		if err != nil {
			t.Fatal(err)
		}
		inputs[root] = img.Inputs
		if wantUser := map[bool]string{false: "1000:1000", true: "0:0"}[root]; img.User != wantUser {
			t.Errorf("run_as_root %v: image user %q, want %q", root, img.User, wantUser)
		}
		if insp, err := cli.ImageInspect(context.Background(), img.ID); err != nil || insp.Config.User != img.User {
			t.Errorf("run_as_root %v: the image's USER is not %q (so ssr shell would run as another user): %v", root, img.User, err)
		}
		bl, err := b.Baseline(context.Background(), repo, img)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, tb := range bl.Tests {
			got[filepath.Base(tb.ID)] = tb.Status
		}
		for test, status := range want[root] {
			id := "test_probe.py::test_" + test
			if got[id] != status {
				t.Errorf("run_as_root %v: %s %s, want %s\n%s", root, id, got[id], status, bl.Runs[0].Output)
			}
		}
	}
	if inputs[false] == inputs[true] {
		t.Errorf("run_as_root does not change the image's inputs (%s)", inputs[false])
	}
}
