package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/patches"
)

// The exports of 'ssr export JOB' other than trajectories: exportSWEBench (--format swebench, JSONL to
// --out or stdout) and exportArtifacts (--format artifacts, one directory per bug under --out). Both take an
// exportFilter, which the command fills from its flags with newExportFilter:
//
//	--solve-rate MIN:MAX   the bug's solve rate, inclusive; either side may be empty (0.1:0.9, :0.5, 0.25)
//	--order N              1 or 2
//	--repo NAME            the repository's name in the job
//	--strategy NAME        the injector's strategy (mutation, removal, history, direct, …)

// exportFilter selects the valid bugs an export writes; the zero value selects all of them.
type exportFilter struct {
	MinSolveRate, MaxSolveRate *float64 // a bound excludes bugs not yet finished (no solve rate)
	Order                      int
	Repo                       string
	Strategy                   string
}

// newExportFilter reads the export command's filter flags.
func newExportFilter(solveRate string, order int, repo, strategy string) (exportFilter, error) {
	f := exportFilter{Order: order, Repo: repo, Strategy: strategy}
	if order != 0 && order != 1 && order != 2 {
		return f, fmt.Errorf("--order %d: want 1 or 2", order)
	}
	var err error
	f.MinSolveRate, f.MaxSolveRate, err = parseRange("--solve-rate", solveRate)
	return f, err
}

func (f exportFilter) store() store.BugFilter {
	return store.BugFilter{Repo: f.Repo, Strategy: f.Strategy, Order: f.Order, MinSolveRate: f.MinSolveRate, MaxSolveRate: f.MaxSolveRate}
}

// exportedBug is one valid bug with everything an export writes about it.
type exportedBug struct {
	Bug      store.Bug
	Artifact store.Artifact
	Parts    *artifact.Artifact // the artifact's five parts
	Repo     store.Repo
	BugDiff  *patches.Patch
	Weaken   *patches.Patch // the weakening diff
	Parent   *patches.Patch // order 2: the failed prediction applied on top; nil for order 1
}

// setup is what turns the repository at its commit into the bug's state as a solver meets it: the bug diff,
// the weakening and, for order 2, the parent's prediction, applied in that order.
func (b *exportedBug) setup() *patches.Patch {
	p := &patches.Patch{}
	for _, q := range []*patches.Patch{b.BugDiff, b.Weaken, b.Parent} {
		if q != nil {
			p.Files = append(p.Files, q.Files...)
		}
	}
	return p
}

// fix is the gold patch: it undoes the parent's prediction and then the bug diff (the reverse of applying the
// bug diff then the prediction), so that applied to the bug's state it restores the original source files.
func (b *exportedBug) fix() *patches.Patch {
	p := &patches.Patch{Files: slices.Clone(b.BugDiff.Files)}
	if b.Parent != nil {
		p.Files = append(p.Files, b.Parent.Files...)
	}
	return patches.Reverse(p)
}

// spec is what the solver is told, the hidden tests as a diff: the reverse of the weakening.
func (b *exportedBug) spec() *patches.Patch { return patches.Reverse(b.Weaken) }

// exportBugs loads the bugs of job that f selects, oldest first.
func exportBugs(ctx context.Context, st *store.Store, job string, f exportFilter) ([]exportedBug, error) {
	if _, err := st.GetJob(ctx, job); err != nil {
		return nil, err
	}
	list, err := st.ListBugs(ctx, job, f.store())
	if err != nil {
		return nil, err
	}
	rs, err := st.Repos(ctx, job)
	if err != nil {
		return nil, err
	}
	repos := map[string]store.Repo{}
	for _, r := range rs {
		repos[r.Name] = r
	}
	out := make([]exportedBug, 0, len(list))
	for _, eb := range list {
		x := exportedBug{Bug: eb.Bug, Artifact: eb.Artifact, Repo: repos[eb.Bug.Repo]}
		what := fmt.Sprintf("export bug %s (artifact %s)", eb.Bug.ID, eb.Artifact.ID)
		if x.Parts, err = artifact.UnmarshalJSON("artifact "+eb.Artifact.ID, eb.Artifact.Parts); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if x.BugDiff, err = patches.ParseBytes([]byte(x.Parts.BugDiff)); err != nil {
			return nil, fmt.Errorf("%s: bug diff: %w", what, err)
		}
		if x.Weaken, err = patches.ParseBytes([]byte(x.Parts.WeakenDiff)); err != nil {
			return nil, fmt.Errorf("%s: weakening diff: %w", what, err)
		}
		if eb.Bug.Order == 2 {
			if x.Parent, err = parentPrediction(ctx, st, eb.Bug); err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// parentPrediction is the failed prediction an order-2 bug was made from.
func parentPrediction(ctx context.Context, st *store.Store, b store.Bug) (*patches.Patch, error) {
	atts, err := st.Attempts(ctx, b.ParentBug)
	if err != nil {
		return nil, err
	}
	for _, a := range atts {
		if a.ID == b.ParentAttempt {
			p, err := patches.ParseBytes([]byte(a.Prediction))
			if err != nil {
				return nil, fmt.Errorf("parent attempt %s: prediction: %w", a.ID, err)
			}
			return p, nil
		}
	}
	return nil, fmt.Errorf("parent attempt %s of bug %s not found", b.ParentAttempt, b.ParentBug)
}
