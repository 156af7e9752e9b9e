package arena

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Report is validation's verdict on one artifact: valid with its F2P and P2P lists, or the first rejection.
type Report struct {
	Valid     bool
	Rejection *artifact.Rejection // nil when valid
	Step      string              // the last step reached: static, parser, original, bug, weaken, inverse
	F2P, P2P  []string
	Notes     Notes      // what the verdict left out and why
	Runs      []*TestRun // every run the verdict rests on, cached original runs included
	Durations map[string]time.Duration
	Diffs     *artifact.Diffs
}

// Notes records the tests a verdict excluded, so that a reader of the job sees why F2P is what it is.
type Notes struct {
	FlakyOriginal []string `json:"flaky_original,omitempty"` // status differed between original runs
	NotRun        []string `json:"not_run,omitempty"`        // originally passing, not reported by some bug run
	FlakyBug      []string `json:"flaky_bug,omitempty"`      // failed in some bug runs and passed in others
	Hidden        []string `json:"hidden,omitempty"`         // F2P tests the weakening hides
	Unhidden      []string `json:"unhidden,omitempty"`       // F2P tests it does not, with their status
	Ends          []string `json:"ends,omitempty"`           // "kind: how the run ended" for every run that did not complete
}

func (r *Report) reject(step, format string, args ...any) *Report {
	r.Step = step
	r.Rejection = &artifact.Rejection{Step: step, Reason: fmt.Sprintf(format, args...)}
	return r
}

// addRuns appends runs to the report, noting every run that did not complete.
func (r *Report) addRuns(runs ...*TestRun) {
	for _, run := range runs {
		r.Runs = append(r.Runs, run)
		if run.End != plugin.RunCompleted {
			r.Notes.Ends = append(r.Notes.Ends, run.Kind+": "+run.Ending())
		}
	}
}

// originalEntry caches the original state's runs per image + test script + parser: many artifacts on one
// repository share the same oracle, and the original code does not change.
type originalEntry struct {
	done    chan struct{}
	runs    []*TestRun
	passing map[string]bool // passed in every run
	flaky   []string        // status differed between runs
	err     error
}

// Validate runs DESIGN.md's validation steps 1–6 in order against the repository; the first failure rejects
// the artifact with its reason. The error is for infrastructure failures (the engine, a plugin), never for
// a bad artifact.
func (a *Arena) Validate(ctx context.Context, repo *Repo, art *artifact.Artifact) (*Report, error) {
	if err := a.cfg.Validate(); err != nil {
		return nil, fmt.Errorf("arena config: %w", err)
	}
	rep := &Report{Durations: map[string]time.Duration{}}
	timed := func(step string, start time.Time) { rep.Durations[step] += time.Since(start) }

	// 1. Static.
	start := time.Now()
	diffs, err := a.staticStep(repo, art, rep)
	timed("static", start)
	if err != nil {
		return nil, err
	}
	if rep.Rejection != nil {
		return rep, nil
	}

	// 2. Parser and 3. original run (cached, flake_runs times). Steps 3–6 share their sandboxes: each run
	// starts from a reset of the tree in one that an earlier run left.
	bs := a.newBoxes(repo)
	defer bs.close()
	start = time.Now()
	orig, err := a.originalIn(ctx, bs, repo, art)
	timed("original", start)
	if err != nil {
		return nil, err
	}
	if a.originalStep(rep, art, orig.runs, orig.passing, orig.flaky) {
		return rep, nil
	}

	// 4. Bug runs: flake_runs of them, so that a test the bug makes fail only sometimes is caught.
	start = time.Now()
	rep.Step = "bug"
	bugState, err := repo.overlayOf(diffs.Bug)
	if err != nil {
		return rep.reject("bug", "bug_inject.diff does not apply: %v", err), nil
	}
	bugRuns, all, err := a.bugRuns(ctx, bs, bugState, art)
	timed("bug", start)
	if err != nil {
		return nil, err
	}
	rep.addRuns(all...)
	if a.bugStep(rep, orig.passing, bugRuns) {
		return rep, nil
	}

	// 5. Weakening and 6. inverse mutation: independent runs, in parallel; verdicts in order.
	start = time.Now()
	sources := diffs.Bug.Paths()
	type job struct {
		kind  string
		state *overlay
		file  string
		run   *TestRun
	}
	weakenState, err := repo.overlayOf(diffs.Bug, diffs.Weaken)
	if err != nil {
		return rep.reject("weaken", "test_weaken.diff does not apply on top of the bug: %v", err), nil
	}
	jobs := []*job{{kind: "weaken", state: weakenState}}
	if len(sources) > 1 { // with one file, restoring it is the original state, which step 3 already ran
		for _, f := range sources {
			_, rest := patches.Split(diffs.Bug, func(p string) bool { return p == f })
			st, err := repo.overlayOf(rest)
			if err != nil {
				return rep.reject("inverse", "bug_inject.diff without %s does not apply: %v", f, err), nil
			}
			jobs = append(jobs, &job{kind: "inverse", state: st, file: f})
		}
	}
	p := pool.New().WithContext(ctx).WithCancelOnError().WithMaxGoroutines(a.cfg.Containers)
	for _, j := range jobs {
		p.Go(func(ctx context.Context) error {
			run, err := bs.run(ctx, j.kind, j.state, art, a.timeoutFor(repo, art))
			j.run = run
			return err
		})
	}
	err = p.Wait()
	timed("weaken+inverse", start)
	if err != nil {
		return nil, err
	}
	inverse := map[string]*TestRun{}
	for _, j := range jobs {
		rep.addRuns(j.run)
		if j.kind == "inverse" {
			inverse[j.file] = j.run
		}
	}
	return a.weakenAndInverseSteps(ctx, repo, rep, weakenState, jobs[0].run, inverse)
}

// The steps' judgements, shared by Validate (on fresh runs) and Regrade (on recorded ones). Each records what
// it decided in rep and reports whether it rejected the artifact.

// staticStep is step 1; it returns the parsed diffs. A rejection is recorded in rep, not returned.
func (a *Arena) staticStep(repo *Repo, art *artifact.Artifact, rep *Report) (*artifact.Diffs, error) {
	rep.Step = "static"
	diffs, err := artifact.Check(art, repo.Dir, repo.CheckOptions(a.cfg.MinChangedFiles))
	if r, ok := artifact.IsRejection(err); ok {
		rep.Rejection = r
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rep.Diffs = diffs
	return diffs, nil
}

// StaticCheck is validation's step 1 alone: the parsed diffs, or the rejection. `ssr artifact check` gives
// the same answer for the same repository (both use Repo.CheckOptions).
func (a *Arena) StaticCheck(repo *Repo, art *artifact.Artifact) (*artifact.Diffs, *artifact.Rejection, error) {
	rep := &Report{}
	diffs, err := a.staticStep(repo, art, rep)
	return diffs, rep.Rejection, err
}

// originalStep is steps 2 and 3 over the original runs.
func (a *Arena) originalStep(rep *Report, art *artifact.Artifact, runs []*TestRun, passing map[string]bool, flaky []string) bool {
	rep.addRuns(runs...)
	rep.Notes.FlakyOriginal = flaky
	rep.Step = "parser"
	if pe := runs[0].ParseErr; pe != "" {
		rep.reject("parser", "%s", pe)
		return true
	}
	if len(runs[0].Results) == 0 {
		rep.reject("parser", "the parser (%s) found no test results in the original run's output (the run %s, exit %d; output ends %q)",
			art.Parser, runs[0].Ending(), runs[0].ExitCode, tail(runs[0].Output, 200))
		return true
	}
	rep.Step = "original"
	if n := len(passing); n < a.cfg.MinPassingTests {
		rep.reject("original", "only %d test(s) pass on the original code in every one of %d runs (need at least %d; %d flaky)",
			n, len(runs), a.cfg.MinPassingTests, len(flaky))
		return true
	}
	return false
}

// bugStep is step 4's judgement over the bug runs the verdict counts.
func (a *Arena) bugStep(rep *Report, passing map[string]bool, counted []*TestRun) bool {
	rep.Step = "bug"
	bv := judgeBug(a.cfg, passing, counted)
	rep.F2P, rep.P2P = bv.F2P, bv.P2P
	rep.Notes.NotRun, rep.Notes.FlakyBug = bv.NotRun, bv.Flaky
	if bv.Rejection != "" {
		rep.reject("bug", "%s", bv.Rejection)
		return true
	}
	return false
}

// weakenAndInverseSteps is the judgement of steps 5 and 6 and the verdict: inverse maps each bug file to
// the run with that file restored alone (empty for a one-file bug).
func (a *Arena) weakenAndInverseSteps(ctx context.Context, repo *Repo, rep *Report, weakened *overlay, weakenRun *TestRun, inverse map[string]*TestRun) (*Report, error) {
	rep.Step = "weaken"
	removed, err := definitionsRemoved(ctx, repo, weakened, rep.F2P)
	if err != nil {
		return nil, err
	}
	wv := judgeWeaken(a.cfg, rep.F2P, weakenRun, removed)
	rep.Notes.Hidden, rep.Notes.Unhidden = wv.Hidden, wv.Unhidden
	if wv.Rejection != "" {
		return rep.reject("weaken", "%s", wv.Rejection), nil
	}
	rep.Step = "inverse"
	for _, f := range rep.Diffs.Bug.Paths() {
		if run, ok := inverse[f]; ok {
			if why := judgeInverse(rep.F2P, f, run); why != "" {
				return rep.reject("inverse", "%s", why), nil
			}
		}
	}
	rep.Valid = true
	return rep, nil
}

// bugRuns runs the bug state flake_runs times in parallel, in boxes of bs. A run killed at its time limit is
// repeated once with twice the limit (a loaded machine, not the bug, may have been slow); the verdict counts
// the repeat. It returns the runs the verdict counts and every run made, for the record.
func (a *Arena) bugRuns(ctx context.Context, bs *boxes, state *overlay, art *artifact.Artifact) (counted, all []*TestRun, err error) {
	repo := bs.repo
	counted = make([]*TestRun, a.cfg.FlakeRuns)
	first := make([]*TestRun, a.cfg.FlakeRuns)
	p := pool.New().WithContext(ctx).WithCancelOnError().WithMaxGoroutines(a.cfg.Containers)
	for i := range counted {
		p.Go(func(ctx context.Context) error {
			limit := a.timeoutFor(repo, art)
			run, err := bs.run(ctx, "bug", state, art, limit)
			if err != nil {
				return err
			}
			first[i], counted[i] = run, run
			if run.End == plugin.RunTimedOut {
				counted[i], err = bs.run(ctx, "bug", state, art, 2*limit)
			}
			return err
		})
	}
	if err := p.Wait(); err != nil {
		return nil, nil, err
	}
	for i := range first {
		all = append(all, first[i])
		if counted[i] != first[i] {
			all = append(all, counted[i])
		}
	}
	return counted, all, nil
}

// definitionsRemoved reports which of the given tests the weakening removed the definition of: a test file
// the weakening changes defined (or inherited) the test before and, weakened, no longer does, as the
// language plugin reads both versions. A test no file of the weakening defined before is one the plugin
// cannot place (a script parser's own ids): it counts as removed when the weakening changes some test file
// (judgeWeaken then still asks that the weakened run, which must complete, does not report it).
func definitionsRemoved(ctx context.Context, repo *Repo, weakened *overlay, ids []string) (map[string]bool, error) {
	removed := map[string]bool{}
	placed := map[string]bool{}
	changed := false
	for _, f := range slices.Sorted(maps.Keys(weakened.orig)) {
		before := weakened.orig[f]
		after, written := weakened.write[f]
		deleted := slices.Contains(weakened.remove, f)
		if !written && !deleted {
			continue // a bug file: the weakening did not touch it
		}
		if !repo.IsTestFile(f) {
			continue
		}
		changed = true
		resp, err := repo.Lang.RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: f, Source: before, Tests: ids})
		if err != nil {
			continue // not a file the plugin can read (a data file): it defines no test
		}
		defined := slices.Concat(resp.Removed, slices.Collect(maps.Keys(resp.Unremovable)))
		if len(defined) == 0 {
			continue
		}
		for _, id := range defined {
			placed[id] = true
		}
		if deleted {
			for _, id := range defined {
				removed[id] = true
			}
			continue
		}
		now, err := repo.Lang.RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: f, Source: after, Tests: defined})
		if err != nil {
			continue
		}
		for _, id := range now.NotFound {
			removed[id] = true
		}
	}
	for _, id := range ids {
		if !placed[id] && changed {
			removed[id] = true
		}
	}
	return removed, nil
}

// original runs the oracle on the original code FlakeRuns times (in parallel) and caches the outcome per
// image, script, parser and time limit; the full suite's runs are the repository's baseline (baseline.go).
// Tests the manifest excludes never count as passing.
func (a *Arena) original(ctx context.Context, repo *Repo, art *artifact.Artifact) (*originalEntry, error) {
	return a.originalIn(ctx, nil, repo, art)
}

// originalIn is original with the runs it makes in boxes of bs (nil: a fresh sandbox each).
func (a *Arena) originalIn(ctx context.Context, bs *boxes, repo *Repo, art *artifact.Artifact) (*originalEntry, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s", repo.ImageID, repo.Image, art.TestScript, art.Parser.Builtin, art.Parser.Script, a.originalTimeout(repo))
	key := hex.EncodeToString(h.Sum(nil))
	a.mu.Lock()
	e, ok := a.originals[key]
	if !ok {
		e = &originalEntry{done: make(chan struct{})}
		a.originals[key] = e
	}
	a.mu.Unlock()
	if ok {
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return nil, e.err
		}
		return e, nil
	}
	defer close(e.done)
	runs, err := a.originalRuns(ctx, bs, repo, art)
	if err != nil {
		e.err = err
		a.mu.Lock()
		delete(a.originals, key) // an infrastructure failure is not an answer: let the next caller retry
		a.mu.Unlock()
		return nil, err
	}
	e.runs = runs
	a.noteDuration(repo, art, runs)
	passing, flaky := originalVerdict(runs)
	e.passing, e.flaky = repo.withoutExcluded(passing), flaky
	return e, nil
}

// originalRuns are the original state's flake_runs runs of art's script: the repository's baseline runs
// when the script is the baseline's, else fresh runs in parallel (in boxes of bs, when it is not nil).
func (a *Arena) originalRuns(ctx context.Context, bs *boxes, repo *Repo, art *artifact.Artifact) ([]*TestRun, error) {
	if runs, ok, err := a.baselineRuns(ctx, repo, art); ok || err != nil {
		return runs, err
	}
	runs := make([]*TestRun, a.cfg.FlakeRuns)
	p := pool.New().WithContext(ctx).WithCancelOnError().WithMaxGoroutines(a.cfg.Containers)
	for i := range runs {
		p.Go(func(ctx context.Context) error {
			var run *TestRun
			var err error
			if bs != nil {
				run, err = bs.run(ctx, "original", nil, art, a.timeoutFor(repo, art))
			} else {
				run, err = a.runTests(ctx, repo, "original", nil, art)
			}
			runs[i] = run
			return err
		})
	}
	if err := p.Wait(); err != nil {
		return nil, err
	}
	return runs, nil
}

func preview(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + fmt.Sprintf(", … %d more", len(ids)-n)
}
