package arena

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Regrade recomputes validation's verdict on art from the raw logs of its recorded runs, without containers:
// a builtin parser's output is parsed again with the current plugin (a script parser's stored results are
// kept: running it needs a sandbox), how each run ended is taken from the record (and read again from the
// output for logs recorded before ssr kept it), and the verdict functions decide as Validate does. Logs are
// in the order the job recorded them: original runs, bug runs (a run killed at its limit followed by its
// repeat at twice the limit), the weakened run, then one inverse run per bug file in the bug diff's order.
func (a *Arena) Regrade(ctx context.Context, repo *Repo, art *artifact.Artifact, logs []store.RawLog) (*Report, error) {
	rep := &Report{Durations: map[string]time.Duration{}}
	rep.Step = "static"
	diffs, err := artifact.Check(art, repo.Dir, artifact.CheckOptions{MinChangedFiles: a.cfg.MinChangedFiles, Parsers: repo.Parsers, IsTestFile: repo.IsTestFile})
	if r, ok := artifact.IsRejection(err); ok {
		rep.Rejection = r
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	rep.Diffs = diffs
	byKind := map[string][]*TestRun{}
	for _, l := range logs {
		run, err := a.runFromLog(ctx, repo, art, l)
		if err != nil {
			return nil, err
		}
		byKind[run.Kind] = append(byKind[run.Kind], run)
	}
	orig := byKind["original"]
	if len(orig) == 0 {
		return nil, fmt.Errorf("regrade: no original run among %d log(s): the job did not record this artifact's validation runs", len(logs))
	}
	rep.addRuns(orig...)
	passing, flaky := originalVerdict(orig)
	rep.Notes.FlakyOriginal = flaky
	rep.Step = "parser"
	if pe := orig[0].ParseErr; pe != "" {
		return rep.reject("parser", "%s", pe), nil
	}
	if len(orig[0].Results) == 0 {
		return rep.reject("parser", "the parser (%s) found no test results in the original run's output (the run %s, exit %d; output ends %q)",
			art.Parser, orig[0].Ending(), orig[0].ExitCode, tail(orig[0].Output, 200)), nil
	}
	rep.Step = "original"
	if len(passing) < a.cfg.MinPassingTests {
		return rep.reject("original", "only %d test(s) pass on the original code in every one of %d runs (need at least %d; %d flaky)",
			len(passing), len(orig), a.cfg.MinPassingTests, len(flaky)), nil
	}
	rep.Step = "bug"
	bugs := byKind["bug"]
	if len(bugs) == 0 {
		return nil, fmt.Errorf("regrade: no bug run recorded")
	}
	rep.addRuns(bugs...)
	bv := judgeBug(a.cfg, passing, countedBugRuns(bugs))
	rep.F2P, rep.P2P, rep.Notes.NotRun, rep.Notes.FlakyBug = bv.F2P, bv.P2P, bv.NotRun, bv.Flaky
	if bv.Rejection != "" {
		return rep.reject("bug", "%s", bv.Rejection), nil
	}
	rep.Step = "weaken"
	weak := byKind["weaken"]
	if len(weak) != 1 {
		return nil, fmt.Errorf("regrade: %d weakened runs recorded, want 1", len(weak))
	}
	rep.addRuns(weak...)
	state, err := repo.overlayOf(diffs.Bug, diffs.Weaken)
	if err != nil {
		return rep.reject("weaken", "test_weaken.diff does not apply on top of the bug: %v", err), nil
	}
	removed, err := definitionsRemoved(ctx, repo, state, rep.F2P)
	if err != nil {
		return nil, err
	}
	wv := judgeWeaken(a.cfg, rep.F2P, weak[0], removed)
	rep.Notes.Hidden, rep.Notes.Unhidden = wv.Hidden, wv.Unhidden
	if wv.Rejection != "" {
		return rep.reject("weaken", "%s", wv.Rejection), nil
	}
	rep.Step = "inverse"
	inv := byKind["inverse"]
	rep.addRuns(inv...)
	if files := diffs.Bug.Paths(); len(files) > 1 {
		if len(inv) != len(files) {
			return nil, fmt.Errorf("regrade: %d inverse runs recorded for %d bug files", len(inv), len(files))
		}
		for i, f := range files {
			if why := judgeInverse(rep.F2P, f, inv[i]); why != "" {
				return rep.reject("inverse", "%s", why), nil
			}
		}
	}
	rep.Valid = true
	return rep, nil
}

// countedBugRuns drops each bug run that was repeated: a run killed at its limit and followed by a run at
// twice that limit counts as the later one.
func countedBugRuns(runs []*TestRun) []*TestRun {
	var out []*TestRun
	for i := 0; i < len(runs); i++ {
		r := runs[i]
		if r.End == plugin.RunTimedOut && r.Timeout > 0 {
			for j := i + 1; j < len(runs); j++ {
				if runs[j].Timeout == 2*r.Timeout {
					r = runs[j]
					runs = append(runs[:j:j], runs[j+1:]...)
					break
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// runFromLog rebuilds a parsed run from its raw log.
func (a *Arena) runFromLog(ctx context.Context, repo *Repo, art *artifact.Artifact, l store.RawLog) (*TestRun, error) {
	run := &TestRun{Kind: string(l.Kind), Output: l.Output, ExitCode: l.ExitCode, Duration: l.Duration, Timeout: l.Timeout, TimedOut: l.TimedOut}
	parserEnd := ""
	if art.Parser.IsScript() {
		run.Results = map[string]string{}
		if len(l.Results) > 0 {
			if err := json.Unmarshal(l.Results, &run.Results); err != nil {
				return nil, fmt.Errorf("regrade: log %s: stored results: %w", l.ID, err)
			}
		}
		if l.End != "" && l.End != plugin.RunTimedOut {
			parserEnd = l.End // what ssr decided when it ran, from the exit status
		}
	} else {
		p, err := parseBuiltin(ctx, repo.Lang, art.Parser.Builtin, l.Output)
		if err != nil {
			return nil, fmt.Errorf("regrade: log %s: %w", l.ID, err)
		}
		run.Results, run.Files, run.Broken, run.Detail, parserEnd = p.results, p.files, p.broken, p.detail, p.end
	}
	run.End = classifyEnd(run.TimedOut || l.End == plugin.RunTimedOut, run.ExitCode, parserEnd)
	return run, nil
}
