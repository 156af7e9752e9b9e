package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Engine is the part of the engine client that sandboxes use; *client.Client satisfies it.
type Engine interface {
	ContainerCreate(ctx context.Context, config *container.Config, host *container.HostConfig, net *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, id string, opts container.StartOptions) error
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
	ContainerExecCreate(ctx context.Context, id string, opts container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, opts container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
	CopyToContainer(ctx context.Context, id, dst string, content io.Reader, opts container.CopyToContainerOptions) error
	CopyFromContainer(ctx context.Context, id, src string) (io.ReadCloser, container.PathStat, error)
	ContainerCommit(ctx context.Context, id string, opts container.CommitOptions) (container.CommitResponse, error)
}

// ErrImageNotFound is wrapped when a sandbox's image does not exist on the engine (nothing is pulled).
var ErrImageNotFound = errors.New("image not found")

// Provider starts sandboxes on a Docker Engine. It is safe for concurrent use.
type Provider struct {
	cli    Engine
	budget *Budget
	owner  Owner
	now    func() time.Time
	pool   *warmPool // nil unless WithWarmPool
}

var _ sandbox.Provider = (*Provider)(nil)

// Option configures a Provider.
type Option func(*Provider)

// WithBudget bounds the provider's running sandboxes by b (shared with whoever else holds b) instead of
// the process-wide default budget.
func WithBudget(b *Budget) Option { return func(p *Provider) { p.budget = b } }

// WithOwner labels containers with o instead of the calling process; for tests of the reaper.
func WithOwner(o Owner) Option { return func(p *Provider) { p.owner = o } }

// New returns a provider that starts sandboxes through cli.
func New(cli Engine, opts ...Option) (*Provider, error) {
	self, err := Self()
	if err != nil {
		return nil, err
	}
	p := &Provider{cli: cli, budget: defaultBudget, owner: self, now: time.Now}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// closeTimeout bounds the removal of a container, which runs even when the caller's ctx has ended.
const closeTimeout = 30 * time.Second

// Start starts a sandbox for spec: it waits for a slot in the budget, creates a hardened, labelled container
// whose main process idles, and starts it. The caller must Close the sandbox.
func (p *Provider) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec = spec.WithDefaults()
	cfg, host := ContainerConfig(spec, p.owner)
	var pcfg *container.Config
	var phost *container.HostConfig
	if p.pool != nil {
		// A pooled container is made for any role (labelled RoleWarm): a job's roles differ in nothing
		// else, so one pool serves the injector, the solver and the test runs alike.
		pspec := spec
		pspec.Role = RoleWarm
		pcfg, phost = ContainerConfig(pspec, p.owner)
		key := poolKey(pcfg, phost)
		id, err := p.acquire(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("start sandbox from %s: %w", spec.Image, err)
		}
		if id != "" { // the pooled container's budget slot passes to the sandbox
			p.pool.fill(p, key, pcfg, phost)
			return &container_{p: p, id: id, spec: spec}, nil
		}
	} else if _, err := p.acquire(ctx, ""); err != nil {
		return nil, fmt.Errorf("start sandbox from %s: %w", spec.Image, err)
	}
	// Create and start are not cut short by ctx: a request cancelled half-way can leave a container the
	// engine made but whose id never reached us. They are quick; ctx is checked once they are done.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startTimeout)
	defer cancel()
	created, err := p.cli.ContainerCreate(mctx, cfg, host, nil, nil, "")
	if err != nil {
		p.budget.Release()
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("start sandbox: %w: %s (build it first, e.g. with `ssr image bootstrap`, or name another)", ErrImageNotFound, spec.Image)
		}
		return nil, fmt.Errorf("start sandbox from %s: create container: %w", spec.Image, err)
	}
	s := &container_{p: p, id: created.ID, spec: spec}
	if err := p.cli.ContainerStart(mctx, created.ID, container.StartOptions{}); err != nil {
		s.Close(mctx)
		return nil, fmt.Errorf("start sandbox from %s: start container %.12s: %w", spec.Image, created.ID, err)
	}
	if err := ctx.Err(); err != nil {
		s.Close(mctx)
		return nil, fmt.Errorf("start sandbox from %s: %w", spec.Image, err)
	}
	if p.pool != nil {
		p.pool.fill(p, poolKey(pcfg, phost), pcfg, phost)
	}
	return s, nil
}

// acquire gets a Start its container's budget slot. With a warm pool and a key, it hands out a pooled
// container of that configuration whenever one is idle (its id; the slot comes with it), looking again
// while it waits: one being made for the key is worth waiting for. Otherwise it takes a free slot, else one
// an idle pooled container of another configuration gives up (it is removed first), else the first to
// come free; the id is then "". A slot that pooled containers being made hold comes free when they are
// idle, so the wait looks again now and then.
func (p *Provider) acquire(ctx context.Context, key string) (string, error) {
	for {
		if p.pool != nil && key != "" {
			if id := p.pool.take(ctx, p, key); id != "" {
				return id, nil
			}
		}
		if p.budget.TryAcquire() {
			return "", nil
		}
		if p.pool == nil {
			return "", p.budget.Acquire(ctx)
		}
		if !p.pool.making(key) && p.pool.evictOne(ctx, p) {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, acquirePoll)
		err := p.budget.Acquire(wctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return "", err
		}
	}
}

// release gives a container's budget slot back, and lets the warm pool make up for what it handed out
// while the budget was full.
func (p *Provider) release() {
	p.budget.Release()
	if p.pool != nil {
		p.pool.topUp(p)
	}
}

// acquirePoll is how often a Start waiting for a slot looks for an idle pooled container to remove.
const acquirePoll = 50 * time.Millisecond

// Close removes the containers that the warm pool (WithWarmPool) holds, after waiting for those being made.
// Sandboxes already started are left to their own Close. Start still works afterwards, without a pool.
func (p *Provider) Close(ctx context.Context) error {
	if p.pool == nil {
		return nil
	}
	return p.pool.close(ctx, p)
}

// startTimeout bounds the creation and start of one container.
const startTimeout = 2 * time.Minute

// removeContainer force-removes a container (SIGKILL, no stop timeout) with its anonymous volumes; one
// that is gone already is not an error.
func (p *Provider) removeContainer(ctx context.Context, id string) error {
	err := p.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("remove sandbox container %.12s: %w (`ssr sandbox reap` removes it once this process exits)", id, err)
	}
	return nil
}

// ContainerConfig is the hardened container configuration for spec (defaults filled), labelled for owner:
// no network, all capabilities dropped, no-new-privileges, pids, memory (swap included) and CPU limits,
// writable tmpfs mounts at /tmp and /var/tmp (each of Limits.TmpfsSize, and counted against the memory
// limit), an init process as PID 1 that reaps orphans, and an idle main process.
//
// The rest of the container's writable layer has no size limit of its own: the engine can only cap it
// (--storage-opt size) on overlay2 over xfs with pquota, btrfs or zfs, and the machines ssr is built on
// use other drivers (fuse-overlayfs, overlay2 on ext4). The two temporary directories, where tools
// write large scratch files, are therefore tmpfs mounts whose size is capped, and /repo is bounded
// by the engine's disk.
func ContainerConfig(spec sandbox.Spec, owner Owner) (*container.Config, *container.HostConfig) {
	spec = spec.WithDefaults()
	l := spec.Limits
	cfg := &container.Config{
		Image:      spec.Image,
		Entrypoint: []string{"sleep", "infinity"},
		Env:        spec.Env,
		WorkingDir: spec.Workdir,
		User:       spec.User,
		Labels: map[string]string{
			LabelOwner: owner.String(),
			LabelJob:   spec.Job,
			LabelRole:  spec.Role,
		},
	}
	pids := l.Pids
	init := true
	host := &container.HostConfig{
		NetworkMode: "none",
		CapDrop:     []string{"ALL"},
		CapAdd:      l.CapAdd,
		SecurityOpt: []string{"no-new-privileges"},
		Init:        &init,
		Tmpfs:       tmpfsMounts(l.TmpfsSize),
		LogConfig:   container.LogConfig{Type: "none"},
		Resources: container.Resources{
			Memory:     l.Memory,
			MemorySwap: l.Memory,
			NanoCPUs:   l.NanoCPUs,
			PidsLimit:  &pids,
		},
	}
	if l.Network {
		host.NetworkMode = "default"
	}
	if l.AllowNewPrivileges {
		host.SecurityOpt = nil
	}
	return cfg, host
}

// tmpfsDirs are the sandbox's capped tmpfs mounts; the engine's archive API cannot reach them.
var tmpfsDirs = []string{"/tmp", "/var/tmp"}

func tmpfsMounts(size int64) map[string]string {
	m := make(map[string]string, len(tmpfsDirs))
	for _, d := range tmpfsDirs {
		m[d] = fmt.Sprintf("rw,exec,nosuid,nodev,size=%d", size)
	}
	return m
}

// imageRemover is the engine call behind RemoveImage.
type imageRemover interface {
	ImageRemove(ctx context.Context, ref string, opts image.RemoveOptions) ([]image.DeleteResponse, error)
}

// RemoveImage deletes an image (one that Commit made, say), after removing the warm pool's containers made
// from it. Removing an image that does not exist is not an error.
func (p *Provider) RemoveImage(ctx context.Context, ref string) error {
	rm, ok := p.cli.(imageRemover)
	if !ok {
		return fmt.Errorf("remove image %s: this engine client cannot remove images", ref)
	}
	if p.pool != nil {
		// The warm pool's idle containers of that image would keep it in use.
		if err := p.pool.drop(ctx, p, ref); err != nil {
			return fmt.Errorf("remove image %s: %w", ref, err)
		}
	}
	_, err := rm.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true})
	if err != nil && errdefs.IsConflict(err) && p.pool != nil {
		// The pool may know the image by another name: empty it and try once more.
		if derr := p.pool.drop(ctx, p, ""); derr != nil {
			return fmt.Errorf("remove image %s: %w", ref, derr)
		}
		_, err = rm.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true})
	}
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("remove image %s: %w", ref, err)
	}
	return nil
}
