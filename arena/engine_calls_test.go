package arena

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// callCounter is the real engine client, counting the calls made through it by operation and the time
// they took (until the engine answered: an exec's attach answers at once, its command runs after).
type callCounter struct {
	*client.Client
	mu    sync.Mutex
	calls map[string]int
	took  map[string]time.Duration
}

func newCallCounter(cli *client.Client) *callCounter {
	return &callCounter{Client: cli, calls: map[string]int{}, took: map[string]time.Duration{}}
}

// count counts a call to op; call the function it returns when the engine has answered.
func (c *callCounter) count(op string) func() {
	start := time.Now()
	c.mu.Lock()
	c.calls[op]++
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.took[op] += time.Since(start)
		c.mu.Unlock()
	}
}

// timings lists the time spent in each operation, e.g. "ContainerStart 12.3s".
func (c *callCounter) timings() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.took)) {
		parts = append(parts, fmt.Sprintf("%s %s", strings.TrimPrefix(k, "Container"), c.took[k].Round(10*time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

// snapshot returns the counts so far and their total.
func (c *callCounter) snapshot() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for _, n := range c.calls {
		total += n
	}
	return maps.Clone(c.calls), total
}

// String lists the counts, e.g. "ContainerCreate 3, ContainerExecCreate 9".
func (c *callCounter) String() string {
	m, total := c.snapshot()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", strings.TrimPrefix(k, "Container"), m[k]))
	}
	return fmt.Sprintf("%d calls (%s)", total, strings.Join(parts, ", "))
}

func (c *callCounter) ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig, net *network.NetworkingConfig, pl *ocispec.Platform, name string) (container.CreateResponse, error) {
	defer c.count("ContainerCreate")()
	return c.Client.ContainerCreate(ctx, cfg, host, net, pl, name)
}

func (c *callCounter) ContainerStart(ctx context.Context, id string, opts container.StartOptions) error {
	defer c.count("ContainerStart")()
	return c.Client.ContainerStart(ctx, id, opts)
}

func (c *callCounter) ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error {
	defer c.count("ContainerRemove")()
	return c.Client.ContainerRemove(ctx, id, opts)
}

func (c *callCounter) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	defer c.count("ContainerInspect")()
	return c.Client.ContainerInspect(ctx, id)
}

func (c *callCounter) ContainerExecCreate(ctx context.Context, id string, opts container.ExecOptions) (container.ExecCreateResponse, error) {
	defer c.count("ContainerExecCreate")()
	return c.Client.ContainerExecCreate(ctx, id, opts)
}

func (c *callCounter) ContainerExecAttach(ctx context.Context, id string, opts container.ExecAttachOptions) (types.HijackedResponse, error) {
	defer c.count("ContainerExecAttach")()
	return c.Client.ContainerExecAttach(ctx, id, opts)
}

func (c *callCounter) ContainerExecInspect(ctx context.Context, id string) (container.ExecInspect, error) {
	defer c.count("ContainerExecInspect")()
	return c.Client.ContainerExecInspect(ctx, id)
}

func (c *callCounter) CopyToContainer(ctx context.Context, id, dst string, content io.Reader, opts container.CopyToContainerOptions) error {
	defer c.count("CopyToContainer")()
	return c.Client.CopyToContainer(ctx, id, dst, content, opts)
}

func (c *callCounter) CopyFromContainer(ctx context.Context, id, src string) (io.ReadCloser, container.PathStat, error) {
	defer c.count("CopyFromContainer")()
	return c.Client.CopyFromContainer(ctx, id, src)
}
