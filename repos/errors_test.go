package repos

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// writeTree writes files (slash-separated relative paths) under a new temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestNoLanguageDetected: a repository no plugin recognises gives one line with what each plugin said and
// what to do.
func TestNoLanguageDetected(t *testing.T) {
	host := plugin.NewHost(plugin.WithDirs(firstPartyPlugins(t)))
	t.Cleanup(func() { host.Close() })
	b := NewBuilder(nil, nil, HostLanguages{Host: host}, WithCacheDir(t.TempDir()))
	dir := writeTree(t, map[string]string{"README.md": "# notes\n", "data.csv": "a,b\n"})
	_, _, err := b.Language(context.Background(), Repo{Name: "notes", Source: Source{Path: dir}})
	if !errors.Is(err, plugin.ErrNoMatch) {
		t.Fatalf("err = %v; want plugin.ErrNoMatch", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !containsAll(msg, "repo notes", dir, "no language detected", "go 0.00", "python 0.00", "language:") {
		t.Fatalf("err = %q; want one line naming the repo, its source, each plugin's answer and the fix", msg)
	}
}

// TestBaselineWithoutPassingTests: a baseline where no test passes, or no test is found, names the command
// that ran and shows its output's tail.
func TestBaselineWithoutPassingTests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images on the Docker Engine")
	}
	b, cli := testBuilder(t)
	ctx := context.Background()
	dir := writeTree(t, map[string]string{
		"pyproject.toml":     "[project]\nname = \"calc\"\nversion = \"0.1\"\n",
		"calc.py":            "def add(a, b):\n    return a + b\n",
		"tests/test_calc.py": "from calc import add\n\ndef test_add():\n    assert add(1, 1) == 3, 'add-is-wrong'\n",
	})
	repo := Repo{Name: uniqueName(t, cli, "test-nopass"), Source: Source{Path: dir}}
	img, err := b.Build(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		testCommand string
		want        error
		words       []string
	}{
		"all fail": {"", ErrNoPassingTests, []string{"no test passed (1 failed)", "python plugin's test script", "add-is-wrong"}},
		"no tests": {"echo nothing-to-see", ErrNoTests, []string{"no tests in the output in run 1", `test_command "echo nothing-to-see"`, "nothing-to-see"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := repo
			r.TestCommand = c.testCommand
			_, err := b.Baseline(ctx, r, img)
			var be *BaselineError
			if !errors.As(err, &be) || !errors.Is(err, c.want) {
				t.Fatalf("err = %v; want a *BaselineError wrapping %v", err, c.want)
			}
			head, _, _ := strings.Cut(err.Error(), "\n")
			if !containsAll(err.Error(), c.words...) || !strings.Contains(head, "repo") && !strings.Contains(head, repo.Name) {
				t.Fatalf("err = %q; want %q", err, c.words)
			}
			if data, rerr := os.ReadFile(be.Log); rerr != nil || !strings.Contains(string(data), "# script:") {
				t.Fatalf("log %s: %v", be.Log, rerr)
			}
		})
	}
}
