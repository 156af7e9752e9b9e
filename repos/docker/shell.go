package docker

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/pkg/stdcopy"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// ShellEngine is the part of the engine client that an interactive shell uses.
type ShellEngine interface {
	ContainerCreate(ctx context.Context, config *container.Config, host *container.HostConfig, net *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error)
	ContainerAttach(ctx context.Context, id string, opts container.AttachOptions) (types.HijackedResponse, error)
	ContainerStart(ctx context.Context, id string, opts container.StartOptions) error
	ContainerWait(ctx context.Context, id string, cond container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerResize(ctx context.Context, id string, opts container.ResizeOptions) error
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
}

// TermSize is a terminal's size in characters.
type TermSize struct{ Rows, Cols uint }

// ShellIO connects a shell to a terminal (or to pipes, for tests).
type ShellIO struct {
	TTY    bool            // give the shell a terminal (In is a terminal); else In is a script
	In     io.Reader       // keystrokes, or a script
	Out    io.Writer       // the terminal's output (stdout and stderr together)
	Size   TermSize        // initial size; zero leaves the engine's default
	Resize <-chan TermSize // later sizes (SIGWINCH); may be nil
}

// shellCmd prefers bash and falls back to sh; with a script it reads standard input.
var shellCmd = []string{"/bin/sh", "-c", `command -v bash >/dev/null 2>&1 && exec bash -l; exec sh -l`}

// Shell runs an interactive shell in a new container made from spec, with the same hardening and labels as
// a sandbox and a TTY, and removes the container when the shell exits. It returns the shell's exit status.
func Shell(ctx context.Context, cli ShellEngine, spec sandbox.Spec, sio ShellIO) (int, error) {
	if err := spec.Validate(); err != nil {
		return -1, err
	}
	owner, err := Self()
	if err != nil {
		return -1, err
	}
	cfg, host := ContainerConfig(spec, owner)
	cfg.Entrypoint = shellCmd
	cfg.Tty, cfg.OpenStdin, cfg.StdinOnce = sio.TTY, true, true
	cfg.AttachStdin, cfg.AttachStdout, cfg.AttachStderr = true, true, true
	if sio.TTY {
		cfg.Env = append(cfg.Env, "TERM=xterm-256color")
	}
	if sio.Size.Rows > 0 {
		host.ConsoleSize = [2]uint{sio.Size.Rows, sio.Size.Cols}
	}
	created, err := cli.ContainerCreate(ctx, cfg, host, nil, nil, "")
	if err != nil {
		return -1, fmt.Errorf("shell in %s: create container: %w", spec.Image, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		cli.ContainerRemove(rctx, created.ID, container.RemoveOptions{Force: true})
	}()
	hj, err := cli.ContainerAttach(ctx, created.ID, container.AttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return -1, fmt.Errorf("shell in %s: attach: %w", spec.Image, err)
	}
	defer hj.Close()
	waitC, errC := cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return -1, fmt.Errorf("shell in %s: start: %w", spec.Image, err)
	}
	if sio.TTY && sio.Size.Rows > 0 {
		// HostConfig.ConsoleSize needs API 1.42; a resize right after the start works everywhere.
		cli.ContainerResize(ctx, created.ID, container.ResizeOptions{Height: sio.Size.Rows, Width: sio.Size.Cols})
	}

	var wg conc.WaitGroup
	defer wg.Wait()
	outDone := make(chan struct{})
	wg.Go(func() {
		defer close(outDone)
		if sio.TTY {
			io.Copy(sio.Out, hj.Reader)
		} else {
			stdcopy.StdCopy(sio.Out, sio.Out, hj.Reader)
		}
	})
	// Keystrokes are copied until the shell ends; the copy is not waited for, since a terminal read
	// cannot be interrupted (the process exits soon after, or the caller closes In). A script's end
	// closes the shell's input (with a TTY the engine would close the output too, so it is left open).
	go func() {
		io.Copy(hj.Conn, sio.In)
		if !sio.TTY {
			hj.CloseWrite()
		}
	}()
	rctx, stopResize := context.WithCancel(ctx)
	defer stopResize()
	wg.Go(func() {
		for {
			select {
			case <-rctx.Done():
				return
			case sz, ok := <-sio.Resize:
				if !ok {
					return
				}
				cli.ContainerResize(rctx, created.ID, container.ResizeOptions{Height: sz.Rows, Width: sz.Cols})
			}
		}
	})
	select {
	case w := <-waitC:
		<-outDone
		if w.Error != nil {
			return int(w.StatusCode), fmt.Errorf("shell in %s: %s", spec.Image, w.Error.Message)
		}
		return int(w.StatusCode), nil
	case err := <-errC:
		return -1, fmt.Errorf("shell in %s: wait: %w", spec.Image, err)
	case <-ctx.Done():
		return -1, ctx.Err()
	}
}
