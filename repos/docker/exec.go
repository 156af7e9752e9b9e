package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// execMarker is the environment variable that tags every process of one exec, so that the killer finds
// even those that left the exec's session.
const execMarker = "SSR_EXEC_ID"

// execRegistry is the file in the sandbox where each exec records "<id> <session id>".
const execRegistry = "/tmp/.ssr-exec"

// wrapperScript runs every exec. It records the exec's session (the exec'd process leads a new session,
// and $$ is its pid); runs the request's Setup when $1 holds one, with its output on stderr, and then prints
// the ready mark there (the host keeps what comes before the mark apart, and times the command from it);
// runs the command in a subshell that becomes it; and last prints a trailer on stderr with the memory
// cgroup's OOM kill count, so that telling an OOM kill from a plain failure needs no second exec. The host
// strips the mark and the trailer; a command killed with its tree prints no trailer, and then the count is
// read with an exec of its own.
const wrapperScript = `{ echo "$` + execMarker + ` $$" >>` + execRegistry + `; } 2>/dev/null; ` +
	`if [ -n "$1" ]; then /bin/sh -c "$1" sh >&2 || exit $?; exec </dev/null; printf '\036ssr-ready %s\n' "$` + execMarker + `" >&2; fi; ` +
	`shift; (exec "$@"); c=$?; n=-; ` +
	`for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do ` +
	`[ -r "$f" ] && while read -r k v; do [ "$k" = oom_kill ] && n=$v; done < "$f"; done 2>/dev/null; ` +
	`printf '\036ssr-end %s %s\n' "$` + execMarker + `" "$n" >&2; exit $c`

// readyMark and trailerPrefix are what wrapperScript prints around the command on stderr, for exec id.
func readyMark(id string) []byte     { return []byte("\x1essr-ready " + id + "\n") }
func trailerPrefix(id string) []byte { return []byte("\x1essr-end " + id + " ") }

// killerScript kills every process of exec $1: first its whole process group with one builtin (no fork
// is needed, so it works when a fork bomb has used up the pids limit), then, a few rounds, every process in
// its session or carrying its marker.
const killerScript = `id=$1; sid=
if [ -r ` + execRegistry + ` ]; then while read -r i p; do [ "$i" = "$id" ] && sid=$p; done < ` + execRegistry + `; fi
[ -n "$sid" ] && kill -KILL -"$sid" 2>/dev/null
n=0
while [ $n -lt 5 ]; do
  n=$((n+1)); found=
  for d in /proc/[0-9]*; do
    p=${d#/proc/}; hit=
    [ "$p" = "$$" ] || [ "$p" = 1 ] && continue
    if [ -n "$sid" ] && read -r l < "$d/stat" 2>/dev/null; then l=${l##*) }; set -- $l; [ "$4" = "$sid" ] && hit=1; fi
    [ -z "$hit" ] && grep -qzx "` + execMarker + `=$id" "$d/environ" 2>/dev/null && hit=1
    [ -n "$hit" ] && kill -KILL "$p" 2>/dev/null && found=1
  done
  [ -z "$found" ] && break
done
exit 0`

// overflowFactor: a command that prints this many times its cap past the cap is killed; below that the
// excess is read and dropped, so that the exit status stays the command's own.
const overflowFactor = 8

// killTimeout bounds the exec that kills a timed-out command; streamGrace is how long the output may
// stay open after the kill (a process that escaped would hold it open forever).
const (
	killTimeout = 15 * time.Second
	streamGrace = 2 * time.Second
)

// execOpts are the internal switches of one exec.
type execOpts struct {
	wrap     bool // run under wrapperScript so that a timeout can kill the tree
	checkOOM bool // tell an OOM kill: from the trailer, or with an exec after a failure that printed none
}

func (s *container_) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	return s.exec(ctx, req, execOpts{wrap: true, checkOOM: true})
}

// exec runs req after the writes WriteFiles deferred: they travel with req when it can carry them (see
// carry), else they go through the engine first.
func (s *container_) exec(ctx context.Context, req sandbox.ExecRequest, o execOpts) (sandbox.ExecResult, error) {
	if !s.hasDeferred() {
		return s.execNow(ctx, req, o)
	}
	if err := req.Validate(); err != nil {
		return sandbox.ExecResult{}, err
	}
	if !o.wrap || req.Stdin != nil || (req.User != "" && req.User != s.spec.User) {
		if err := s.flush(ctx); err != nil {
			return sandbox.ExecResult{}, err
		}
		return s.execNow(ctx, req, o)
	}
	return s.carry(ctx, req, o)
}

// execNow runs req as it is: deferred writes stay deferred. Only execs that do not look at the tree (the
// owner's ids, the tree killer, the OOM counter) call it directly.
func (s *container_) execNow(ctx context.Context, req sandbox.ExecRequest, o execOpts) (sandbox.ExecResult, error) {
	if err := req.Validate(); err != nil {
		return sandbox.ExecResult{}, err
	}
	if s.isClosed() {
		return sandbox.ExecResult{}, s.errClosed("exec")
	}
	if req.Setup != "" && !o.wrap {
		return sandbox.ExecResult{}, fmt.Errorf("exec %s in sandbox %.12s: a setup needs the wrapper (internal error)", quoteArgv(req.Cmd), s.id)
	}
	l := s.spec.Limits
	timeout := cmp(req.Timeout, l.ExecTimeout)
	maxOut := cmp(req.MaxOutput, l.MaxOutput)
	user := cmp(req.User, s.spec.User)
	id := newExecID()
	cmd := req.Cmd
	if o.wrap {
		cmd = append([]string{"/bin/sh", "-c", wrapperScript, "sh", req.Setup}, req.Cmd...)
	}
	created, err := s.p.cli.ContainerExecCreate(ctx, s.id, container.ExecOptions{
		User:         user,
		AttachStdin:  req.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
		Env:          append(append([]string(nil), req.Env...), execMarker+"="+id),
		WorkingDir:   cmp(req.Dir, s.spec.Workdir),
		Cmd:          cmd,
	})
	if err != nil {
		return sandbox.ExecResult{}, s.engineErr("exec "+quoteArgv(req.Cmd), err)
	}
	start := time.Now()
	hj, err := s.p.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return sandbox.ExecResult{}, s.engineErr("exec "+quoteArgv(req.Cmd), err)
	}
	defer hj.Close()

	var staged *stagedStderr
	pm := startPump(hj, req.Stdin, maxOut, func(errOut io.Writer) io.Writer {
		if o.wrap {
			staged = newStagedStderr(id, req.Setup != "", errOut)
			return staged
		}
		return errOut
	})
	done, overflow := pm.done, pm.overflow
	// The time limit runs from the start, and again from the ready mark when there is a Setup: the Setup
	// and the command each get the whole limit.
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var ready <-chan struct{}
	if staged != nil && req.Setup != "" {
		ready = staged.ready
	}
	var res sandbox.ExecResult
	var ctxErr error
wait:
	for {
		select {
		case <-done:
			break wait
		case <-ready:
			ready = nil
			timer.Reset(timeout)
		case <-timer.C:
			res.TimedOut = true
			break wait
		case <-overflow:
			res.Flooded = true
			break wait
		case <-ctx.Done():
			ctxErr = ctx.Err()
			break wait
		}
	}
	killed := false
	select {
	case <-done:
	default:
		killed = true
		if o.wrap {
			s.kill(ctx, id, user)
		}
		select {
		case <-done:
		case <-time.After(streamGrace):
		}
	}
	end := time.Now()
	hj.Close() // ends the copy if something still holds the output open
	pm.wg.Wait()
	stdout, stderr := pm.stdout, pm.stderr
	var oomCount int64 = -1
	if staged != nil {
		if at, ok := staged.readyAt(); ok {
			start = at
		} else if req.Setup != "" {
			res.SetupFailed = true
		}
		oomCount = staged.finish()
	}
	res.Duration = end.Sub(start)
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
	if res.SetupFailed {
		res.Stderr = staged.setupOutput()
	}
	res.Truncated = stdout.Truncated() || stderr.Truncated()
	if res.Flooded {
		res.Stderr = append(res.Stderr, sandbox.FloodMarker(maxOut, maxOut*overflowFactor)...)
	}

	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
	defer cancel()
	res.ExitCode, err = s.exitCode(ictx, created.ID, killed)
	if err != nil {
		return res, s.engineErr("exec "+quoteArgv(req.Cmd), err)
	}
	if o.checkOOM {
		switch {
		case oomCount >= 0:
			res.OOMKilled = s.noteOOMKills(oomCount)
		case res.ExitCode != 0:
			res.OOMKilled = s.oomSince(ictx)
		}
	}
	if ctxErr != nil {
		return res, fmt.Errorf("exec %s in sandbox %.12s: %w", quoteArgv(req.Cmd), s.id, ctxErr)
	}
	return res, nil
}

// exitCode waits briefly for the engine to notice the exec's end (its output may close a moment earlier).
func (s *container_) exitCode(ctx context.Context, execID string, killed bool) (int, error) {
	for delay := time.Millisecond; ; delay = min(delay*2, 100*time.Millisecond) {
		ins, err := s.p.cli.ContainerExecInspect(ctx, execID)
		if err != nil {
			return -1, err
		}
		if !ins.Running {
			return ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			if killed {
				return 137, nil // it escaped the kill; Close removes it with the container
			}
			return -1, ctx.Err()
		case <-time.After(delay):
		}
	}
}

// kill kills every process of exec id, as user (with all capabilities dropped, only the same user may
// signal them).
func (s *container_) kill(ctx context.Context, id, user string) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
	defer cancel()
	// The killer needs no budget for output; retry for a while in case the pids limit refuses its start.
	deadline := time.Now().Add(killerPatience)
	for time.Now().Before(deadline) {
		tctx, tcancel := context.WithDeadline(kctx, deadline)
		res, err := s.execNow(tctx, sandbox.ExecRequest{
			Cmd: []string{"/bin/sh", "-c", killerScript, "sh", id}, User: user,
			Timeout: killerPatience, MaxOutput: 4096,
		}, execOpts{})
		tcancel()
		if err == nil && res.ExitCode == 0 {
			return
		}
		if kctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.restart(kctx)
}

// killerPatience is how long the killer may take to start and finish before the sandbox is restarted.
const killerPatience = 2 * time.Second

// restartEngine is what the killer's last resort needs of the engine beyond Engine.
type restartEngine interface {
	ContainerKill(ctx context.Context, id, signal string) error
	ContainerWait(ctx context.Context, id string, cond container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
}

// restart is the killer's last resort, when it could not run in the sandbox (a fork bomb that holds every
// pid can keep any new process from starting, on a machine whose process starts are slow every time): the
// engine kills the container's init, which takes every process of its pid namespace with it, and starts the
// container again. Its file system stays, the tree included; its tmpfs mounts (/tmp, /var/tmp) start empty.
func (s *container_) restart(ctx context.Context) {
	eng, ok := s.p.cli.(restartEngine)
	if !ok {
		return
	}
	wait, werr := eng.ContainerWait(ctx, s.id, container.WaitConditionNotRunning)
	if err := eng.ContainerKill(ctx, s.id, "KILL"); err != nil {
		return
	}
	select {
	case <-wait:
	case <-werr:
		return
	case <-ctx.Done():
		return
	}
	_ = s.p.cli.ContainerStart(ctx, s.id, container.StartOptions{})
}

// oomSince reports whether the sandbox's memory cgroup counted an OOM kill since it was last read, reading
// the count with an exec of its own (for a command that printed no trailer).
func (s *container_) oomSince(ctx context.Context) bool {
	res, err := s.execNow(ctx, sandbox.ExecRequest{
		Cmd:       []string{"cat", "/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"},
		User:      "0",
		Timeout:   killTimeout,
		MaxOutput: 4096,
	}, execOpts{})
	if err != nil {
		return false
	}
	n, ok := parseOOMKills(res.Stdout)
	if !ok {
		return false
	}
	return s.noteOOMKills(n)
}

// noteOOMKills records the cgroup's OOM kill count n and reports whether it grew since it was last read.
func (s *container_) noteOOMKills(n int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	grew := n > s.oomSeen
	s.oomSeen = max(s.oomSeen, n)
	return grew
}

// parseOOMKills reads the "oom_kill N" line of cgroup v2 memory.events or v1 memory.oom_control.
func parseOOMKills(b []byte) (int64, bool) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := strings.Cut(strings.TrimSpace(string(line)), " ")
		if ok && k == "oom_kill" {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// pump copies an attached command's output into capped buffers and writes its stdin, in the background.
// overflow is closed when either stream has dropped more than overflowFactor times maxOut bytes (the
// command floods); done when the output has ended; wg waits for both goroutines (close the hijacked
// connection first when the command may still hold its output open).
type pump struct {
	stdout, stderr *sandbox.CappedBuffer
	overflow, done chan struct{}
	wg             conc.WaitGroup
}

// startPump starts the copy from hj (a multiplexed stdout/stderr stream). errWriter, when not nil, wraps
// the writer stderr goes to.
func startPump(hj types.HijackedResponse, stdin []byte, maxOut int64, errWriter func(io.Writer) io.Writer) *pump {
	p := &pump{stdout: sandbox.NewCappedBuffer(maxOut), stderr: sandbox.NewCappedBuffer(maxOut),
		overflow: make(chan struct{}), done: make(chan struct{})}
	var once sync.Once
	watch := func(b *sandbox.CappedBuffer) io.Writer {
		return overflowWatch{b, maxOut * overflowFactor, func() { once.Do(func() { close(p.overflow) }) }}
	}
	out, errOut := watch(p.stdout), watch(p.stderr)
	if errWriter != nil {
		errOut = errWriter(errOut)
	}
	p.wg.Go(func() {
		defer close(p.done)
		stdcopy.StdCopy(out, errOut, hj.Reader)
	})
	if stdin != nil {
		p.wg.Go(func() {
			hj.Conn.Write(stdin)
			hj.CloseWrite()
		})
	}
	return p
}

// overflowWatch passes writes to a CappedBuffer and calls over once the stream passes limit bytes.
type overflowWatch struct {
	b     *sandbox.CappedBuffer
	limit int64
	over  func()
}

func (w overflowWatch) Write(p []byte) (int, error) {
	n, _ := w.b.Write(p)
	if w.b.Dropped() > w.limit {
		w.over()
	}
	return n, nil
}

func newExecID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cmp returns v unless it is the zero value, then def.
func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// quoteArgv shortens argv for error messages.
func quoteArgv(argv []string) string {
	s := strings.Join(argv, " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return strconv.Quote(s)
}
