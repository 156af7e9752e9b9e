package plugin_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// testPlugins builds the test plugin programs in testdata once per test binary and returns their directory.
func testPlugins(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ssr-plugin-test-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", binDir+string(filepath.Separator),
			"./testdata/ssr-lang-good", "./testdata/ssr-lang-crashy", "./testdata/ssr-lang-sleepy", "./testdata/ssr-lang-spawner")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build the test plugins: %v", buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(reapHostEnv); dir != "" {
		os.Exit(reapHost(dir))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// onlyIn makes a directory holding links to the named test plugins.
func onlyIn(t *testing.T, names ...string) string {
	t.Helper()
	bin, dir := testPlugins(t), t.TempDir()
	for _, n := range names {
		if err := os.Symlink(filepath.Join(bin, plugin.ProgramName(n)), filepath.Join(dir, plugin.ProgramName(n))); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func pidOf(t *testing.T, c *plugin.Client) int {
	t.Helper()
	d, err := c.Describe(t.Context(), &plugin.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	pid, err := strconv.Atoi(d.Version)
	if err != nil {
		t.Fatalf("version %q is not the pid", d.Version)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestHostCrashMidCall(t *testing.T) {
	h := plugin.NewHost(plugin.WithDirs(onlyIn(t, "crashy", "good")), plugin.WithCallTimeout(10*time.Second))
	defer h.Close()
	crashy, err := h.Open(t.Context(), "crashy")
	if err != nil {
		t.Fatal(err)
	}
	good, err := h.Open(t.Context(), "ssr-lang-good")
	if err != nil {
		t.Fatal(err)
	}
	first := pidOf(t, crashy)

	_, err = crashy.ParseTestOutput(t.Context(), &plugin.ParseTestOutputRequest{Output: []byte("x passed")})
	if !errors.Is(err, plugin.ErrCrashed) {
		t.Fatalf("err = %v, want ErrCrashed", err)
	}
	for _, want := range []string{"plugin ssr-lang-crashy crashed during ParseTestOutput", "exit status 3", "its stderr tail: crashy: giving up on this output"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var pe *plugin.Error
	if !errors.As(err, &pe) || pe.Plugin != "ssr-lang-crashy" || pe.Op != "ParseTestOutput" {
		t.Errorf("error %#v does not name the plugin and call", pe)
	}

	// the other plugin is unaffected, and the crashed one is restarted on its next call
	if r, err := good.ParseTestOutput(t.Context(), &plugin.ParseTestOutputRequest{Output: []byte("a passed")}); err != nil || len(r.Tests) != 1 {
		t.Errorf("good plugin after the crash: %v, %v", r, err)
	}
	if second := pidOf(t, crashy); second == first || alive(first) {
		t.Errorf("crashed plugin not restarted as a new process: pid %d then %d (first alive: %v)", first, second, alive(first))
	}
}

func TestHostPanicIsAnError(t *testing.T) {
	h := plugin.NewHost(plugin.WithDirs(onlyIn(t, "crashy")))
	defer h.Close()
	c, err := h.Open(t.Context(), "crashy")
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, c)
	_, err = c.MutationSites(t.Context(), &plugin.MutationSitesRequest{Path: "x"})
	if err == nil || errors.Is(err, plugin.ErrCrashed) || !strings.Contains(err.Error(), "panic in MutationSites: assignment to entry in nil map") {
		t.Fatalf("err = %v, want a recovered panic reported as the call's error", err)
	}
	if !strings.HasPrefix(err.Error(), "plugin ssr-lang-crashy: MutationSites failed: ") {
		t.Errorf("err = %q does not name the plugin first", err)
	}
	if again := pidOf(t, c); again != pid {
		t.Errorf("the plugin process changed (%d → %d): a recovered panic should not kill it", pid, again)
	}
}

func TestHostTimeout(t *testing.T) {
	h := plugin.NewHost(plugin.WithDirs(onlyIn(t, "sleepy", "good")), plugin.WithCallTimeout(300*time.Millisecond))
	defer h.Close()
	c, err := h.Open(t.Context(), "sleepy")
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, c)
	start := time.Now()
	_, err = c.Detect(t.Context(), &plugin.DetectRequest{Root: "/r"})
	took := time.Since(start)
	if !errors.Is(err, plugin.ErrTimeout) || !strings.Contains(err.Error(), "plugin ssr-lang-sleepy did not answer Detect within 300ms") {
		t.Fatalf("err = %v, want a timeout naming the plugin", err)
	}
	if took > 3*time.Second {
		t.Errorf("the timeout took %v to report", took)
	}
	if alive(pid) {
		t.Errorf("the hung plugin process %d is still running", pid)
	}
	if again := pidOf(t, c); again == pid {
		t.Errorf("no new process after the timeout")
	}
	// Detect over all plugins skips the hung one and picks the good one.
	res, err := h.Detect(t.Context(), &plugin.DetectRequest{Files: []string{"good.marker"}}, plugin.DefaultMinConfidence)
	if err != nil || res.Best.Client.Name() != "good" {
		t.Fatalf("Detect = %+v, %v; want good", res, err)
	}
}

func TestHostGivesUpAfterRestarts(t *testing.T) {
	h := plugin.NewHost(plugin.WithDirs(onlyIn(t, "crashy")), plugin.WithMaxRestarts(1))
	defer h.Close()
	c, err := h.Open(t.Context(), "crashy")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := c.ParseTestOutput(t.Context(), &plugin.ParseTestOutputRequest{}); !errors.Is(err, plugin.ErrCrashed) {
			t.Fatalf("crash %d: %v", i+1, err)
		}
	}
	if _, err := c.Describe(t.Context(), &plugin.DescribeRequest{}); !errors.Is(err, plugin.ErrGaveUp) {
		t.Fatalf("after two crashes with one restart allowed: %v, want ErrGaveUp", err)
	}
}

func TestHostDetect(t *testing.T) {
	h := plugin.NewHost(plugin.WithDirs(onlyIn(t, "crashy", "good")))
	defer h.Close()
	tests := map[string]struct {
		files []string
		best  string
	}{
		"one claims it":          {files: []string{"good.marker"}, best: "good"},
		"tie broken by name":     {files: []string{"any.marker"}, best: "crashy"},
		"nobody confident":       {files: []string{"README"}, best: ""},
		"other plugin claims it": {files: []string{"crashy.marker"}, best: "crashy"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := h.Detect(t.Context(), &plugin.DetectRequest{Root: "/repo", Files: tc.files}, 0.5)
			if tc.best == "" {
				if !errors.Is(err, plugin.ErrNoMatch) || !strings.Contains(err.Error(), "good 0.10 (no marker in /repo)") {
					t.Fatalf("err = %v, want ErrNoMatch listing what each plugin said", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Best.Client.Name() != tc.best || len(res.Candidates) != 2 {
				t.Errorf("best %s of %d, want %s of 2", res.Best.Client.Name(), len(res.Candidates), tc.best)
			}
		})
	}
}

func TestHostCloseStopsPlugins(t *testing.T) {
	h := plugin.NewHost(plugin.WithDirs(onlyIn(t, "good", "crashy")))
	clients, err := h.All(t.Context())
	if err != nil || len(clients) != 2 {
		t.Fatalf("All = %d clients, %v", len(clients), err)
	}
	var pids []int
	for _, c := range clients {
		pids = append(pids, pidOf(t, c))
	}
	h.Close()
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("plugin process %d still running after Close", pid)
		}
	}
	if _, err := clients[0].Describe(t.Context(), &plugin.DescribeRequest{}); !errors.Is(err, plugin.ErrClosed) {
		t.Errorf("call after Close: %v, want ErrClosed", err)
	}
	if _, err := h.Open(t.Context(), "good"); !errors.Is(err, plugin.ErrClosed) {
		t.Errorf("Open after Close: %v, want ErrClosed", err)
	}
}

func TestHostNotFoundAndBadStart(t *testing.T) {
	dir := t.TempDir()
	notPlugin := filepath.Join(dir, "ssr-lang-liar")
	if err := os.WriteFile(notPlugin, []byte("#!/bin/sh\necho not a plugin >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := plugin.NewHost(plugin.WithDirs(dir), plugin.WithStartTimeout(5*time.Second))
	defer h.Close()
	_, err := h.Open(t.Context(), "nope")
	if !errors.Is(err, plugin.ErrNotFound) || !strings.Contains(err.Error(), "ssr-lang-nope") || !strings.Contains(err.Error(), "SSR_PLUGIN_DIR") {
		t.Errorf("err = %v, want ErrNotFound naming the program and where to put it", err)
	}
	_, err = h.Open(t.Context(), "liar")
	if !errors.Is(err, plugin.ErrStart) || !strings.Contains(err.Error(), "not a plugin") {
		t.Errorf("err = %v, want ErrStart with the program's stderr", err)
	}
}
