package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// container_ is a sandbox backed by one container. (The name avoids the engine's container package.)
type container_ struct {
	p    *Provider
	id   string
	spec sandbox.Spec

	mu      sync.Mutex
	closed  bool
	oomSeen int64      // the cgroup's oom_kill counter as last read
	own     *fileOwner // the numeric ids of spec.User, once known
	// deferred: files WriteFiles keeps for the next exec (see deferred.go), absolute paths; noCarry: the
	// sandbox's user could not unpack them once, so every write goes through the engine.
	deferred []sandbox.File
	noCarry  bool
}

var _ sandbox.Sandbox = (*container_)(nil)

func (s *container_) ID() string { return s.id }

func (s *container_) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *container_) errClosed(op string) error {
	return fmt.Errorf("%s in sandbox %.12s: %w", op, s.id, sandbox.ErrClosed)
}

// Close removes the container (killing what runs in it) and gives the budget slot back. It uses a context
// of its own when ctx has ended, so that cancelling a job still removes its containers.
func (s *container_) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.deferred = nil
	s.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	err := s.p.removeContainer(rctx, s.id)
	s.p.release()
	return err
}

// Commit saves the container's filesystem as an image. The image is marked ssr.kind=commit and the
// owner, job and role labels that it would inherit from the container are blanked, so that containers made
// from it by other tools are not mistaken for ssr's.
func (s *container_) Commit(ctx context.Context, ref string, changes ...string) (string, error) {
	if s.isClosed() {
		return "", s.errClosed("commit")
	}
	if err := s.flush(ctx); err != nil {
		return "", err
	}
	resp, err := s.p.cli.ContainerCommit(ctx, s.id, container.CommitOptions{
		Reference: ref,
		Comment:   "ssr sandbox commit",
		Changes:   changes,
		Pause:     true,
		Config: &container.Config{Labels: map[string]string{
			LabelKind: "commit", LabelOwner: "", LabelJob: "", LabelRole: "",
		}},
	})
	if err != nil {
		if errdefs.IsInvalidParameter(err) {
			return "", fmt.Errorf("commit sandbox %.12s as %q: %w (check the reference and the change instructions)", s.id, ref, err)
		}
		return "", fmt.Errorf("commit sandbox %.12s as %q: %w", s.id, ref, err)
	}
	return resp.ID, nil
}

// engineErr adds the sandbox to an engine error and recognises a container that is gone.
func (s *container_) engineErr(op string, err error) error {
	if errdefs.IsNotFound(err) || errdefs.IsConflict(err) {
		return fmt.Errorf("%s in sandbox %.12s: container gone or stopped: %w", op, s.id, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s in sandbox %.12s: %w", op, s.id, err)
	}
	return fmt.Errorf("%s in sandbox %.12s: %w", op, s.id, err)
}
