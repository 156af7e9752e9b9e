package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos"
)

// policyCmd groups the commands about the shared policy's versions: freezing a held-out bug set, measuring a
// version on it, and measuring offline how training carries over to unseen bugs.
var policyCmd = &cobra.Command{
	Use:   "policy",
	Short: "Freeze a held-out bug set (freeze), measure a policy version's solve rate on it (eval), check transfer offline (transfer)",
}

func init() {
	var dbPath, outPath, solveRate, repo, strategy string
	var order, limit int
	cmd := &cobra.Command{
		Use:   "freeze JOB --out SET",
		Short: "Freeze a job's valid bugs, with their repositories' identity, into a set that 'ssr policy eval' reads",
		Long: `Freeze valid bugs of JOB into one JSON file: each bug's artifact, F2P and P2P tests (and for order 2 the
failed prediction on top), each repository's config entry with the commit and image it had, and the job's
arena settings. 'ssr policy eval CHECKPOINT --bugs SET' attempts them again in fresh sandboxes. By default the
set holds the job's first-order bugs, oldest first; --limit keeps the first N of those the filters select.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if outPath == "" {
				return usageError{errors.New("freeze needs --out FILE, where the set is written")}
			}
			if limit < 0 {
				return usageError{fmt.Errorf("--limit %d: give a positive number of bugs, or 0 for all", limit)}
			}
			filter, err := newExportFilter(solveRate, order, repo, strategy)
			if err != nil {
				return usageError{err}
			}
			st, err := openDB(cmd.Context(), dbPath)
			if err != nil {
				return err
			}
			defer st.Close()
			desc := describeFreeze(cmd, limit)
			set, err := freezeBugs(cmd.Context(), st, args[0], filter, limit, desc)
			if err != nil {
				return err
			}
			if err := set.write(outPath); err != nil {
				return fmt.Errorf("freeze: write %s: %w", outPath, err)
			}
			printSetSummary(cmd.OutOrStdout(), set, outPath)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dbPath, "db", "", "the job database (default: jobs.db in ssr's cache directory)")
	f.StringVar(&outPath, "out", "", "the file to write the set to")
	f.IntVar(&order, "order", 1, "only bugs of this order: 1 or 2 (0: both)")
	f.IntVar(&limit, "limit", 0, "keep at most this many bugs, the oldest first (0: all)")
	f.StringVar(&solveRate, "solve-rate", "", "only bugs whose solve rate in the job is in MIN:MAX (inclusive)")
	f.StringVar(&repo, "repo", "", "only this repository's bugs")
	f.StringVar(&strategy, "strategy", "", "only bugs of this injector strategy")
	policyCmd.AddCommand(cmd)
	rootCmd.AddCommand(policyCmd)
}

// describeFreeze records the flags that chose a set's bugs.
func describeFreeze(cmd *cobra.Command, limit int) string {
	var parts []string
	for _, name := range []string{"order", "solve-rate", "repo", "strategy"} {
		if fl := cmd.Flags().Lookup(name); fl != nil && (fl.Changed || name == "order") {
			parts = append(parts, "--"+name+" "+fl.Value.String())
		}
	}
	if limit > 0 {
		parts = append(parts, fmt.Sprintf("--limit %d", limit))
	}
	return strings.Join(parts, " ")
}

// freezeBugs gathers the set: the bugs of job that f selects (the first limit of them, when limit > 0),
// the job's repositories as its config declares them with the identity the job recorded, and its arena
// settings.
func freezeBugs(ctx context.Context, st *store.Store, job string, f exportFilter, limit int, desc string) (*bugSet, error) {
	j, err := st.GetJob(ctx, job)
	if err != nil {
		return nil, err
	}
	cfg, err := arena.ParseJobConfig("job "+job, []byte(j.Config))
	if err != nil {
		return nil, err
	}
	bugs, err := exportBugs(ctx, st, job, f)
	if err != nil {
		return nil, err
	}
	if limit > 0 && len(bugs) > limit {
		bugs = bugs[:limit]
	}
	if len(bugs) == 0 {
		return nil, fmt.Errorf("freeze: job %s has no valid bugs that %s selects: let the job make more, or loosen the filters", job, desc)
	}
	list, err := arena.ReposOf(cfg)
	if err != nil {
		return nil, fmt.Errorf("freeze: the repositories of job %s: %w", job, err)
	}
	set := &bugSet{Format: bugSetFormat, Job: job, Filter: desc, Created: time.Now().UTC(), Arena: cfg.Arena,
		Stats: bugSetSummary{ByRepo: map[string]int{}}}
	for _, b := range bugs {
		fb := frozenBug{ID: b.Bug.ID, Repo: b.Bug.Repo, Strategy: b.Artifact.Strategy, Order: b.Bug.Order, F2P: b.Bug.F2P,
			P2P: b.Bug.P2P, SolveRate: b.Bug.SolveRate, Artifact: b.Artifact.Parts}
		if b.Parent != nil {
			fb.ParentPrediction = b.Parent.String()
		}
		set.Bugs = append(set.Bugs, fb)
		set.Stats.ByRepo[b.Bug.Repo]++
		if slices.ContainsFunc(set.Repos, func(r frozenRepo) bool { return r.Repo.Name == b.Bug.Repo }) {
			continue
		}
		i := slices.IndexFunc(list, func(r repos.Repo) bool { return r.Name == b.Bug.Repo })
		if i < 0 {
			return nil, fmt.Errorf("freeze: bug %s is on %s, which job %s's config no longer names", b.Bug.ID, b.Bug.Repo, job)
		}
		if b.Repo.Commit == "" {
			return nil, fmt.Errorf("freeze: job %s recorded no commit for %s: run the job once more ('ssr run --resume %s') so that it records its repositories", job, b.Bug.Repo, job)
		}
		set.Repos = append(set.Repos, frozenRepo{Repo: list[i], ImageRef: b.Repo.ImageRef, ImageID: b.Repo.ImageID,
			Commit: b.Repo.Commit, Language: b.Repo.Language})
	}
	set.Stats.Bugs = len(set.Bugs)
	return set, nil
}

func printSetSummary(out io.Writer, s *bugSet, path string) {
	var by []string
	for _, name := range slices.Sorted(maps.Keys(s.Stats.ByRepo)) {
		by = append(by, fmt.Sprintf("%s %d", name, s.Stats.ByRepo[name]))
	}
	fmt.Fprintf(out, "froze %d bug(s) of job %s (%s) into %s: %s\n", s.Stats.Bugs, s.Job, s.Filter, path, strings.Join(by, ", "))
}
