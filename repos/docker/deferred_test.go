package docker_test

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// copyCounter counts the engine's archive transfers into containers.
type copyCounter struct {
	*client.Client
	copies atomic.Int32
}

func (c *copyCounter) CopyToContainer(ctx context.Context, id, dst string, content io.Reader, opts container.CopyToContainerOptions) error {
	c.copies.Add(1)
	return c.Client.CopyToContainer(ctx, id, dst, content, opts)
}

// A write to the tree travels with the next exec instead of through the engine's archive API: the exec sees
// the newest content of every file with its mode, a read sees it before any exec, and the engine is asked
// for no transfer. Where the sandbox's user cannot write a file's directory, the write goes through the
// engine and the exec still runs, once.
func TestWritesTravelWithTheNextExec(t *testing.T) {
	image := dockertest.BaseImage(t)
	cli := &copyCounter{Client: dockertest.Client(t)}
	p, err := docker.New(cli)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sb := startSandbox(t, p, sandbox.Spec{Image: image, Job: dockertest.Job(t), Role: "deferred"})
	run := func(script string) sandbox.ExecResult {
		t.Helper()
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", script}})
		if err != nil {
			t.Fatalf("exec %q: %v", script, err)
		}
		return res
	}
	write := func(files ...sandbox.File) {
		t.Helper()
		if err := sb.WriteFiles(ctx, files...); err != nil {
			t.Fatal(err)
		}
	}

	write(sandbox.File{Path: "a/run.sh", Data: []byte("old"), Mode: 0o755}, sandbox.File{Path: "/repo/b.txt", Data: []byte("b")})
	write(sandbox.File{Path: "a/run.sh", Data: []byte("#!/bin/sh\necho ran\n"), Mode: 0o755})
	if got, err := sb.ReadFile(ctx, "/repo/a/run.sh"); err != nil || !strings.Contains(string(got), "echo ran") {
		t.Errorf("read before any exec: %q, %v; want the newest content", got, err)
	}
	res := run(`./a/run.sh && stat -c '%a %u' a/run.sh b.txt && cat b.txt && echo && [ -t 0 ] || [ -z "$(cat)" ] && echo no-stdin`)
	if want := "ran\n755 " + uidOf(t, sb) + "\n644 " + uidOf(t, sb) + "\nb\nno-stdin\n"; string(res.Stdout) != want || res.ExitCode != 0 {
		t.Errorf("exec after the writes printed %q (exit %d, stderr %q), want %q", res.Stdout, res.ExitCode, res.Stderr, want)
	}
	if n := cli.copies.Load(); n != 0 {
		t.Errorf("%d archive transfers for writes to the tree, want 0 (they travel with the exec)", n)
	}

	// A file outside the tree (root's, such as a test script) goes through the engine at once; the tree's
	// files of the same call still wait.
	write(sandbox.File{Path: "/usr/local/share/ssr-x", Data: []byte("x")}, sandbox.File{Path: "d.txt", Data: []byte("d")})
	if n := cli.copies.Load(); n != 1 {
		t.Errorf("%d archive transfers after a write outside the tree, want 1", n)
	}
	if res := run("cat /usr/local/share/ssr-x d.txt"); string(res.Stdout) != "xd" {
		t.Errorf("the files of a mixed write read %q, want xd", res.Stdout)
	}

	// An exec with a Setup of its own carries them too, and its Setup sees them; when its Setup fails, that
	// is its result (no second run), and the files are in.
	write(sandbox.File{Path: "e.txt", Data: []byte("e")})
	res, err = sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"cat", "f.txt"}, Setup: "cp e.txt f.txt"})
	if err != nil || string(res.Stdout) != "e" || res.SetupFailed {
		t.Errorf("exec with a Setup after a write: %q, setup failed %v, %v; want e", res.Stdout, res.SetupFailed, err)
	}
	write(sandbox.File{Path: "g.txt", Data: []byte("g")})
	res, err = sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", "echo ran >> /tmp/setup-failed"}, Setup: "echo no >&2; exit 3"})
	if err != nil || !res.SetupFailed || res.ExitCode != 3 || !strings.Contains(string(res.Stderr), "no") {
		t.Errorf("a failing Setup after a write: setup failed %v, exit %d, stderr %q, %v; want its own failure", res.SetupFailed, res.ExitCode, res.Stderr, err)
	}
	if res := run("cat g.txt; cat /tmp/setup-failed 2>/dev/null"); string(res.Stdout) != "g" {
		t.Errorf("after a failing Setup: %q, want the file written and the command not run", res.Stdout)
	}
	if n := cli.copies.Load(); n != 1 {
		t.Errorf("%d archive transfers after execs with a Setup, want still 1", n)
	}

	// A directory the user cannot write: the exec's unpacking fails, the engine writes the file, and the
	// command runs once.
	run("mkdir -p ro && chmod 555 ro")
	write(sandbox.File{Path: "ro/f", Data: []byte("through the engine")})
	res = run("cat ro/f; echo once >> /tmp/count")
	if string(res.Stdout) != "through the engine" || res.ExitCode != 0 {
		t.Errorf("exec after a write the user cannot make printed %q (exit %d, stderr %q)", res.Stdout, res.ExitCode, res.Stderr)
	}
	if got := run("wc -l < /tmp/count"); strings.TrimSpace(string(got.Stdout)) != "1" {
		t.Errorf("the command ran %s times, want once", strings.TrimSpace(string(got.Stdout)))
	}
	if n := cli.copies.Load(); n != 2 {
		t.Errorf("%d archive transfers, want 2 (the one outside the tree, the write the user could not make)", n)
	}
	// From then on writes go through the engine at once.
	write(sandbox.File{Path: "c.txt", Data: []byte("c")})
	if n := cli.copies.Load(); n != 3 {
		t.Errorf("%d archive transfers after a later write, want 3", n)
	}
}

// uidOf is the sandbox user's uid.
func uidOf(t *testing.T, sb sandbox.Sandbox) string {
	t.Helper()
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Cmd: []string{"id", "-u"}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("id -u: %v, exit %d", err, res.ExitCode)
	}
	return strings.TrimSpace(string(res.Stdout))
}
