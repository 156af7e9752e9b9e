package arena

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/examples"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// The Docker tests share one fixture per test binary: the first-party plugins built from this tree, and the
// built-in examples prepared as repo images (reused from the engine's cache when their inputs match).
var (
	fixOnce    sync.Once
	fixErr     error
	fixRepos   map[string]*Repo
	fixHost    *plugin.Host
	fixTempDir string
)

type fixture struct {
	t        testing.TB
	cli      *client.Client
	provider *docker.Provider
	repos    map[string]*Repo
	job      string
}

func TestMain(m *testing.M) {
	if os.Getenv(crashHelperEnv) != "" {
		os.Exit(crashHelper())
	}
	code := m.Run()
	if fixHost != nil {
		fixHost.Close()
	}
	if recordedClean != nil {
		recordedClean()
	}
	if fixTempDir != "" {
		os.RemoveAll(fixTempDir)
	}
	os.Exit(code)
}

// buildPlugins builds the first-party plugin programs into dir.
func buildPlugins(dir string) error {
	for _, p := range []string{"ssr-lang-python", "ssr-lang-go"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, p), "../cmd/"+p)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", p, err, out)
		}
	}
	return nil
}

// withExamples gives a test the prepared examples, a sandbox provider and a job label whose containers are
// checked to be gone when the test ends.
func withExamples(t testing.TB) fixture {
	t.Helper()
	cli := dockertest.Client(t)
	dockertest.BaseImage(t)
	owner, err := docker.Self()
	if err != nil {
		t.Fatal(err)
	}
	provider, err := docker.New(cli, docker.WithBudget(docker.NewBudget(4)), docker.WithOwner(owner))
	if err != nil {
		t.Fatal(err)
	}
	fixOnce.Do(func() {
		fixTempDir, fixErr = os.MkdirTemp("", "ssr-arena-test-")
		if fixErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		fixRepos, fixHost, fixErr = prepareExamples(ctx, cli, provider, fixTempDir)
	})
	if fixErr != nil {
		t.Fatalf("arena test fixture: %v", fixErr)
	}
	return fixture{t: t, cli: cli, provider: provider, repos: fixRepos, job: dockertest.Job(t)}
}

// prepareExamples builds the plugins into dir and prepares every built-in example.
func prepareExamples(ctx context.Context, cli repos.Engine, provider *docker.Provider, dir string) (map[string]*Repo, *plugin.Host, error) {
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, nil, err
	}
	if err := buildPlugins(bin); err != nil {
		return nil, nil, err
	}
	host := plugin.NewHost(plugin.WithDirs(bin))
	b := repos.NewBuilder(cli, provider, repos.HostLanguages{Host: host}, repos.WithCacheDir(filepath.Join(dir, "cache")))
	var list []repos.Repo
	for _, name := range examples.Names() {
		list = append(list, repos.Repo{Name: name, Source: repos.Source{Example: name}})
	}
	prepared, err := Prepare(ctx, b, list)
	if err != nil {
		host.Close()
		return nil, nil, err
	}
	out := map[string]*Repo{}
	for _, r := range prepared {
		out[r.Name] = r
	}
	return out, host, nil
}

// arena returns an Arena for the test's job; its sandboxes are closed in the background, so the test waits
// for them before its leftover-container check.
func (f fixture) arena(cfg Config) *Arena {
	a := New(f.provider, f.job, cfg, nil)
	f.t.Cleanup(a.Wait)
	return a
}

// edit returns a diff that replaces old by new in one file of the repository (old must occur once).
func edit(t *testing.T, repo *Repo, file, old, new string) string {
	t.Helper()
	return edits(t, repo, map[string][2]string{file: {old, new}})
}

// edits is edit over several files.
func edits(t *testing.T, repo *Repo, changes map[string][2]string) string {
	t.Helper()
	paths := make([]string, 0, len(changes))
	for p := range changes {
		paths = append(paths, p)
	}
	before, err := artifact.ReadTree(repo.Dir, paths)
	if err != nil {
		t.Fatal(err)
	}
	after := map[string][]byte{}
	for p, c := range changes {
		src := string(before[p])
		if strings.Count(src, c[0]) != 1 {
			t.Fatalf("%s: %q occurs %d times, want once", p, c[0], strings.Count(src, c[0]))
		}
		after[p] = []byte(strings.Replace(src, c[0], c[1], 1))
	}
	d, err := patches.DiffMaps(before, after)
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// testScript asks the repository's plugin for the command that runs the given test files.
func testScript(t *testing.T, repo *Repo, files ...string) (string, artifact.Parser) {
	t.Helper()
	resp, err := repo.Lang.TestCommand(context.Background(), &plugin.TestCommandRequest{TestFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Script, artifact.Parser{Builtin: resp.Parser}
}

// weaken removes tests from one test file through the repository's plugin and returns the diff.
func weaken(t *testing.T, repo *Repo, file string, ids ...string) string {
	t.Helper()
	src, err := artifact.ReadTree(repo.Dir, []string{file})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := repo.Lang.RemoveTests(context.Background(), &plugin.RemoveTestsRequest{Path: file, Source: src[file], Tests: ids})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Removed) != len(ids) {
		t.Fatalf("RemoveTests(%s, %v) removed %v (not found %v)", file, ids, resp.Removed, resp.NotFound)
	}
	d, err := patches.Diff(file, src[file], resp.Source)
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// conf is the defaults table with the changes set makes: a test's arena settings.
func conf(set func(c *Config)) Config {
	c := DefaultConfig()
	set(&c)
	return c
}

func ptr[T any](v T) *T { return &v }
