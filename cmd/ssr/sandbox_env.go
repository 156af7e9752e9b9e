package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/client"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// sandboxEnv is what runs episodes on prepared repositories, for `ssr run` and `ssr policy eval` alike: the
// engine, one container budget (arena.containers: every container alive at once, baselines, episodes, test
// runs and the warm pool's included) with a provider drawing on it, the plugin host, and the builder whose
// baselines are `ssr repos test`'s (the same code, cache, flake runs and time limit).
type sandboxEnv struct {
	cli      *client.Client
	budget   *docker.Budget
	provider *docker.Provider
	host     *plugin.Host
	builder  *repos.Builder
	reap     []docker.ReapOption
}

// openSandboxEnv connects to the engine and first removes the sandboxes that processes now gone left
// (reap adds other orphans, such as those of a lapsed job lease). Close undoes it.
func openSandboxEnv(ctx context.Context, out io.Writer, cfg arena.Config, owner docker.Owner, reap ...docker.ReapOption) (*sandboxEnv, error) {
	cli, err := docker.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if n, err := docker.Reap(ctx, cli, reap...); err != nil {
		cli.Close()
		return nil, fmt.Errorf("reap sandboxes of dead processes: %w", err)
	} else if n > 0 {
		fmt.Fprintf(out, "removed %d sandbox(es) left by processes that are gone\n", n)
	}
	// A process killed with SIGKILL takes its plugins with it, but not what they started: stop that first.
	if n, err := plugin.Reap(); err != nil {
		cli.Close()
		return nil, err
	} else if n > 0 {
		fmt.Fprintf(out, "stopped %d process(es) left by the plugins of processes that are gone\n", n)
	}
	// arena.containers is the one budget: every container of the job (baselines, episodes, test runs, the
	// warm pool) comes from this provider and counts against it.
	budget := docker.NewBudget(cfg.Containers)
	provider, err := docker.New(cli, docker.WithBudget(budget), docker.WithOwner(owner), docker.WithWarmPool(cfg.WarmPool))
	if err != nil {
		cli.Close()
		return nil, err
	}
	host := plugin.NewHost()
	builder := repos.NewBuilder(cli, provider, repos.HostLanguages{Host: host}, repos.WithProgress(out),
		repos.WithFlakeRuns(cfg.FlakeRuns), repos.WithTestTimeout(cfg.TestTimeout))
	return &sandboxEnv{cli: cli, budget: budget, provider: provider, host: host, builder: builder, reap: reap}, nil
}

// Close removes the warm pool's idle containers, stops the plugins and reaps once more: a dead process's
// container may reach the engine after the first reap (its create was in flight when it was killed), and
// this process must not outlive it.
func (e *sandboxEnv) Close(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	e.provider.Close(ctx)
	e.host.Close()
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, _ = docker.Reap(rctx, e.cli, e.reap...)
	e.cli.Close()
}
