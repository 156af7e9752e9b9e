package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
)

// exportArtifacts writes one artifact directory per valid bug of job that f selects, named after the bug,
// under dir (created if needed), in the layout 'ssr artifact check' and the validator read. An order-2 bug's
// bug_inject.diff is its parent's bug diff followed by the failed prediction that made it order 2, so that
// the directory alone rebuilds the bug's state; its metadata keeps order 2 and the parent bug.
func exportArtifacts(ctx context.Context, st *store.Store, job string, f exportFilter, dir string) error {
	bugs, err := exportBugs(ctx, st, job, f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export artifacts: %w", err)
	}
	for i := range bugs {
		b := &bugs[i]
		a := *b.Parts
		if b.Parent != nil {
			a.BugDiff = b.BugDiff.String() + b.Parent.String()
		}
		a.Meta = artifact.Metadata{Repo: b.Bug.Repo, ImageDigest: b.Repo.ImageID, Strategy: b.Artifact.Strategy,
			Order: b.Bug.Order, ParentBug: b.Bug.ParentBug, PolicyVersion: int(b.Artifact.PolicyVersion),
			Agent: b.Artifact.Agent, Description: a.Meta.Description, Stage: a.Meta.Stage}
		if err := artifact.Save(&a, filepath.Join(dir, b.Bug.ID)); err != nil {
			return fmt.Errorf("export bug %s: %w", b.Bug.ID, err)
		}
	}
	return nil
}
