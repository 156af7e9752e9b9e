package plugin_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// processesRunning lists the pids whose command line holds marker (read from /proc).
func processesRunning(t *testing.T, marker string) []string {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil || len(dirs) == 0 {
		t.Skip("no /proc to look for leftover processes in")
	}
	var pids []string
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte(marker)) {
			continue
		}
		stat, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue // a zombie runs nothing
		}
		pids = append(pids, filepath.Base(filepath.Dir(f)))
	}
	return pids
}

// TestHostPluginWithLingeringChild reproduces issue 11, item 5: a plugin that fails the handshake (or says
// nothing) and exits, leaving a child that holds its stdout, once hung 'ssr plugins test' and 'ssr plugins
// ls' forever inside go-plugin's Client.Kill. Open must fail within its start timeout plus the stop
// bounds, and no process of the plugin's may be left.
func TestHostPluginWithLingeringChild(t *testing.T) {
	for name, handshake := range map[string]string{
		"bad handshake": `echo "this is not a handshake"`,
		"no handshake":  `:`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			prog := filepath.Join(dir, "ssr-lang-lingering")
			// The subshell is a fork of the script: its command line names the script, so /proc finds it.
			script := "#!/bin/sh\n" + handshake + "\n(sleep 1000; echo done) &\nexit 0\n"
			if err := os.WriteFile(prog, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			const startTimeout = 2 * time.Second
			h := plugin.NewHost(plugin.WithDirs(dir), plugin.WithStartTimeout(startTimeout), plugin.WithCallTimeout(startTimeout))
			start := time.Now()
			done := make(chan error, 1)
			go func() {
				_, err := h.Open(t.Context(), "lingering")
				h.Close()
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, plugin.ErrStart) {
					t.Errorf("Open = %v, want ErrStart", err)
				}
			case <-time.After(startTimeout + 15*time.Second):
				t.Fatalf("Open and Close of a plugin with a lingering child still hang after %s", time.Since(start))
			}
			t.Logf("failed in %s", time.Since(start).Round(time.Millisecond))
			deadline := time.Now().Add(3 * time.Second)
			for {
				left := processesRunning(t, prog)
				if len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("processes of the plugin left behind: %s", strings.Join(left, " "))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
