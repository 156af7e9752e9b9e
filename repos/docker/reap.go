package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/errdefs"
)

// ListEngine is the part of the engine client that listing and reaping containers use.
type ListEngine interface {
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ContainerRemove(ctx context.Context, id string, opts container.RemoveOptions) error
}

// Info describes one ssr container.
type Info struct {
	ID      string
	Image   string
	Owner   string // the raw ssr.owner label
	Job     string
	Role    string
	State   string // running, exited, ...
	Created time.Time
	Orphan  bool // the owner is on this host and gone
}

// LapsedFunc reports whether the store says an owner has lost its job: another process holds the job's
// lease, or the owner's own lease has expired (see the arena store's OwnerLapsed). It lets the reaper
// judge owners that /proc cannot: a process on another host, or one that hangs. Wire it with
// WithLapsed.
type LapsedFunc func(ctx context.Context, job, owner string) (bool, error)

// ReapOption changes how List and Reap judge owners.
type ReapOption func(*reapConfig)

type reapConfig struct{ lapsed LapsedFunc }

// WithLapsed makes a container an orphan also when lapsed says that its owner has lost the container's
// job, on any host. An error from lapsed leaves the container alone: List and Reap still return every
// container (Reap removes the others) together with the error.
func WithLapsed(lapsed LapsedFunc) ReapOption { return func(c *reapConfig) { c.lapsed = lapsed } }

// List returns every container that carries an ssr.owner label, on any host; job filters by ssr.job when
// not empty.
func List(ctx context.Context, cli ListEngine, job string, opts ...ReapOption) ([]Info, error) {
	var cfg reapConfig
	for _, o := range opts {
		o(&cfg)
	}
	f := filters.NewArgs(filters.Arg("label", LabelOwner))
	if job != "" {
		f.Add("label", LabelJob+"="+job)
	}
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list ssr containers: %w", err)
	}
	host, _ := os.Hostname()
	out := make([]Info, 0, len(cs))
	var errs []error
	for _, c := range cs {
		info := Info{
			ID: c.ID, Image: c.Image, Owner: c.Labels[LabelOwner], Job: c.Labels[LabelJob], Role: c.Labels[LabelRole],
			State: string(c.State), Created: time.Unix(c.Created, 0),
		}
		o, err := ParseOwner(info.Owner)
		if err != nil {
			out = append(out, info) // not ours to judge
			continue
		}
		info.Orphan = !o.Alive(host)
		if !info.Orphan && cfg.lapsed != nil && info.Job != "" {
			lapsed, err := cfg.lapsed(ctx, info.Job, info.Owner)
			if err != nil {
				errs = append(errs, fmt.Errorf("lease of job %s (container %.12s left alone): %w", info.Job, info.ID, err))
			}
			info.Orphan = lapsed && err == nil
		}
		out = append(out, info)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("list ssr containers: %w", errors.Join(errs...))
	}
	return out, nil
}

// Reap removes the containers whose owner process ran on this host and is gone (a pid that no longer
// exists, a zombie, or a pid reused by a process with another start time), and with WithLapsed those
// whose owner has lost its job's lease. Containers of live processes, of other hosts and with unreadable
// owner labels are left alone. It returns how many it removed; run it when a job starts (after taking
// the job's lease) and from `ssr sandbox reap`.
func Reap(ctx context.Context, cli ListEngine, opts ...ReapOption) (int, error) {
	infos, err := List(ctx, cli, "", opts...)
	if infos == nil && err != nil {
		return 0, fmt.Errorf("reap: %w", err)
	}
	removed := 0
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, info := range infos {
		if !info.Orphan {
			continue
		}
		err := cli.ContainerRemove(ctx, info.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			removed++
		case errdefs.IsNotFound(err) || errdefs.IsConflict(err):
			// Gone already, or being removed by someone else.
		default:
			errs = append(errs, fmt.Errorf("remove %.12s (owner %s): %w", info.ID, info.Owner, err))
		}
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("reap: %w", errors.Join(errs...))
	}
	return removed, nil
}
