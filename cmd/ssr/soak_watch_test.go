package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// soakWatch is the soak's watchdog: each blocking step of the harness says what it waits for and how long
// that may take. A step that overruns is a stall: the watchdog writes the harness's goroutines to a file in
// the soak's directory and sends SIGQUIT to the ssr process in flight, whose Go runtime then prints its own
// goroutines into ssr.log and exits. So a stall is diagnosed (which side hung, and where) and the soak goes on.
type soakWatch struct {
	dir    string
	mu     sync.Mutex
	phase  string
	by     time.Time
	pid    int // the ssr process in flight, 0 for none
	fired  bool
	stalls []string
	stop   chan struct{}
}

func newSoakWatch(dir string) *soakWatch {
	w := &soakWatch{dir: dir, stop: make(chan struct{})}
	go w.loop()
	return w
}

// expect records that the harness now waits for phase, which must be over within d; pid is the ssr process
// that the phase waits on (0 for none).
func (w *soakWatch) expect(phase string, d time.Duration, pid int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.phase, w.by, w.pid, w.fired = phase, time.Now().Add(d), pid, false
}

func (w *soakWatch) close() []string {
	close(w.stop)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalls
}

func (w *soakWatch) loop() {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-tick.C:
			w.mu.Lock()
			if !w.fired && !w.by.IsZero() && now.After(w.by) {
				w.fired = true
				w.stalls = append(w.stalls, w.dump(now))
			}
			w.mu.Unlock()
		}
	}
}

// dump records a stall; w.mu is held.
func (w *soakWatch) dump(now time.Time) string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	path := filepath.Join(w.dir, fmt.Sprintf("stall-%s.txt", now.UTC().Format("150405")))
	var b strings.Builder
	fmt.Fprintf(&b, "stall at %s: %q overran its limit (%s)\nssr pid %d; processes:\n%s\nharness goroutines:\n%s",
		now.UTC().Format(time.RFC3339), w.phase, w.by.UTC().Format(time.RFC3339), w.pid, processTable(), buf)
	os.WriteFile(path, []byte(b.String()), 0o644)
	what := fmt.Sprintf("%s: %q overran; harness stacks in %s", now.UTC().Format("15:04:05"), w.phase, path)
	if w.pid > 0 && syscall.Kill(w.pid, syscall.SIGQUIT) == nil {
		what += fmt.Sprintf("; SIGQUIT sent to ssr %d (its stacks are in ssr.log)", w.pid)
	}
	return what
}

// processTable is "pid ppid state cmdline" for every process, from /proc.
func processTable() string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var b strings.Builder
	for _, f := range stats {
		stat, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) {
			continue
		}
		fields := strings.Fields(s[i+2:])
		if len(fields) < 2 {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
		fmt.Fprintf(&b, "%s %s %s %.200s\n", filepath.Base(filepath.Dir(f)), fields[1], fields[0], strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return b.String()
}

// pipeHolders lists the processes other than this one that hold the pipe f is an end of.
func pipeHolders(f *os.File) []string {
	self, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil || !strings.HasPrefix(self, "pipe:") {
		return nil
	}
	me := fmt.Sprint(os.Getpid())
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	var out []string
	seen := map[string]bool{}
	for _, fd := range fds {
		pid := strings.Split(fd, "/")[2]
		if pid == me || seen[pid] {
			continue
		}
		if l, err := os.Readlink(fd); err == nil && l == self {
			seen[pid] = true
			cmdline, _ := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
			out = append(out, fmt.Sprintf("%s %.120s", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
		}
	}
	return out
}
