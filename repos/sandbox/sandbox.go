package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// Sandbox is one running, isolated copy of an image. All methods are safe for concurrent use; Close ends
// it and every later call fails with ErrClosed.
type Sandbox interface {
	// ID names the sandbox for logs (a container id, a pod name).
	ID() string
	// Exec runs a command and waits for it. A command that fails, times out or prints too much is a result,
	// not an error; the error is for a sandbox or engine failure, or ctx ending (the command is killed then).
	Exec(ctx context.Context, req ExecRequest) (ExecResult, error)
	// WriteFiles creates or replaces files (parents are created); relative paths are under the workdir.
	// Every later call on the sandbox sees them; a backend may put off the writing until the next call
	// (the Docker backend's next exec carries the tree's files), which then reports a failure to write.
	WriteFiles(ctx context.Context, files ...File) error
	// ReadFile returns a regular file's content; a missing file is an error wrapping ErrNotExist.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// Diff is the change of the workdir since the starting commit (Spec.Base, or HEAD), untracked files
	// included and ignored files excluded, as a binary-safe git diff that `git apply` accepts; empty when
	// nothing changed.
	Diff(ctx context.Context) ([]byte, error)
	// Reset puts the workdir back to the starting commit exactly: tracked changes undone, untracked and
	// ignored files removed.
	Reset(ctx context.Context) error
	// Commit saves the sandbox's filesystem as an image named ref (empty: unnamed) and returns its id.
	// changes are Dockerfile-style config instructions (e.g. `WORKDIR /repo`).
	Commit(ctx context.Context, ref string, changes ...string) (imageID string, err error)
	// Close stops and removes the sandbox. It is idempotent.
	Close(ctx context.Context) error
}

// Provider starts sandboxes; it is what a backend offers.
type Provider interface {
	Start(ctx context.Context, spec Spec) (Sandbox, error)
}

// File is one file to write into a sandbox.
type File struct {
	Path string      // absolute, or relative to the workdir
	Data []byte      // any bytes
	Mode fs.FileMode // permission bits; 0 means 0644
}

var (
	// ErrInvalidSpec is wrapped by errors about a Spec, Limits or ExecRequest that cannot be run.
	ErrInvalidSpec = errors.New("invalid sandbox spec")
	// ErrClosed is returned by a sandbox after Close.
	ErrClosed = errors.New("sandbox closed")
	// ErrNotExist is wrapped when ReadFile's path does not exist in the sandbox.
	ErrNotExist = fs.ErrNotExist
	// ErrOutputTooLarge is wrapped when a result that must be whole (a diff) exceeds its cap.
	ErrOutputTooLarge = errors.New("output too large")
)

// CommandError is a helper command (git for Diff and Reset, say) that failed inside the sandbox.
type CommandError struct {
	Op       string // what the sandbox was doing: "diff", "reset"
	ExitCode int
	Stderr   string // trimmed, at most a few KiB
	TimedOut bool
}

func (e *CommandError) Error() string {
	if e.TimedOut {
		return fmt.Sprintf("sandbox %s: timed out: %s", e.Op, e.Stderr)
	}
	return fmt.Sprintf("sandbox %s: exit status %d: %s", e.Op, e.ExitCode, e.Stderr)
}
