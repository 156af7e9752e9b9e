package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// runEngine is what a one-off command needs of the engine beyond Engine.
type runEngine interface {
	ContainerAttach(ctx context.Context, id string, opts container.AttachOptions) (types.HijackedResponse, error)
	ContainerWait(ctx context.Context, id string, cond container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
}

// Run runs one command as the own process of a new container made from spec, and removes the container: a
// one-off costs what `docker run --rm` costs, where Start and then Exec would start an idle container and
// exec into it. The container is a sandbox's (ContainerConfig: the same hardening, limits, labels and no
// network) whose main process, under the init process, is req.Cmd, in req.Dir (default the workdir), as
// req.User (default the spec's), with spec.Env and req.Env. The request's time limit, output caps and
// flood guard apply as for Exec: a command that outlives its limit, floods its output or whose ctx ends is
// killed with its container (and with it every process it started). Stdin is sent when set; a Setup is
// refused. OOMKilled reports an OOM kill of any process of the command. The container takes a slot of
// the provider's budget until it is removed.
func (p *Provider) Run(ctx context.Context, spec sandbox.Spec, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	if err := spec.Validate(); err != nil {
		return sandbox.ExecResult{}, err
	}
	if err := req.Validate(); err != nil {
		return sandbox.ExecResult{}, err
	}
	if req.Setup != "" {
		return sandbox.ExecResult{}, fmt.Errorf("%w: a one-off command takes no setup: start a sandbox and exec in it", sandbox.ErrInvalidSpec)
	}
	eng, ok := p.cli.(runEngine)
	if !ok {
		return sandbox.ExecResult{}, fmt.Errorf("run %s: this engine client cannot attach to a container", quoteArgv(req.Cmd))
	}
	spec = spec.WithDefaults()
	cfg, host := ContainerConfig(spec, p.owner)
	cfg.Entrypoint, cfg.Cmd = req.Cmd, nil
	cfg.Env = append(append([]string(nil), cfg.Env...), req.Env...)
	cfg.WorkingDir = cmp(req.Dir, cfg.WorkingDir)
	cfg.User = cmp(req.User, cfg.User)
	cfg.AttachStdout, cfg.AttachStderr = true, true
	if req.Stdin != nil {
		cfg.AttachStdin, cfg.OpenStdin, cfg.StdinOnce = true, true, true
	}
	timeout := cmp(req.Timeout, spec.Limits.ExecTimeout)
	maxOut := cmp(req.MaxOutput, spec.Limits.MaxOutput)
	what := "run " + quoteArgv(req.Cmd) + " in " + spec.Image

	if _, err := p.acquire(ctx, ""); err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("%s: %w", what, err)
	}
	defer p.release()
	// As in Start, the engine calls that make the container are not cut short by ctx; it is checked after.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startTimeout)
	defer cancel()
	created, err := p.cli.ContainerCreate(mctx, cfg, host, nil, nil, "")
	if err != nil {
		if errdefs.IsNotFound(err) {
			return sandbox.ExecResult{}, fmt.Errorf("%s: %w: %s (build it first, e.g. with `ssr image bootstrap`, or name another)", what, ErrImageNotFound, spec.Image)
		}
		return sandbox.ExecResult{}, fmt.Errorf("%s: create container: %w", what, err)
	}
	removed := false
	remove := func() {
		if !removed {
			removed = true
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
			defer cancel()
			p.removeContainer(rctx, created.ID)
		}
	}
	defer remove()
	hj, err := eng.ContainerAttach(mctx, created.ID, container.AttachOptions{Stream: true, Stdin: req.Stdin != nil, Stdout: true, Stderr: true})
	if err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("%s: attach to container %.12s: %w", what, created.ID, err)
	}
	defer hj.Close()
	// The wait is asked for before the start, so that a command that ends at once is not missed.
	wctx, stopWait := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWait()
	waitC, waitErr := eng.ContainerWait(wctx, created.ID, container.WaitConditionNextExit)
	if err := p.cli.ContainerStart(mctx, created.ID, container.StartOptions{}); err != nil {
		return sandbox.ExecResult{}, fmt.Errorf("%s: start container %.12s: %w", what, created.ID, err)
	}
	start := time.Now()

	pm := startPump(hj, req.Stdin, maxOut, nil)
	done, overflow := pm.done, pm.overflow
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res sandbox.ExecResult
	var ctxErr, engErr error
	exited := false
	select {
	case w := <-waitC:
		exited, res.ExitCode = true, int(w.StatusCode)
		if w.Error != nil {
			engErr = fmt.Errorf("wait: %s", w.Error.Message)
		}
	case err := <-waitErr:
		engErr = fmt.Errorf("wait: %w", err)
	case <-timer.C:
		res.TimedOut = true
	case <-overflow:
		res.Flooded = true
	case <-ctx.Done():
		ctxErr = ctx.Err()
	}
	if !exited {
		remove() // kills the command and everything it started
		res.ExitCode = 137
	}
	select {
	case <-done:
	case <-time.After(streamGrace):
	}
	res.Duration = time.Since(start)
	hj.Close()
	pm.wg.Wait()
	res.Stdout, res.Stderr = pm.stdout.Bytes(), pm.stderr.Bytes()
	res.Truncated = pm.stdout.Truncated() || pm.stderr.Truncated()
	if res.Flooded {
		res.Stderr = append(res.Stderr, sandbox.FloodMarker(maxOut, maxOut*overflowFactor)...)
	}
	if exited {
		// The engine marks a container whose memory cgroup killed any of its processes.
		if ins, err := eng.ContainerInspect(mctx, created.ID); err == nil && ins.State != nil {
			res.OOMKilled = ins.State.OOMKilled
		}
	}
	switch {
	case ctxErr != nil:
		return res, fmt.Errorf("%s: %w", what, ctxErr)
	case engErr != nil:
		return res, fmt.Errorf("%s: container %.12s: %w", what, created.ID, engErr)
	}
	return res, nil
}
