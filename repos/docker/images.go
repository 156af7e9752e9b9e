package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/errdefs"
)

// ImageInfo describes one ssr image (any image labelled ssr.kind).
type ImageInfo struct {
	ID      string
	Tags    []string
	Kind    string // base, repo, commit
	Size    int64
	Created time.Time
	Recipe  string // the recipe's summary, for base images
}

// ImageListEngine is the part of the engine client that lists and removes images.
type ImageListEngine interface {
	ImageList(ctx context.Context, opts image.ListOptions) ([]image.Summary, error)
	ImageRemove(ctx context.Context, ref string, opts image.RemoveOptions) ([]image.DeleteResponse, error)
}

// ListImages returns ssr's images, newest first.
func ListImages(ctx context.Context, cli ImageListEngine) ([]ImageInfo, error) {
	sums, err := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelKind))})
	if err != nil {
		return nil, fmt.Errorf("list ssr images: %w", err)
	}
	out := make([]ImageInfo, 0, len(sums))
	for _, s := range sums {
		info := ImageInfo{ID: s.ID, Tags: s.RepoTags, Kind: s.Labels[LabelKind], Size: s.Size, Created: time.Unix(s.Created, 0)}
		var r Recipe
		if raw := s.Labels["ssr.recipe"]; raw != "" && json.Unmarshal([]byte(raw), &r) == nil {
			info.Recipe = r.Summary()
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// RemoveImage removes one image by reference or id; a missing image is an error naming it.
func RemoveImage(ctx context.Context, cli ImageListEngine, ref string) error {
	if _, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil {
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("remove image %s: no such image (see `ssr image ls`)", ref)
		}
		if errdefs.IsConflict(err) {
			return fmt.Errorf("remove image %s: in use: %v (close its sandboxes first, or `ssr sandbox reap`)", ref, err)
		}
		return fmt.Errorf("remove image %s: %w", ref, err)
	}
	return nil
}
