package arena

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/selfplay-swe/ssr/repos/docker"
)

// countingEngine is the real engine client, counting the containers that exist: created and not yet removed.
type countingEngine struct {
	*client.Client
	mu         sync.Mutex
	live, most int
}

func (e *countingEngine) ContainerCreate(ctx context.Context, cfg *container.Config, host *container.HostConfig, net *network.NetworkingConfig, pl *ocispec.Platform, name string) (container.CreateResponse, error) {
	// Counted before the engine is asked, so that a third container is seen even if it lives briefly.
	e.mu.Lock()
	e.live++
	e.most = max(e.most, e.live)
	e.mu.Unlock()
	resp, err := e.Client.ContainerCreate(ctx, cfg, host, net, pl, name)
	if err != nil {
		e.mu.Lock()
		e.live--
		e.mu.Unlock()
	}
	return resp, err
}

func (e *countingEngine) ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error {
	err := e.Client.ContainerRemove(ctx, id, opts)
	if err == nil {
		e.mu.Lock()
		e.live--
		e.mu.Unlock()
	}
	return err
}

// TestJobContainersCap: arena.containers caps the containers alive at once during a job, warm pool
// included, counted through the engine: with containers: 2 (parallel validation runs, parallel attempts, a
// warm pool of 1 per kind) a third never exists.
func TestJobContainersCap(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job")
	}
	f := withExamples(t)
	cfg := e2eConfig()
	cfg.Limits = Limits{Bugs: 1, Proposed: 3, WallTime: 10 * time.Minute}
	cfg.Arena.Containers, cfg.Arena.WarmPool, cfg.Arena.Order2Share = 2, 1, 0
	eng := &countingEngine{Client: f.cli}
	owner, err := docker.Self()
	if err != nil {
		t.Fatal(err)
	}
	p, err := docker.New(eng, docker.WithBudget(docker.NewBudget(cfg.Arena.Containers)), docker.WithOwner(owner), docker.WithWarmPool(cfg.Arena.WarmPool))
	if err != nil {
		t.Fatal(err)
	}
	a := New(p, f.job, cfg.Arena, nil)
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	r := newRunner(a, st, map[string]*Repo{"pyledger": f.repos["pyledger"]}, cfg)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := st.Counts(context.Background(), f.job)
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if eng.most > cfg.Arena.Containers {
		t.Fatalf("%d containers existed at once, with containers: %d", eng.most, cfg.Arena.Containers)
	}
	if c.Attempts == 0 || eng.most < 2 {
		t.Fatalf("the job did too little to tell (counts %+v, at most %d containers at once)", c, eng.most)
	}
	if eng.live != 0 {
		t.Fatalf("%d containers left after the job", eng.live)
	}
}
