package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

var fixtureDir = filepath.Join("testdata", "fixture")

// TestConformance runs the plugin harness against the implementation directly, over in-process gRPC, and as
// the built program through the real host.
func TestConformance(t *testing.T) {
	fx, err := plugintest.LoadFixture(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("direct", func(t *testing.T) { plugintest.Run(t, &python{}, fx) })
	t.Run("grpc", func(t *testing.T) { plugintest.Run(t, plugintest.InProcess(t, &python{}), fx) })
	t.Run("binary", func(t *testing.T) { plugintest.RunBinary(t, pluginBinary(t), fx) })
}

// pluginBinary is ssr-lang-python on PATH (make test puts bin/ there) or, failing that, one built now.
func pluginBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("ssr-lang-python"); err == nil {
		return p
	}
	out := filepath.Join(t.TempDir(), "ssr-lang-python")
	if b, err := exec.Command("go", "build", "-o", out, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the plugin: %v\n%s", err, b)
	}
	return out
}

// runFixture runs TestCommand's script in a copy of a repository the way a sandbox would (PYTHONPATH from
// Recipe, python3 being a pytest-equipped interpreter) and returns the parsed results by id.
func runFixture(t *testing.T, interp, root string, files ...string) (map[string]string, []byte) {
	t.Helper()
	lang := &python{}
	list := repoFiles(t, root)
	rec, err := lang.Recipe(ctx, &plugin.RecipeRequest{Root: root, Files: list})
	if err != nil {
		t.Fatal(err)
	}
	cmdResp, err := lang.TestCommand(ctx, &plugin.TestCommandRequest{TestFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", cmdResp.Script)
	cmd.Dir = root
	env := append(os.Environ(), "PATH="+pathWithPython(t, interp))
	for k, v := range rec.Env {
		env = append(env, k+"="+strings.ReplaceAll(v, "/repo", root))
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test script: %v\n%s", err, out)
	}
	out = []byte(strings.ReplaceAll(string(out), root, "/repo"))
	parsed, err := lang.ParseTestOutput(ctx, &plugin.ParseTestOutputRequest{Parser: cmdResp.Parser, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range parsed.Tests {
		got[r.ID] = r.Status
	}
	return got, out
}

func repoFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	for _, f := range repoFiles(t, from) {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, f), b)
	}
}

// TestEndToEnd plays one round on the fixture with a real pytest: the original passes; a mutation in the
// source makes some tests fail (recorded as the fixture's bug output with -record); removing the failing
// tests from the test file makes the run green again while the other tests still run.
func TestEndToEnd(t *testing.T) {
	interp := pytestPython(t)
	root := filepath.Join(t.TempDir(), "repo")
	copyTree(t, filepath.Join(fixtureDir, "repo"), root)

	orig, out := runFixture(t, interp, root)
	if *record {
		writeFile(t, filepath.Join(fixtureDir, "outputs", "original.out"), out)
	}
	if len(orig) != 8 {
		t.Fatalf("original run: %d tests, want 8: %v\n%s", len(orig), orig, out)
	}
	for id, st := range orig {
		if st != plugin.StatusPassed {
			t.Errorf("original run: %s %s", id, st)
		}
	}

	// Inject: flip "b == 0" in divide.
	opsPath := filepath.Join(root, "src", "calc", "ops.py")
	src, err := os.ReadFile(opsPath)
	if err != nil {
		t.Fatal(err)
	}
	var mutated []byte
	for _, s := range sites(t, "src/calc/ops.py", src, plugin.OpComparisonFlip) {
		if s.Function == "divide" {
			resp := apply(t, "src/calc/ops.py", src, s, plugin.OpComparisonFlip)
			mutated = resp.Source
			break
		}
	}
	if mutated == nil {
		t.Fatal("no comparison in divide")
	}
	writeFile(t, opsPath, mutated)
	buggy, out := runFixture(t, interp, root)
	if *record {
		writeFile(t, filepath.Join(fixtureDir, "outputs", "bug.out"), out)
	}
	var f2p []string
	for id, st := range orig {
		if st == plugin.StatusPassed && buggy[id] != plugin.StatusPassed {
			f2p = append(f2p, id)
		}
	}
	sort.Strings(f2p)
	// divide(1, 0) still raises (1 / 0), so test_divide_by_zero keeps passing.
	want := []string{"tests/test_ops.py::test_divide[1-4-0.25]", "tests/test_ops.py::test_divide[6-3-2]"}
	if strings.Join(f2p, ",") != strings.Join(want, ",") {
		t.Fatalf("fail-to-pass %v, want %v\n%s", f2p, want, out)
	}

	// Weaken: remove the failing tests from the test file; only the oracle file runs.
	testPath := filepath.Join(root, "tests", "test_ops.py")
	tsrc, err := os.ReadFile(testPath)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: "tests/test_ops.py", Source: tsrc, Tests: f2p})
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Removed) != 2 || len(rm.NotFound) != 0 {
		t.Fatalf("removed %v, not found %v", rm.Removed, rm.NotFound)
	}
	writeFile(t, testPath, rm.Source)
	weak, out := runFixture(t, interp, root, "tests/test_ops.py", "tests/conftest.py")
	if len(weak) != 6 {
		t.Errorf("weakened run: %d tests, want the 6 that were not removed: %v\n%s", len(weak), weak, out)
	}
	for id, st := range weak {
		if st != plugin.StatusPassed {
			t.Errorf("weakened run: %s %s", id, st)
		}
	}
}
