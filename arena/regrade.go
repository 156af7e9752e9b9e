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
	diffs, err := a.staticStep(repo, art, rep)
	if err != nil {
		return nil, err
	}
	if rep.Rejection != nil {
		return rep, nil
	}
	byKind := map[string][]*TestRun{}
	for _, l := range logs {
		run, err := a.runFromLog(ctx, repo, art, l)
		if err != nil {
			return nil, err
		}
		byKind[run.Kind] = append(byKind[run.Kind], run)
	}
	orig, bugs, weak, inv := byKind["original"], byKind["bug"], byKind["weaken"], byKind["inverse"]
	if len(orig) == 0 {
		return nil, fmt.Errorf("regrade: no original run among %d log(s): the job did not record this artifact's validation runs", len(logs))
	}
	passing, flaky := originalVerdict(orig)
	passing = repo.withoutExcluded(passing)
	if a.originalStep(rep, art, orig, passing, flaky) {
		return rep, nil
	}
	if len(bugs) == 0 {
		return nil, fmt.Errorf("regrade: no bug run among %d log(s)", len(logs))
	}
	rep.addRuns(bugs...)
	if a.bugStep(rep, passing, countedBugRuns(bugs)) {
		return rep, nil
	}
	files := diffs.Bug.Paths()
	if len(weak) != 1 || (len(files) > 1 && len(inv) != len(files)) {
		return nil, fmt.Errorf("regrade: %d weakened and %d inverse run(s) recorded for a bug over %d file(s)", len(weak), len(inv), len(files))
	}
	rep.addRuns(weak...)
	rep.addRuns(inv...)
	state, err := repo.overlayOf(diffs.Bug, diffs.Weaken)
	if err != nil {
		return rep.reject("weaken", "test_weaken.diff does not apply on top of the bug: %v", err), nil
	}
	inverse := map[string]*TestRun{}
	for i, run := range inv {
		inverse[files[i]] = run // recorded in the bug diff's file order
	}
	return a.weakenAndInverseSteps(ctx, repo, rep, state, weak[0], inverse)
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
