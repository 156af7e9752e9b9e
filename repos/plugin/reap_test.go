package plugin_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/internal/proc"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// reapHostEnv makes the test binary a plugin host: it opens the spawner plugin in the directory it names,
// prints the pids that Describe reports, and waits to be killed.
const reapHostEnv = "SSR_PLUGIN_TEST_REAP_HOST"

func reapHost(dir string) int {
	h := plugin.NewHost(plugin.WithDirs(dir))
	c, err := h.Open(context.Background(), "spawner")
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	d, err := c.Describe(context.Background(), &plugin.DescribeRequest{})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Println("PIDS", d.Version)
	time.Sleep(10 * time.Minute)
	return 0
}

// spawned parses the spawner's version: the plugin's pid, then its three children's.
func spawned(t *testing.T, version string) (pluginPID int, children []int) {
	t.Helper()
	f := strings.Fields(version)
	if len(f) != 4 {
		t.Fatalf("spawner version %q: want the plugin's pid and three children's", version)
	}
	var pids []int
	for _, s := range f {
		pid, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("spawner version %q: %v", version, err)
		}
		pids = append(pids, pid)
	}
	return pids[0], pids[1:]
}

// running is whether pid runs (and is not a zombie).
func running(pid int) bool {
	st, err := proc.Read(pid)
	return err == nil && !st.Exited()
}

// waitGone waits up to d for every pid to stop running and returns those still running.
func waitGone(pids []int, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		var left []int
		for _, p := range pids {
			if running(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReapLeftoversOfAKilledHost (issue 11): a host killed with SIGKILL takes its plugin with it, but the
// processes the plugin started live on; the next start's Reap kills them (in the plugin's group, in a
// session of their own, or with an empty environment), and leaves alone those of a host that still runs.
func TestReapLeftoversOfAKilledHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Reap needs Linux's /proc")
	}
	dir := onlyIn(t, "spawner")
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), reapHostEnv+"="+dir)
	logf, err := os.Create(filepath.Join(t.TempDir(), "host.log"))
	if err != nil {
		t.Fatal(err)
	}
	host.Stderr = logf
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		s.Scan()
		lines <- s.Text()
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		host.Process.Kill()
		host.Wait()
		t.Fatal("the host printed no pids in 30s")
	}
	version, ok := strings.CutPrefix(line, "PIDS ")
	if !ok {
		host.Process.Kill()
		host.Wait()
		t.Fatalf("host: %q", line)
	}
	pluginPID, children := spawned(t, version)
	t.Cleanup(func() { // whatever the outcome, nothing of the test outlives it
		for _, p := range append([]int{pluginPID}, children...) {
			if running(p) {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})

	if err := host.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	host.Wait()
	if left := waitGone([]int{pluginPID}, 5*time.Second); len(left) > 0 {
		t.Fatalf("the plugin %d outlived its host killed with SIGKILL", pluginPID)
	}
	time.Sleep(200 * time.Millisecond)
	for _, c := range children {
		if !running(c) {
			t.Fatalf("the plugin's child %d died with the host: the test shows nothing (children %v)", c, children)
		}
	}

	// A host that runs: this test process, with a spawner of its own.
	live := plugin.NewHost(plugin.WithDirs(dir))
	defer live.Close()
	c, err := live.Open(t.Context(), "spawner")
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Describe(t.Context(), &plugin.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	livePlugin, liveChildren := spawned(t, d.Version)
	t.Cleanup(func() {
		for _, p := range liveChildren {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})

	start := time.Now()
	n, err := plugin.Reap()
	if err != nil {
		t.Fatalf("Reap: %v", err)
	}
	t.Logf("Reap killed %d process(es) in %s", n, time.Since(start).Round(time.Millisecond))
	if left := waitGone(children, 5*time.Second); len(left) > 0 {
		t.Errorf("after Reap, the dead host's plugin's children %v still run (all: %v)", left, children)
	}
	if n < len(children)-1 { // the one without an environment goes with its group, uncounted
		t.Errorf("Reap counted %d leftovers, want at least %d", n, len(children)-1)
	}
	for _, p := range append([]int{livePlugin}, liveChildren...) {
		if !running(p) {
			t.Errorf("Reap killed %d, a process of a plugin whose host still runs", p)
		}
	}
}
