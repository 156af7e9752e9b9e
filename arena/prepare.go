package arena

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/examples"
)

// Prepare builds (or reuses) each repository's image with the builder, opens its language plugin and takes
// its baseline (b.Baseline, cached; the builder's WithFlakeRuns and WithTestTimeout should be the job's
// flake_runs and test_timeout) and its per-test coverage (b.Coverage, cached with it), giving the arena's
// view of it.
func Prepare(ctx context.Context, b *repos.Builder, list []repos.Repo) ([]*Repo, error) {
	out := make([]*Repo, 0, len(list))
	for _, r := range list {
		img, err := b.Build(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", r.Name, err)
		}
		repo, err := hostRepo(ctx, b, r)
		if err != nil {
			return nil, err
		}
		repo.Image, repo.ImageID, repo.Env, repo.User = img.Ref, img.ID, img.Env, img.User
		if repo.Baseline, err = b.Baseline(ctx, r, img); err != nil {
			return nil, err
		}
		if repo.Coverage, err = b.Coverage(ctx, r, img, repo.Files, repo.Baseline); err != nil {
			return nil, err
		}
		out = append(out, repo)
	}
	return out, nil
}

// PrepareHost gives the arena's view of each repository without an image: its checkout on the host and its
// language plugin, which is all that re-grading stored runs needs (no container engine is touched; the
// builder may have none). Image, ImageID and Env stay empty.
func PrepareHost(ctx context.Context, b *repos.Builder, list []repos.Repo) ([]*Repo, error) {
	out := make([]*Repo, 0, len(list))
	for _, r := range list {
		repo, err := hostRepo(ctx, b, r)
		if err != nil {
			return nil, err
		}
		out = append(out, repo)
	}
	return out, nil
}

// hostRepo clones r (or reuses its cached checkout) and opens its language plugin.
func hostRepo(ctx context.Context, b *repos.Builder, r repos.Repo) (*Repo, error) {
	lang, co, err := b.Language(ctx, r)
	if err != nil {
		return nil, err
	}
	if co == nil {
		return nil, fmt.Errorf("%s: image-only repositories are not supported by the native agent yet (it needs the code on the host)", r.Name)
	}
	repo, err := RepoAt(ctx, lang, r.Name, co.Dir, co.Files)
	if err != nil {
		return nil, err
	}
	repo.Commit, repo.Limits, repo.Excluded = co.Commit, r.Limits.Sandbox(), r.Excluded
	repo.TestCommand, repo.Timeout = r.TestCommand, r.Limits.Timeout
	return repo, nil
}

// ReposOf lists the repositories a job config names: its built-in examples, then its manifest's entries
// (only those in Repos when that is set).
func ReposOf(cfg *JobConfig) ([]repos.Repo, error) {
	var list []repos.Repo
	for _, name := range cfg.Examples {
		if known := examples.Names(); !slices.Contains(known, name) {
			return nil, fmt.Errorf("examples: %q is not a built-in example (there are %s): fix the name", name, strings.Join(known, ", "))
		}
		list = append(list, repos.Repo{Name: name, Source: repos.Source{Example: name}})
	}
	if cfg.Manifest == "" {
		return list, nil
	}
	m, err := repos.LoadManifest(cfg.Manifest)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(m.Repos))
	for _, r := range m.Repos {
		names = append(names, r.Name)
		if len(cfg.Repos) == 0 || slices.Contains(cfg.Repos, r.Name) {
			list = append(list, r)
		}
	}
	for _, want := range cfg.Repos {
		if !slices.Contains(names, want) {
			return nil, fmt.Errorf("repos: %q is not an entry of manifest %s (it has %s): fix the name or drop it from repos",
				want, cfg.Manifest, strings.Join(names, ", "))
		}
	}
	return list, nil
}
