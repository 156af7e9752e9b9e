package sandboxtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// ImageRemover is implemented by providers that can delete an image; the suite uses it to remove the
// images that it commits.
type ImageRemover interface {
	RemoveImage(ctx context.Context, ref string) error
}

// Option configures Run.
type Option func(*suite)

// WithTemplate makes every sandbox of the suite start from spec (its Job, Role, Env, ...); the suite fills
// in the image and the fields each case needs.
func WithTemplate(spec sandbox.Spec) Option { return func(s *suite) { s.template = spec } }

// WithMaxHostRSS sets the host memory bound of the output-cap case (default 300 MiB).
func WithMaxHostRSS(n int64) Option { return func(s *suite) { s.maxRSS = n } }

type suite struct {
	p        sandbox.Provider
	image    string
	template sandbox.Spec
	maxRSS   int64
}

// Run runs the whole conformance suite against p, with sandboxes made from image.
func Run(t *testing.T, p sandbox.Provider, image string, opts ...Option) {
	s := &suite{p: p, image: image, maxRSS: 300 << 20}
	for _, o := range opts {
		o(s)
	}
	cases := []struct {
		name string
		run  func(*testing.T)
	}{
		{"Spec/Invalid", s.testInvalidSpec},
		{"Exec/Basics", s.testExecBasics},
		{"Exec/TimeoutKillsTree", s.testTimeoutKillsTree},
		{"Exec/ContextCancel", s.testContextCancel},
		{"Exec/OutputCap", s.testOutputCap},
		{"Exec/Setup", s.testExecSetup},
		{"Files", s.testFiles},
		{"Files/Links", s.testFileLinks},
		{"Security", s.testSecurity},
		{"Security/UnprivilegedUser", s.testUnprivilegedUser},
		{"Limits/ForkBomb", s.testForkBomb},
		{"Limits/Memory", s.testMemoryHog},
		{"Limits/ScratchSpace", s.testScratchSpace},
		{"Git/DiffReset", s.testDiffReset},
		{"Git/CommitAndBase", s.testCommit},
		{"Git/SameSizeEditAfterCommit", s.testSameSizeEdit},
		{"Concurrency", s.testConcurrency},
		{"Close", s.testClose},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// start starts a sandbox from the template and image, changed by edit, and closes it when t ends.
func (s *suite) start(t *testing.T, edit func(*sandbox.Spec)) sandbox.Sandbox {
	t.Helper()
	spec := s.template
	spec.Image = s.image
	if edit != nil {
		edit(&spec)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := s.p.Start(ctx, spec)
	if err != nil {
		t.Fatalf("Start(%s): %v", spec.Image, err)
	}
	t.Cleanup(func() {
		if err := sb.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sb
}

// sh runs a shell script in sb and fails t on an error (not on a non-zero exit).
func sh(t *testing.T, sb sandbox.Sandbox, script string, edit ...func(*sandbox.ExecRequest)) sandbox.ExecResult {
	t.Helper()
	req := sandbox.ExecRequest{Cmd: []string{"sh", "-c", script}, Timeout: time.Minute}
	for _, e := range edit {
		e(&req)
	}
	res, err := sb.Exec(context.Background(), req)
	if err != nil {
		t.Fatalf("exec %q: %v", script, err)
	}
	return res
}

// mustSh is sh that also requires exit status 0.
func mustSh(t *testing.T, sb sandbox.Sandbox, script string) string {
	t.Helper()
	res := sh(t, sb, script)
	if res.ExitCode != 0 || res.TimedOut {
		t.Fatalf("exec %q: exit %d (timed out %v)\nstdout: %s\nstderr: %s", script, res.ExitCode, res.TimedOut, res.Stdout, res.Stderr)
	}
	return string(res.Stdout)
}

func (s *suite) testInvalidSpec(t *testing.T) {
	ctx := context.Background()
	for name, spec := range map[string]sandbox.Spec{
		"no image":         {},
		"relative workdir": {Image: s.image, Workdir: "repo"},
		"tiny memory":      {Image: s.image, Limits: sandbox.Limits{Memory: 1024}},
		"negative pids":    {Image: s.image, Limits: sandbox.Limits{Pids: -1}},
		"bad env":          {Image: s.image, Env: []string{"NOVALUE"}},
	} {
		sb, err := s.p.Start(ctx, spec)
		if err == nil {
			sb.Close(ctx)
			t.Errorf("%s: Start succeeded, want an error wrapping ErrInvalidSpec", name)
			continue
		}
		if !errors.Is(err, sandbox.ErrInvalidSpec) {
			t.Errorf("%s: error %v does not wrap ErrInvalidSpec", name, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error spans lines: %q", name, err)
		}
	}
}

func (s *suite) testExecBasics(t *testing.T) {
	sb := s.start(t, func(sp *sandbox.Spec) {
		sp.Env = append(sp.Env, "SPEC_VAR=from-spec")
		sp.Workdir = "/work/basics"
	})
	binary := make([]byte, 256*64)
	for i := range binary {
		binary[i] = byte(i)
	}
	cases := []struct {
		name       string
		req        sandbox.ExecRequest
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "exit status", req: sandbox.ExecRequest{Cmd: []string{"sh", "-c", "exit 3"}}, wantCode: 3},
		{name: "stdout and stderr apart", req: sandbox.ExecRequest{Cmd: []string{"sh", "-c", "echo out; echo err >&2"}}, wantStdout: "out\n", wantStderr: "err\n"},
		{name: "argv is not reparsed", req: sandbox.ExecRequest{Cmd: []string{"printf", "%s|", "a b", "$HOME", "'q'"}}, wantStdout: "a b|$HOME|'q'|"},
		{name: "stdin", req: sandbox.ExecRequest{Cmd: []string{"cat"}, Stdin: []byte("hello\nworld")}, wantStdout: "hello\nworld"},
		{name: "binary stdin and stdout", req: sandbox.ExecRequest{Cmd: []string{"cat"}, Stdin: binary}, wantStdout: string(binary)},
		{name: "empty stdin", req: sandbox.ExecRequest{Cmd: []string{"wc", "-c"}, Stdin: []byte{}}, wantStdout: "0\n"},
		{name: "env from spec and request", req: sandbox.ExecRequest{Cmd: []string{"sh", "-c", `echo "$SPEC_VAR $REQ_VAR"`}, Env: []string{"REQ_VAR=from-req"}}, wantStdout: "from-spec from-req\n"},
		{name: "default dir is the workdir", req: sandbox.ExecRequest{Cmd: []string{"pwd"}}, wantStdout: "/work/basics\n"},
		{name: "dir", req: sandbox.ExecRequest{Cmd: []string{"pwd"}, Dir: "/tmp"}, wantStdout: "/tmp\n"},
		{name: "user by name", req: sandbox.ExecRequest{Cmd: []string{"id", "-u"}, User: "nobody"}, wantStdout: "65534\n"},
		{name: "user by id", req: sandbox.ExecRequest{Cmd: []string{"id", "-u"}, User: "4321:4321"}, wantStdout: "4321\n"},
		{name: "missing command", req: sandbox.ExecRequest{Cmd: []string{"no-such-command-ssr"}}, wantCode: 127},
		{name: "killed by signal", req: sandbox.ExecRequest{Cmd: []string{"sh", "-c", "kill -TERM $$"}}, wantCode: 143},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.Timeout = time.Minute
			res, err := sb.Exec(context.Background(), c.req)
			if err != nil {
				t.Fatalf("Exec: %v", err)
			}
			if res.ExitCode != c.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", res.ExitCode, c.wantCode, res.Stderr)
			}
			if c.wantCode == 0 && string(res.Stdout) != c.wantStdout {
				t.Errorf("stdout %q, want %q", short(res.Stdout), short([]byte(c.wantStdout)))
			}
			if c.wantStderr != "" && string(res.Stderr) != c.wantStderr {
				t.Errorf("stderr %q, want %q", res.Stderr, c.wantStderr)
			}
			if res.TimedOut || res.Truncated || res.OOMKilled {
				t.Errorf("flags timed out %v, truncated %v, oom %v: want none", res.TimedOut, res.Truncated, res.OOMKilled)
			}
			if res.Duration <= 0 || res.Duration > time.Minute {
				t.Errorf("duration %v out of range", res.Duration)
			}
		})
	}
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{}); !errors.Is(err, sandbox.ErrInvalidSpec) {
		t.Errorf("Exec without a command: error %v, want ErrInvalidSpec", err)
	}
}

func (s *suite) testExecSetup(t *testing.T) {
	sb := s.start(t, nil)
	ctx := context.Background()
	run := func(t *testing.T, req sandbox.ExecRequest) sandbox.ExecResult {
		t.Helper()
		if req.Timeout == 0 {
			req.Timeout = time.Minute
		}
		res, err := sb.Exec(ctx, req)
		if err != nil {
			t.Fatalf("Exec: %v", err)
		}
		return res
	}
	t.Run("stdin goes to the setup, its output is not the result's", func(t *testing.T) {
		res := run(t, sandbox.ExecRequest{
			Setup: `cat > /tmp/setup-in; echo setup-out; echo setup-err >&2; printf '%s %s' "$(pwd)" "$REQ_VAR" > /tmp/setup-where`,
			Cmd:   []string{"sh", "-c", `cat; cat /tmp/setup-in; echo; cat /tmp/setup-where; echo err >&2`},
			Stdin: []byte("payload"), Env: []string{"REQ_VAR=from-req"}, Dir: "/tmp",
		})
		if want := "payload\n/tmp from-req"; string(res.Stdout) != want || string(res.Stderr) != "err\n" {
			t.Errorf("stdout %q stderr %q, want %q and %q", res.Stdout, res.Stderr, want, "err\n")
		}
		if !res.OK() || res.SetupFailed {
			t.Errorf("exit %d, setup failed %v: want a success", res.ExitCode, res.SetupFailed)
		}
	})
	t.Run("a failed setup runs no command", func(t *testing.T) {
		res := run(t, sandbox.ExecRequest{Setup: "echo broken >&2; exit 7", Cmd: []string{"touch", "/tmp/setup-ran"}})
		if !res.SetupFailed || res.ExitCode != 7 || !strings.Contains(string(res.Stderr), "broken") || res.OK() {
			t.Errorf("setup failed %v, exit %d, stderr %q, ok %v: want true, 7, the setup's message, false", res.SetupFailed, res.ExitCode, res.Stderr, res.OK())
		}
		if got := mustSh(t, sb, "test -e /tmp/setup-ran && echo ran || echo not"); got != "not\n" {
			t.Errorf("the command ran after its setup failed")
		}
	})
	t.Run("duration and timeout count from the setup's end", func(t *testing.T) {
		res := run(t, sandbox.ExecRequest{Setup: "sleep 1", Cmd: []string{"sleep", "1"}, Timeout: 1500 * time.Millisecond})
		if !res.OK() || res.TimedOut {
			t.Errorf("exit %d timed out %v: want a success (the setup and the command each get the limit)", res.ExitCode, res.TimedOut)
		}
		if res.Duration < time.Second || res.Duration >= 1500*time.Millisecond {
			t.Errorf("duration %v, want the command's 1s without the setup's", res.Duration)
		}
		start := time.Now()
		res = run(t, sandbox.ExecRequest{Setup: "true", Cmd: []string{"sleep", "100"}, Timeout: time.Second})
		if !res.TimedOut || res.SetupFailed || time.Since(start) > 5*time.Second {
			t.Errorf("timed out %v, setup failed %v after %v: want the command killed at its 1s limit", res.TimedOut, res.SetupFailed, time.Since(start))
		}
	})
	t.Run("a setup that hangs is killed at the limit", func(t *testing.T) {
		start := time.Now()
		res := run(t, sandbox.ExecRequest{Setup: "sleep 1003", Cmd: []string{"true"}, Timeout: time.Second})
		if !res.TimedOut || !res.SetupFailed {
			t.Errorf("timed out %v, setup failed %v: want both", res.TimedOut, res.SetupFailed)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v, want soon after the 1s limit", d)
		}
		if ps := processes(t, sb); strings.Contains(ps, "sleep 1003") {
			t.Errorf("processes left after the setup's timeout:\n%s", ps)
		}
	})
}

// processes lists the sandbox's processes as "pid cmdline" lines, from /proc (no ps needed).
func processes(t *testing.T, sb sandbox.Sandbox) string {
	t.Helper()
	return mustSh(t, sb, `for d in /proc/[0-9]*; do [ "${d#/proc/}" = "$$" ] && continue; c=$(tr '\0' ' ' < $d/cmdline 2>/dev/null) || continue; echo "${d#/proc/} $c"; done`)
}

func (s *suite) testTimeoutKillsTree(t *testing.T) {
	sb := s.start(t, nil)
	start := time.Now()
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Cmd: []string{"sh", "-c", "sleep 1000 & sleep 1000"}, Timeout: 2 * time.Second})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if !res.TimedOut {
		t.Errorf("TimedOut false, want true (exit %d)", res.ExitCode)
	}
	if res.ExitCode == 0 {
		t.Errorf("exit code 0 after a timeout, want non-zero")
	}
	if elapsed > 3*time.Second {
		t.Errorf("returned after %v, want within 3s of a 2s timeout", elapsed)
	}
	t.Logf("timed out and killed in %v", elapsed)
	if ps := processes(t, sb); strings.Contains(ps, "sleep 1000") {
		t.Errorf("processes left after the timeout:\n%s", ps)
	}
	// A tree that leaves its session (setsid) is killed too.
	res, err = sb.Exec(context.Background(), sandbox.ExecRequest{Cmd: []string{"sh", "-c", "setsid sleep 1001 & sleep 1001"}, Timeout: time.Second})
	if err != nil || !res.TimedOut {
		t.Fatalf("Exec: %v, timed out %v", err, res.TimedOut)
	}
	if ps := processes(t, sb); strings.Contains(ps, "sleep 1001") {
		t.Errorf("processes left after the timeout of a setsid tree:\n%s", ps)
	}
}

func (s *suite) testContextCancel(t *testing.T) {
	sb := s.start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", "sleep 1002 & sleep 1002"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Exec after its ctx ended: error %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("returned %v after start, want soon after the 1s deadline", d)
	}
	if ps := processes(t, sb); strings.Contains(ps, "sleep 1002") {
		t.Errorf("processes left after cancellation:\n%s", ps)
	}
}

func (s *suite) testOutputCap(t *testing.T) {
	sb := s.start(t, nil)
	var peak int64
	stop := make(chan struct{})
	var wg conc.WaitGroup
	wg.Go(func() {
		for {
			peak = max(peak, rss())
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	res := sh(t, sb, "yes | head -c 2G")
	close(stop)
	wg.Wait()
	limit := int64(sandbox.DefaultMaxOutput)
	marker := sandbox.TruncationMarker(limit)
	if !res.Truncated {
		t.Errorf("Truncated false after 2 GiB of output")
	}
	if int64(len(res.Stdout)) != limit+int64(len(marker)) {
		t.Errorf("stdout is %d bytes, want the cap %d + marker %d", len(res.Stdout), limit, len(marker))
	}
	if !bytes.HasSuffix(res.Stdout, []byte(marker)) {
		t.Errorf("stdout ends %q, want the marker %q", res.Stdout[max(0, len(res.Stdout)-60):], marker)
	}
	if !bytes.Equal(res.Stdout[:limit], bytes.Repeat([]byte("y\n"), int(limit/2))) {
		t.Errorf("the kept output is not the command's first %d bytes", limit)
	}
	if !res.Flooded || !bytes.Contains(res.Stderr, []byte("killed for flooding its output")) {
		t.Errorf("flooded %v, stderr ends %q: want the command killed for flooding, and stderr saying so", res.Flooded, res.Stderr[max(0, len(res.Stderr)-120):])
	}
	t.Logf("2 GiB of output: %v, exit %d, host RSS peak %d MiB", res.Duration.Round(time.Millisecond), res.ExitCode, peak>>20)
	if peak > s.maxRSS {
		t.Errorf("host RSS peaked at %d MiB, want under %d MiB", peak>>20, s.maxRSS>>20)
	}

	// A small cap, on stderr, keeps the exit status of a command that printed a little too much.
	res = sh(t, sb, "printf 0123456789abcdef >&2; exit 5", func(r *sandbox.ExecRequest) { r.MaxOutput = 10 })
	if want := "0123456789" + sandbox.TruncationMarker(10); string(res.Stderr) != want {
		t.Errorf("stderr %q, want %q", res.Stderr, want)
	}
	if !res.Truncated || res.ExitCode != 5 || res.Flooded {
		t.Errorf("truncated %v exit %d flooded %v, want true, 5 and false", res.Truncated, res.ExitCode, res.Flooded)
	}
	// Output exactly at the cap is not truncated.
	res = sh(t, sb, "printf 0123456789", func(r *sandbox.ExecRequest) { r.MaxOutput = 10 })
	if res.Truncated || string(res.Stdout) != "0123456789" {
		t.Errorf("output at the cap: truncated %v stdout %q, want false and the whole output", res.Truncated, res.Stdout)
	}
}

// rss is this process's resident set size in bytes, from /proc/self/status.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (s *suite) testFiles(t *testing.T) {
	ctx := context.Background()
	sb := s.start(t, func(sp *sandbox.Spec) { sp.Workdir = "/work/files" })
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	big := make([]byte, 3<<20)
	rand.Read(big)
	files := []sandbox.File{
		{Path: "rel.txt", Data: []byte("relative\n")},
		{Path: "/work/files/deep/er/nested.bin", Data: all},
		{Path: "/opt/abs.txt", Data: []byte("absolute")},
		{Path: "run.sh", Data: []byte("#!/bin/sh\necho ran \"$@\"\n"), Mode: 0o755},
		{Path: "empty", Data: nil},
		{Path: "name with spaces ü.txt", Data: []byte("spaces")},
		{Path: "big.bin", Data: big},
	}
	if err := sb.WriteFiles(ctx, files...); err != nil {
		t.Fatalf("WriteFiles: %v", err)
	}
	for _, f := range files {
		got, err := sb.ReadFile(ctx, f.Path)
		if err != nil {
			t.Errorf("ReadFile(%s): %v", f.Path, err)
			continue
		}
		if !bytes.Equal(got, f.Data) {
			t.Errorf("ReadFile(%s): %d bytes %q, want %d bytes %q", f.Path, len(got), short(got), len(f.Data), short(f.Data))
		}
	}
	if out := mustSh(t, sb, "./run.sh x && cat /work/files/rel.txt && stat -c %a rel.txt run.sh"); out != "ran x\nrelative\n644\n755\n" {
		t.Errorf("files as seen inside: %q", out)
	}
	// Replacing a file, and a file the sandbox wrote.
	if err := sb.WriteFiles(ctx, sandbox.File{Path: "rel.txt", Data: []byte("v2")}); err != nil {
		t.Fatal(err)
	}
	mustSh(t, sb, "printf inside > made.txt")
	for p, want := range map[string]string{"rel.txt": "v2", "/work/files/made.txt": "inside"} {
		if got, err := sb.ReadFile(ctx, p); err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", p, got, err, want)
		}
	}
	if _, err := sb.ReadFile(ctx, "no/such/file"); !errors.Is(err, sandbox.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: error %v, want ErrNotExist", err)
	}
	if _, err := sb.ReadFile(ctx, "/work/files/deep"); err == nil {
		t.Errorf("ReadFile of a directory succeeded, want an error")
	}
	if err := sb.WriteFiles(ctx, sandbox.File{Path: ""}); !errors.Is(err, sandbox.ErrInvalidSpec) {
		t.Errorf("WriteFiles with an empty path: error %v, want ErrInvalidSpec", err)
	}
}

// testFileLinks: links made inside a sandbox never lead file transfer to the host. The sandbox links
// names to a directory of the host (which it cannot see) and to its own root; writing and reading
// through them touches nothing on the host and reads nothing from it.
func (s *suite) testFileLinks(t *testing.T) {
	ctx := context.Background()
	host := t.TempDir()
	if err := os.WriteFile(host+"/secret.txt", []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	sb := s.start(t, func(sp *sandbox.Spec) { sp.Workdir = "/work/links" })
	mustSh(t, sb, "ln -s "+host+" hostdir && ln -s / rootdir && ln -s ../../.. up && ln -s "+host+"/secret.txt secret")
	for _, p := range []string{"hostdir/pwned.txt", "up" + host + "/pwned.txt", "hostdir/new/dir/pwned.txt"} {
		err := sb.WriteFiles(ctx, sandbox.File{Path: p, Data: []byte("pwned")})
		t.Logf("WriteFiles(%s): %v", p, err)
	}
	if entries, _ := os.ReadDir(host); len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("writes through links made in the sandbox reached the host directory %s: %v", host, names)
	}
	for _, p := range []string{"hostdir/secret.txt", "secret", "up" + host + "/secret.txt"} {
		if got, err := sb.ReadFile(ctx, p); err == nil && bytes.Contains(got, []byte("host secret")) {
			t.Errorf("ReadFile(%s) read the host's file", p)
		}
	}
}

// testScratchSpace: the temporary directories are capped, so that a test cannot fill the host's
// disk through them: writing 1 GiB to /tmp or /var/tmp fails (issue 11, item 10).
func (s *suite) testScratchSpace(t *testing.T) {
	sb := s.start(t, nil)
	for _, dir := range []string{"/tmp", "/var/tmp"} {
		res := sh(t, sb, "head -c 1G /dev/zero > "+dir+"/big; rc=$?; du -sm "+dir+"/big | cut -f1; rm -f "+dir+"/big; exit $rc",
			func(r *sandbox.ExecRequest) { r.Timeout = 2 * time.Minute })
		t.Logf("1 GiB to %s: exit %d, %s MiB written, stderr %q", dir, res.ExitCode, strings.TrimSpace(string(res.Stdout)), short(res.Stderr))
		if res.ExitCode == 0 {
			t.Errorf("writing 1 GiB to %s succeeded: the directory has no size limit", dir)
		}
	}
}

func (s *suite) testSecurity(t *testing.T) {
	sb := s.start(t, nil)
	status := mustSh(t, sb, "cat /proc/self/status")
	if !strings.Contains(status, "CapEff:\t0000000000000000") {
		t.Errorf("effective capabilities are not zero:\n%s", grepLines(status, "Cap"))
	}
	if !strings.Contains(status, "NoNewPrivs:\t1") {
		t.Errorf("no-new-privileges is off:\n%s", grepLines(status, "NoNewPrivs"))
	}
	var ifaces []string
	for _, line := range strings.Split(mustSh(t, sb, "cat /proc/net/dev"), "\n")[2:] {
		if name, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			ifaces = append(ifaces, name)
		}
	}
	if len(ifaces) != 1 || ifaces[0] != "lo" {
		t.Errorf("network interfaces %v, want only lo", ifaces)
	}
	routes := strings.Split(strings.TrimSpace(mustSh(t, sb, "cat /proc/net/route")), "\n")
	if len(routes) > 1 {
		t.Errorf("IPv4 routes exist:\n%s", strings.Join(routes, "\n"))
	}
	if v6 := strings.TrimSpace(mustSh(t, sb, "cat /proc/net/ipv6_route 2>/dev/null || true")); v6 != "" {
		for _, line := range strings.Split(v6, "\n") {
			if !strings.HasSuffix(strings.TrimSpace(line), " lo") {
				t.Errorf("IPv6 route off loopback: %s", line)
			}
		}
	}
	// Root without capabilities cannot change ownership or mount.
	if res := sh(t, sb, "touch /tmp/f && chown 1234 /tmp/f"); res.ExitCode == 0 {
		t.Errorf("chown succeeded as root without capabilities")
	}
	if got := mustSh(t, sb, "echo writable > /tmp/w && cat /tmp/w"); got != "writable\n" {
		t.Errorf("/tmp is not writable: %q", got)
	}
}

// testUnprivilegedUser: a sandbox whose user is not root (issue 11: tests and agents run unprivileged)
// runs every command as that user, who cannot write outside the workdir and the scratch space; the files
// WriteFiles puts in the workdir, and the directories made for them, are the user's, so the user can
// change them and add files beside them; files written elsewhere (ssr's test script) are root's: the user
// can run them but not change them; Diff and Reset work as the user. A user given by name is looked up in
// the image.
func (s *suite) testUnprivilegedUser(t *testing.T) {
	ctx := context.Background()
	const workdir = "/work/user"
	sb := s.start(t, func(sp *sandbox.Spec) {
		sp.Workdir, sp.User = workdir, "4321:4321"
		// The workdir stays root's, so the user's own git calls need it named safe (ssr's Diff and Reset
		// need not).
		sp.Env = slices.Concat(sp.Env, []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=safe.directory", "GIT_CONFIG_VALUE_0=*"})
	})
	if got := mustSh(t, sb, "id -u; id -g"); got != "4321\n4321\n" {
		t.Fatalf("id as the sandbox's user: %q, want 4321 twice", got)
	}
	// An image that ssr builds gives its workdir to its user; this one is made at start, as root's, so
	// root (who owns it, and so needs no capability) opens it.
	if res := sh(t, sb, "chmod 0777 "+workdir, func(r *sandbox.ExecRequest) { r.User = "0" }); !res.OK() {
		t.Fatalf("open the workdir as root: exit %d: %s", res.ExitCode, res.Stderr)
	}
	for _, p := range []string{"/etc/ssr-probe", "/usr/bin/ssr-probe", "/opt/ssr-probe", "/ssr-probe"} {
		if res := sh(t, sb, "touch "+p); res.ExitCode == 0 {
			t.Errorf("the unprivileged user created %s", p)
		}
	}
	if err := sb.WriteFiles(ctx,
		sandbox.File{Path: "a.txt", Data: []byte("a\n")},
		sandbox.File{Path: "new/deep/b.txt", Data: []byte("b\n")},
		sandbox.File{Path: "/opt/ssr-conf/run.sh", Data: []byte("#!/bin/sh\necho ran\n"), Mode: 0o755},
		sandbox.File{Path: "/tmp/scratch/c.txt", Data: []byte("c\n")},
	); err != nil {
		t.Fatalf("WriteFiles: %v", err)
	}
	want := "4321:4321 a.txt\n4321:4321 new\n4321:4321 new/deep\n4321:4321 new/deep/b.txt\n0:0 /opt/ssr-conf/run.sh\n4321:4321 /tmp/scratch/c.txt\n"
	if got := mustSh(t, sb, "stat -c '%u:%g %n' a.txt new new/deep new/deep/b.txt /opt/ssr-conf/run.sh /tmp/scratch/c.txt"); got != want {
		t.Errorf("owners of written files:\n%s\nwant\n%s", got, want)
	}
	if got := mustSh(t, sb, "echo more >> a.txt && echo beside > new/deep/d.txt && /opt/ssr-conf/run.sh && cat a.txt"); got != "ran\na\nmore\n" {
		t.Errorf("the user changing its files and running the script: %q", got)
	}
	if res := sh(t, sb, "echo 'echo planted' > /opt/ssr-conf/run.sh || rm -f /opt/ssr-conf/run.sh"); res.ExitCode == 0 {
		t.Errorf("the unprivileged user changed or removed a file written outside its workdir")
	}
	mustSh(t, sb, "rm -rf ./* && "+gitRepoScript)
	mustSh(t, sb, "printf 'ONE\n' > a.txt")
	if d, err := sb.Diff(ctx); err != nil || !bytes.Contains(d, []byte("+ONE")) {
		t.Errorf("Diff as the user = %q, %v; want the change", d, err)
	}
	if err := sb.Reset(ctx); err != nil {
		t.Errorf("Reset as the user: %v", err)
	} else if st := mustSh(t, sb, "git status --porcelain --ignored"); st != "" {
		t.Errorf("after Reset as the user, status is not clean:\n%s", st)
	}

	named := s.start(t, func(sp *sandbox.Spec) { sp.Workdir = "/work/named"; sp.User = "nobody" })
	sh(t, named, "chmod 0777 /work/named", func(r *sandbox.ExecRequest) { r.User = "0" })
	if err := named.WriteFiles(ctx, sandbox.File{Path: "x/y.txt", Data: []byte("y")}); err != nil {
		t.Fatalf("WriteFiles as nobody: %v", err)
	}
	if got := mustSh(t, named, "stat -c '%U' x/y.txt"); got != "nobody\n" {
		t.Errorf("a file written for user nobody belongs to %q", got)
	}
}

func (s *suite) testForkBomb(t *testing.T) {
	const pids = 64
	sb := s.start(t, func(sp *sandbox.Spec) { sp.Limits.Pids = pids })
	start := time.Now()
	// bash retries a failed fork, so its bomb holds the pids limit until it is killed (dash's gives up at
	// once); the command then waits, so the timeout must kill the bomb while no pid is free.
	res := sh(t, sb, `if command -v bash >/dev/null; then exec bash -c 'b() { b | b & }; b; sleep 1000'; fi; b() { b | b & }; b; sleep 1000`,
		func(r *sandbox.ExecRequest) { r.Timeout = 4 * time.Second })
	t.Logf("fork bomb: exit %d, timed out %v, after %v", res.ExitCode, res.TimedOut, time.Since(start).Round(time.Millisecond))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("fork bomb took %v to end, want the 4s timeout plus a little", d)
	}
	if !res.TimedOut {
		t.Errorf("the fork bomb's exec did not time out")
	}
	// The sandbox still answers, and the bomb is gone.
	var out string
	for try := 0; try < 10; try++ {
		r, err := sb.Exec(context.Background(), sandbox.ExecRequest{Cmd: []string{"echo", "alive"}, Timeout: 10 * time.Second})
		if err == nil && string(r.Stdout) == "alive\n" {
			out = string(r.Stdout)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if out != "alive\n" {
		t.Fatalf("sandbox does not answer after the fork bomb")
	}
	if ps := processes(t, sb); strings.Count(ps, "\n") > 8 {
		t.Errorf("%d processes left after the fork bomb was killed:\n%s", strings.Count(ps, "\n"), ps)
	}
}

func (s *suite) testMemoryHog(t *testing.T) {
	sb := s.start(t, func(sp *sandbox.Spec) { sp.Limits.Memory = 64 << 20 })
	// tail keeps a whole "line" in memory, and /dev/zero has no newline.
	res := sh(t, sb, "head -c 1G /dev/zero | tail >/dev/null")
	if !res.OOMKilled {
		t.Errorf("OOMKilled false for a memory hog (exit %d, stderr %q)", res.ExitCode, res.Stderr)
	}
	if res.ExitCode == 0 {
		t.Errorf("memory hog exited 0")
	}
	if got := mustSh(t, sb, "echo alive"); got != "alive\n" {
		t.Errorf("sandbox answers %q after the OOM kill", got)
	}
	// A later failure that is not an OOM kill is not reported as one.
	if res := sh(t, sb, "exit 1"); res.OOMKilled {
		t.Errorf("OOMKilled true for a plain failure after an OOM kill")
	}
	// An OOM kill inside a command that then exits 0 is reported too: the limit killed one of its processes.
	if res := sh(t, sb, "head -c 1G /dev/zero | tail >/dev/null; exit 0"); !res.OOMKilled || res.ExitCode != 0 {
		t.Errorf("OOMKilled %v exit %d for a command that survived an OOM kill of its child, want true and 0", res.OOMKilled, res.ExitCode)
	}
}

// gitRepoScript makes a small repository in the workdir and commits it.
const gitRepoScript = `set -e
export GIT_AUTHOR_NAME=ssr GIT_AUTHOR_EMAIL=ssr@example.invalid GIT_COMMITTER_NAME=ssr GIT_COMMITTER_EMAIL=ssr@example.invalid
git init -q .
printf 'one\ntwo\nthree\n' > a.txt
printf 'to be deleted\n' > b.txt
printf '*.log\n' > .gitignore
mkdir -p pkg && printf 'package pkg\n' > pkg/p.go
git add -A && git commit -q -m start
git rev-parse HEAD`

func (s *suite) gitSandbox(t *testing.T, workdir string) (sandbox.Sandbox, string) {
	sb := s.start(t, func(sp *sandbox.Spec) { sp.Workdir = workdir })
	if err := sb.WriteFiles(context.Background(), sandbox.File{Path: "data.bin", Data: []byte{0, 1, 2, 0xff, 0, 'x'}}); err != nil {
		t.Fatal(err)
	}
	return sb, strings.TrimSpace(mustSh(t, sb, gitRepoScript))
}

// changeScript changes the repository in every way a diff must capture, and some it must not.
const changeScript = `set -e
printf 'one\nTWO\nthree\n' > a.txt
rm b.txt
printf 'new file\n' > c.txt
mkdir -p sub && printf 'nested\n' > sub/d.txt
printf 'ignored\n' > build.log
printf '\000\001new binary\377' > new.bin
printf '\000changed' > data.bin
chmod +x pkg/p.go`

func (s *suite) testDiffReset(t *testing.T) {
	ctx := context.Background()
	sb, _ := s.gitSandbox(t, "/work/conf-repo")
	if d, err := sb.Diff(ctx); err != nil || len(d) != 0 {
		t.Fatalf("Diff of a clean tree = %q, %v; want empty", d, err)
	}
	mustSh(t, sb, changeScript)
	before := mustSh(t, sb, "git status --porcelain")
	diff, err := sb.Diff(ctx)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	for _, want := range []string{"diff --git a/a.txt b/a.txt", "-two\n+TWO", "deleted file mode", "diff --git a/c.txt b/c.txt", "diff --git a/sub/d.txt", "GIT binary patch", "diff --git a/new.bin", "diff --git a/data.bin", "old mode 100644\nnew mode 100755"} {
		if !bytes.Contains(diff, []byte(want)) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	if bytes.Contains(diff, []byte("build.log")) {
		t.Errorf("diff includes the ignored build.log:\n%s", diff)
	}
	if after := mustSh(t, sb, "git status --porcelain"); after != before {
		t.Errorf("Diff changed the repository's index: status before\n%s\nafter\n%s", before, after)
	}

	if err := sb.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if st := mustSh(t, sb, "git status --porcelain --ignored"); st != "" {
		t.Errorf("after Reset, status is not clean:\n%s", st)
	}
	if got, _ := sb.ReadFile(ctx, "a.txt"); string(got) != "one\ntwo\nthree\n" {
		t.Errorf("after Reset a.txt = %q", got)
	}
	if got, _ := sb.ReadFile(ctx, "data.bin"); !bytes.Equal(got, []byte{0, 1, 2, 0xff, 0, 'x'}) {
		t.Errorf("after Reset data.bin = %q", got)
	}

	// The diff is a patch that git apply accepts, and it reproduces the same change. (/tmp is a tmpfs,
	// which file transfer must reach too.)
	if err := sb.WriteFiles(ctx, sandbox.File{Path: "/tmp/patches/change.diff", Data: diff}); err != nil {
		t.Fatal(err)
	}
	if got, err := sb.ReadFile(ctx, "/tmp/patches/change.diff"); err != nil || !bytes.Equal(got, diff) {
		t.Fatalf("ReadFile of the diff written to /tmp: %d bytes, %v; want %d bytes", len(got), err, len(diff))
	}
	mustSh(t, sb, "git apply /tmp/patches/change.diff")
	again, err := sb.Diff(ctx)
	if err != nil {
		t.Fatalf("Diff after apply: %v", err)
	}
	if !bytes.Equal(again, diff) {
		t.Errorf("the diff after git apply differs:\nfirst:\n%s\nagain:\n%s", diff, again)
	}
	if err := sb.Reset(ctx); err != nil {
		t.Fatal(err)
	}

	// Diff outside a git work tree is a clear error.
	plain := s.start(t, func(sp *sandbox.Spec) { sp.Workdir = "/work/not-a-repo" })
	var ce *sandbox.CommandError
	if _, err := plain.Diff(ctx); !errors.As(err, &ce) {
		t.Errorf("Diff outside a repository: error %v, want a *CommandError", err)
	}
}

// testSameSizeEdit writes files, commits them, and at once rewrites one with content of the same size through
// WriteFiles, several times over: Diff must see every edit (git's stat cache alone cannot tell them apart
// when the transfer sets whole-second times).
func (s *suite) testSameSizeEdit(t *testing.T) {
	ctx := context.Background()
	sb := s.start(t, func(sp *sandbox.Spec) { sp.Workdir = "/work/same-size" })
	for i := 0; i < 5; i++ {
		if err := sb.WriteFiles(ctx, sandbox.File{Path: "x.go", Data: []byte("return a + 1\n")}); err != nil {
			t.Fatal(err)
		}
		mustSh(t, sb, `set -e; rm -rf .git; git init -q; git add -A; git -c user.name=t -c user.email=t@t commit -qm base`)
		if err := sb.WriteFiles(ctx, sandbox.File{Path: "x.go", Data: []byte("return a + 2\n")}); err != nil {
			t.Fatal(err)
		}
		d, err := sb.Diff(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(d), "+return a + 2") {
			t.Fatalf("round %d: Diff after a same-size edit = %q, want the edit", i, d)
		}
	}
}

func (s *suite) testCommit(t *testing.T) {
	ctx := context.Background()
	sb, base := s.gitSandbox(t, "/work/conf-commit")
	var b [4]byte
	rand.Read(b[:])
	ref := "ssr-conformance:" + hex.EncodeToString(b[:])
	id, err := sb.Commit(ctx, ref)
	if err != nil {
		t.Fatalf("Commit(%s): %v", ref, err)
	}
	if id == "" {
		t.Fatalf("Commit returned no image id")
	}
	if rm, ok := s.p.(ImageRemover); ok {
		t.Cleanup(func() {
			if err := rm.RemoveImage(context.Background(), ref); err != nil {
				t.Errorf("RemoveImage(%s): %v", ref, err)
			}
		})
	}
	sb.Close(ctx)

	// A sandbox from the committed image has the repository; with Base set, a commit made inside the
	// sandbox does not move what Diff and Reset compare against.
	orig := s.image
	s.image = ref
	defer func() { s.image = orig }()
	next := s.start(t, func(sp *sandbox.Spec) { sp.Workdir = "/work/conf-commit"; sp.Base = base })
	if got, err := next.ReadFile(ctx, "a.txt"); err != nil || string(got) != "one\ntwo\nthree\n" {
		t.Fatalf("committed image lacks a.txt: %q, %v", got, err)
	}
	mustSh(t, next, `printf 'changed\n' > a.txt && git -c user.name=x -c user.email=x@x commit -qam inside`)
	diff, err := next.Diff(ctx)
	if err != nil || !bytes.Contains(diff, []byte("+changed")) {
		t.Errorf("Diff against Base after an inside commit = %q, %v; want the change", diff, err)
	}
	if err := next.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if head := strings.TrimSpace(mustSh(t, next, "git rev-parse HEAD")); head != base {
		t.Errorf("after Reset HEAD is %s, want the base %s", head, base)
	}
}

func (s *suite) testConcurrency(t *testing.T) {
	ctx := context.Background()
	sb := s.start(t, nil)
	const n = 16
	outs := make([]string, n)
	errs := make([]error, n)
	var wg conc.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", fmt.Sprintf("sleep 0.$(($$ %% 3)); echo %d", i)}, Timeout: time.Minute})
			outs[i], errs[i] = string(res.Stdout), err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || outs[i] != fmt.Sprintf("%d\n", i) {
			t.Errorf("concurrent exec %d: %q, %v", i, outs[i], errs[i])
		}
	}
	// Several sandboxes start and close at once.
	var wg2 conc.WaitGroup
	for i := range 4 {
		wg2.Go(func() {
			spec := s.template
			spec.Image = s.image
			other, err := s.p.Start(ctx, spec)
			if err != nil {
				t.Errorf("concurrent Start %d: %v", i, err)
				return
			}
			defer other.Close(ctx)
			if res, err := other.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"echo", strconv.Itoa(i)}}); err != nil || string(res.Stdout) != fmt.Sprintf("%d\n", i) {
				t.Errorf("exec in concurrent sandbox %d: %q, %v", i, res.Stdout, err)
			}
		})
	}
	wg2.Wait()
}

func (s *suite) testClose(t *testing.T) {
	ctx := context.Background()
	spec := s.template
	spec.Image = s.image
	sb, err := s.p.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if sb.ID() == "" {
		t.Errorf("ID is empty")
	}
	if err := sb.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := sb.Close(ctx); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if _, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"true"}}); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Exec after Close: %v, want ErrClosed", err)
	}
	if err := sb.WriteFiles(ctx, sandbox.File{Path: "x", Data: []byte("x")}); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("WriteFiles after Close: %v, want ErrClosed", err)
	}
	if _, err := sb.ReadFile(ctx, "x"); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("ReadFile after Close: %v, want ErrClosed", err)
	}
	if _, err := sb.Diff(ctx); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Diff after Close: %v, want ErrClosed", err)
	}
	// Close with an ended context still removes the sandbox.
	other, err := s.p.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := other.Close(cctx); err != nil {
		t.Errorf("Close with a cancelled context: %v", err)
	}
}

func short(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + fmt.Sprintf("...(%d bytes)", len(b))
	}
	return string(b)
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
