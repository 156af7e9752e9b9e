package docker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// TestRun: a one-off command is the own process of a hardened, labelled container that is gone when Run
// returns (dockertest.Job checks that none of the test's containers is left), whatever way it ended.
func TestRun(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	p := newProvider(t)
	ctx := context.Background()
	spec := sandbox.Spec{Image: image, Job: job, Role: "exec", Env: []string{"SPEC_VAR=from-spec"}}
	run := func(t *testing.T, spec sandbox.Spec, req sandbox.ExecRequest) sandbox.ExecResult {
		t.Helper()
		res, err := p.Run(ctx, spec, req)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		return res
	}

	t.Run("output, status, stdin, env, dir and user", func(t *testing.T) {
		res := run(t, spec, sandbox.ExecRequest{
			Cmd:   []string{"sh", "-c", `cat; echo " $SPEC_VAR $REQ_VAR $(pwd) $(id -u)"; echo err >&2; exit 3`},
			Stdin: []byte("in"), Env: []string{"REQ_VAR=from-req"}, Dir: "/tmp", User: "4321:4321",
		})
		if got, want := string(res.Stdout), "in from-spec from-req /tmp 4321\n"; got != want || string(res.Stderr) != "err\n" || res.ExitCode != 3 {
			t.Errorf("stdout %q stderr %q exit %d, want %q, %q, 3", got, res.Stderr, res.ExitCode, want, "err\n")
		}
		if res := run(t, spec, sandbox.ExecRequest{Cmd: []string{"no-such-command-ssr"}}); res.ExitCode != 127 {
			t.Errorf("missing command: exit %d, want 127", res.ExitCode)
		}
	})

	t.Run("labelled and hardened like a sandbox", func(t *testing.T) {
		// The job's list may still show earlier subtests' containers, even ones the engine no longer knows
		// (dockertest.Left), so this command's container is the one that carries its mark in its environment.
		mark := fmt.Sprintf("SSR_TEST_MARK=%d", time.Now().UnixNano())
		done := make(chan sandbox.ExecResult)
		go func() {
			res, err := p.Run(ctx, spec, sandbox.ExecRequest{Cmd: []string{"sh", "-c", "ls /sys/class/net; sleep 3"}, Env: []string{mark}})
			if err != nil {
				t.Errorf("Run: %v", err)
			}
			done <- res
		}()
		var ins container.InspectResponse
		var seen []docker.Info
		for try := 0; try < 50 && ins.ContainerJSONBase == nil; try++ {
			time.Sleep(50 * time.Millisecond)
			seen, _ = docker.List(ctx, cli, job)
			for _, c := range seen {
				if got, err := cli.ContainerInspect(ctx, c.ID); err == nil && slices.Contains(got.Config.Env, mark) {
					if c.Role != "exec" {
						t.Errorf("the command's container has role %q, want exec", c.Role)
					}
					ins = got
				}
			}
		}
		if ins.ContainerJSONBase == nil {
			t.Fatalf("containers of the job while the command runs: %+v, none carries %s", seen, mark)
		}
		hc := ins.HostConfig
		if hc.NetworkMode != "none" || hc.PidsLimit == nil || *hc.PidsLimit != sandbox.DefaultPids || hc.Memory != sandbox.DefaultMemory ||
			hc.Init == nil || !*hc.Init || len(hc.CapDrop) != 1 {
			t.Errorf("host config %+v: want no network, the default limits, an init process and no capabilities", hc)
		}
		if res := <-done; strings.TrimSpace(string(res.Stdout)) != "lo" {
			t.Errorf("network interfaces %q, want only lo", res.Stdout)
		}
	})

	t.Run("timeout kills the tree", func(t *testing.T) {
		start := time.Now()
		res := run(t, spec, sandbox.ExecRequest{Cmd: []string{"sh", "-c", "echo started; sleep 1000 & sleep 1000"}, Timeout: time.Second})
		if !res.TimedOut || res.ExitCode == 0 || string(res.Stdout) != "started\n" {
			t.Errorf("timed out %v exit %d stdout %q: want a timeout, a non-zero status and the output so far", res.TimedOut, res.ExitCode, res.Stdout)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v, want soon after the 1s limit", d)
		}
	})

	t.Run("flood guard", func(t *testing.T) {
		res := run(t, spec, sandbox.ExecRequest{Cmd: []string{"yes"}, MaxOutput: 1 << 20})
		if !res.Flooded || !res.Truncated || int64(len(res.Stdout)) != 1<<20+int64(len(sandbox.TruncationMarker(1<<20))) ||
			!bytes.Contains(res.Stderr, []byte("killed for flooding")) {
			t.Errorf("flooded %v truncated %v, %d bytes of stdout, stderr %q: want the command killed at 8 times the cap",
				res.Flooded, res.Truncated, len(res.Stdout), res.Stderr)
		}
	})

	t.Run("out of memory", func(t *testing.T) {
		small := spec
		small.Limits.Memory = 64 << 20
		res := run(t, small, sandbox.ExecRequest{Cmd: []string{"sh", "-c", "head -c 1G /dev/zero | tail >/dev/null"}})
		if !res.OOMKilled || res.ExitCode == 0 {
			t.Errorf("OOMKilled %v exit %d, want true and a failure", res.OOMKilled, res.ExitCode)
		}
		if res := run(t, small, sandbox.ExecRequest{Cmd: []string{"true"}}); res.OOMKilled || !res.OK() {
			t.Errorf("OOMKilled %v exit %d for true, want false and 0", res.OOMKilled, res.ExitCode)
		}
	})

	t.Run("cancel removes the container", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		start := time.Now()
		_, err := p.Run(cctx, spec, sandbox.ExecRequest{Cmd: []string{"sleep", "1000"}})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Errorf("Run after its ctx ended: %v after %v, want DeadlineExceeded soon after 1s", err, time.Since(start))
		}
		dockertest.CheckNoContainers(t, cli, job)
	})

	t.Run("refused", func(t *testing.T) {
		for name, req := range map[string]sandbox.ExecRequest{
			"no command": {},
			"a setup":    {Cmd: []string{"true"}, Setup: "true"},
		} {
			if _, err := p.Run(ctx, spec, req); !errors.Is(err, sandbox.ErrInvalidSpec) {
				t.Errorf("%s: error %v, want ErrInvalidSpec", name, err)
			}
		}
		if _, err := p.Run(ctx, sandbox.Spec{Image: "ssr-no-such-image:1", Job: job}, sandbox.ExecRequest{Cmd: []string{"true"}}); !errors.Is(err, docker.ErrImageNotFound) {
			t.Errorf("missing image: error %v, want ErrImageNotFound", err)
		}
	})
}
