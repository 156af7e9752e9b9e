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

// List returns every container that carries an ssr.owner label, on any host; job filters by ssr.job when
// not empty.
func List(ctx context.Context, cli ListEngine, job string) ([]Info, error) {
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
	for _, c := range cs {
		info := Info{
			ID: c.ID, Image: c.Image, Owner: c.Labels[LabelOwner], Job: c.Labels[LabelJob], Role: c.Labels[LabelRole],
			State: string(c.State), Created: time.Unix(c.Created, 0),
		}
		if o, err := ParseOwner(info.Owner); err == nil {
			info.Orphan = !o.Alive(host)
		}
		out = append(out, info)
	}
	return out, nil
}

// Reap removes the containers whose owner process ran on this host and is gone (a pid that no longer
// exists, or one reused by a process with another start time). Containers of live processes, of other
// hosts and with unreadable owner labels are left alone. It returns how many it removed; run it when a
// job starts and from `ssr sandbox reap`.
func Reap(ctx context.Context, cli ListEngine) (int, error) {
	infos, err := List(ctx, cli, "")
	if err != nil {
		return 0, fmt.Errorf("reap: %w", err)
	}
	removed := 0
	var errs []error
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
