package arena

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos"
)

// One baseline. A repository's whole-suite baseline is the one `ssr repos test` shows:
// repos.Builder.Baseline, with its cache (per image, script, parser, number of runs and time limit). Prepare
// records it in Repo.Baseline and RecordBaselines stores it with the job. The arena uses it as the original
// runs of the full suite (fullSuite: the manifest's test_command when set, else the plugin's script), so the
// injector's view of which tests pass is the baseline's, and it is never run twice.
//
// An artifact's own script (the chosen tests) is another script: its flake_runs original runs are run and
// cached per image, script, parser and time limit (Arena.original), since they are the oracle for that
// script. An artifact whose script is the full suite's reuses the baseline's runs instead.
//
// Either way the manifest's exclude_tests apply to the original verdict: an excluded test never counts as
// passing originally, so it never becomes an F2P or P2P test, nor a test the injector broke.

// fullSuite is an artifact-shaped description of running every test of the repository: the baseline's
// script and parser, which are the manifest's test_command when it sets one (repos.TestScript).
func (a *Arena) fullSuite(ctx context.Context, repo *Repo) (*artifact.Artifact, error) {
	if bl := repo.Baseline; bl != nil {
		return &artifact.Artifact{TestScript: bl.Script, Parser: artifact.Parser{Builtin: bl.Parser}}, nil
	}
	script, parser, err := repos.TestScript(ctx, repo.Lang, repos.Repo{Name: repo.Name, TestCommand: repo.TestCommand})
	if err != nil {
		return nil, err
	}
	return &artifact.Artifact{TestScript: script, Parser: artifact.Parser{Builtin: parser}}, nil
}

// baselineRuns are the baseline's runs as the arena's test runs, parsed again by the plugin (as Regrade
// parses a stored log); ok is false when art's script is not the baseline's.
func (a *Arena) baselineRuns(ctx context.Context, repo *Repo, art *artifact.Artifact) (runs []*TestRun, ok bool, err error) {
	bl := repo.Baseline
	if bl == nil || art.TestScript != bl.Script || art.Parser.IsScript() || art.Parser.Builtin != bl.Parser ||
		bl.ImageID != repo.ImageID || bl.Timeout != a.originalTimeout(repo) || len(bl.Runs) == 0 {
		return nil, false, nil
	}
	for i, r := range bl.Runs {
		l := store.RawLog{ID: fmt.Sprintf("baseline run %d of %s", i+1, repo.Name), Kind: store.LogOriginal, Output: []byte(r.Output),
			ExitCode: r.ExitCode, Duration: r.Duration, TimedOut: r.TimedOut, Timeout: bl.Timeout}
		run, err := a.runFromLog(ctx, repo, art, l)
		if err != nil {
			return nil, false, err
		}
		run.Kind = "original"
		runs = append(runs, run)
	}
	return runs, true, nil
}

// withoutExcluded leaves out of passing the tests the manifest's exclude_tests names.
func (r *Repo) withoutExcluded(passing map[string]bool) map[string]bool {
	if r.Excluded == nil {
		return passing
	}
	out := maps.Clone(passing)
	maps.DeleteFunc(out, func(id string, _ bool) bool { return r.Excluded(id) })
	return out
}

// baselineRecord is the summary of a baseline stored with a job's repo (store.Repo.Baseline).
type baselineRecord struct {
	Script   string         `json:"script"`
	Parser   string         `json:"parser"`
	Timeout  string         `json:"timeout"`
	Runs     int            `json:"runs"`
	Counts   map[string]int `json:"counts"`
	Passing  int            `json:"passing"`
	Excluded []string       `json:"excluded,omitempty"`
	Cache    string         `json:"cache,omitempty"`
	Logs     []string       `json:"logs,omitempty"` // raw logs of its runs (kind baseline)
	// Coverage is one line on the per-test coverage recorded with the baseline, or why there is none.
	Coverage string `json:"coverage,omitempty"`
}

// RecordBaselines stores each repository of a job with the baseline it uses: the summary with the repo,
// and each run's output as a raw log of kind baseline, once per baseline (a resumed job that finds the
// same baseline recorded adds nothing).
func RecordBaselines(ctx context.Context, st *store.Store, job string, list []*Repo) error {
	known, err := st.Repos(ctx, job)
	if err != nil {
		return err
	}
	for _, r := range list {
		rec := store.Repo{Job: job, Name: r.Name, ImageRef: r.Image, ImageID: r.ImageID, Commit: r.Commit, Language: r.Language}
		if bl := r.Baseline; bl != nil {
			sum := baselineRecord{Script: bl.Script, Parser: bl.Parser, Timeout: bl.Timeout.String(), Runs: len(bl.Runs), Counts: bl.Counts(),
				Passing: len(bl.Passing()), Cache: bl.Path}
			if r.Coverage != nil {
				sum.Coverage = r.Coverage.Summary()
			}
			for _, t := range bl.Tests {
				if t.Excluded {
					sum.Excluded = append(sum.Excluded, t.ID)
				}
			}
			i := slices.IndexFunc(known, func(k store.Repo) bool { return k.Name == r.Name })
			var prev baselineRecord
			if i >= 0 && json.Unmarshal(known[i].Baseline, &prev) == nil && prev.Script == sum.Script && prev.Cache == sum.Cache && len(prev.Logs) > 0 {
				sum.Logs = prev.Logs
			} else {
				var logs []store.RawLog
				for _, run := range bl.Runs {
					res := map[string]string{}
					for _, t := range run.Tests {
						res[t.ID] = t.Status
					}
					data, _ := json.Marshal(res)
					logs = append(logs, store.RawLog{ID: newID("log"), Job: job, Kind: store.LogBaseline, Ref: r.Name, Output: []byte(run.Output),
						ExitCode: run.ExitCode, Duration: run.Duration, TimedOut: run.TimedOut, Timeout: bl.Timeout, Results: data})
				}
				if sum.Logs, err = st.RecordLogs(ctx, logs...); err != nil {
					return fmt.Errorf("record the baseline of %s: %w", r.Name, err)
				}
			}
			if rec.Baseline, err = json.Marshal(sum); err != nil {
				return err
			}
		}
		if err := st.PutRepo(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}
