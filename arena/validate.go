package arena

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
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
	Runs      []*TestRun // every run the verdict rests on, cached original runs included
	Durations map[string]time.Duration
	Diffs     *artifact.Diffs
}

func (r *Report) reject(step, format string, args ...any) *Report {
	r.Step = step
	r.Rejection = &artifact.Rejection{Step: step, Reason: fmt.Sprintf(format, args...)}
	return r
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
	rep := &Report{Durations: map[string]time.Duration{}}
	timed := func(step string, start time.Time) { rep.Durations[step] += time.Since(start) }

	// 1. Static.
	start := time.Now()
	rep.Step = "static"
	diffs, err := artifact.Check(art, repo.Dir, artifact.CheckOptions{
		MinChangedFiles: a.cfg.MinChangedFiles,
		Parsers:         repo.Parsers,
		IsTestFile:      repo.IsTestFile,
	})
	timed("static", start)
	if r, ok := artifact.IsRejection(err); ok {
		rep.Rejection = r
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	rep.Diffs = diffs

	// 2. Parser and 3. original run (cached, flake_runs times).
	start = time.Now()
	orig, err := a.original(ctx, repo, art)
	timed("original", start)
	if err != nil {
		return nil, err
	}
	rep.Runs = append(rep.Runs, orig.runs...)
	rep.Step = "parser"
	if pe := orig.runs[0].ParseErr; pe != "" {
		return rep.reject("parser", "%s", pe), nil
	}
	if len(orig.runs[0].Results) == 0 {
		return rep.reject("parser", "the parser (%s) found no test results in the original run's output (exit %d; output ends %q)",
			art.Parser, orig.runs[0].ExitCode, tail(orig.runs[0].Output, 200)), nil
	}
	rep.Step = "original"
	if n := len(orig.passing); n < a.cfg.MinPassingTests {
		return rep.reject("original", "only %d test(s) pass on the original code in every one of %d runs (need at least %d; %d flaky)",
			n, len(orig.runs), a.cfg.MinPassingTests, len(orig.flaky)), nil
	}

	// 4. Bug run.
	start = time.Now()
	rep.Step = "bug"
	bugState, err := repo.overlayOf(diffs.Bug)
	if err != nil {
		return rep.reject("bug", "bug_inject.diff does not apply: %v", err), nil
	}
	bugRun, err := a.runTests(ctx, repo, "bug", bugState, art)
	timed("bug", start)
	if err != nil {
		return nil, err
	}
	rep.Runs = append(rep.Runs, bugRun)
	if bugRun.ParseErr != "" {
		return rep.reject("bug", "the parser failed on the bug run's output: %s", bugRun.ParseErr), nil
	}
	for id := range orig.passing {
		if bugRun.Results[id] == plugin.StatusPassed {
			rep.P2P = append(rep.P2P, id)
		} else {
			rep.F2P = append(rep.F2P, id)
		}
	}
	sort.Strings(rep.F2P)
	sort.Strings(rep.P2P)
	if len(rep.F2P) < a.cfg.MinFailingTests {
		return rep.reject("bug", "the bug makes %d originally passing test(s) fail (need at least %d)", len(rep.F2P), a.cfg.MinFailingTests), nil
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
			run, err := a.runTests(ctx, repo, j.kind, j.state, art)
			j.run = run
			return err
		})
	}
	err = p.Wait()
	timed("weaken+inverse", start)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		rep.Runs = append(rep.Runs, j.run)
	}
	rep.Step = "weaken"
	hidden := 0
	for _, id := range rep.F2P {
		if s, ok := jobs[0].run.Results[id]; !ok || s == plugin.StatusPassed || s == plugin.StatusSkipped {
			hidden++
		}
	}
	if hidden == 0 {
		return rep.reject("weaken", "with both diffs applied all %d F2P test(s) still fail: the weakening hides none of them (%s)",
			len(rep.F2P), preview(rep.F2P, 3)), nil
	}
	rep.Step = "inverse"
	for _, j := range jobs[1:] {
		fixed := 0
		for _, id := range rep.F2P {
			if j.run.Results[id] == plugin.StatusPassed {
				fixed++
			}
		}
		if fixed == 0 {
			return rep.reject("inverse", "restoring %s alone makes no F2P test pass again: that file's change does not contribute to the bug", j.file), nil
		}
	}
	rep.Valid = true
	return rep, nil
}

// original runs the oracle on the original code FlakeRuns times (in parallel) and caches the outcome.
func (a *Arena) original(ctx context.Context, repo *Repo, art *artifact.Artifact) (*originalEntry, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s", repo.ImageID, repo.Image, art.TestScript, art.Parser.Builtin, art.Parser.Script)
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
	runs := make([]*TestRun, a.cfg.FlakeRuns)
	p := pool.New().WithContext(ctx).WithCancelOnError().WithMaxGoroutines(a.cfg.Containers)
	for i := range runs {
		p.Go(func(ctx context.Context) error {
			run, err := a.runTests(ctx, repo, "original", nil, art)
			runs[i] = run
			return err
		})
	}
	if err := p.Wait(); err != nil {
		e.err = err
		a.mu.Lock()
		delete(a.originals, key) // an infrastructure failure is not an answer: let the next caller retry
		a.mu.Unlock()
		return nil, err
	}
	e.runs = runs
	a.noteDuration(art, runs)
	e.passing = map[string]bool{}
	for id, s := range runs[0].Results {
		stable := true
		for _, r := range runs[1:] {
			if r.Results[id] != s {
				stable = false
			}
		}
		if !stable {
			e.flaky = append(e.flaky, id)
			continue
		}
		if s == plugin.StatusPassed {
			e.passing[id] = true
		}
	}
	for _, r := range runs[1:] {
		for id := range r.Results {
			if _, ok := runs[0].Results[id]; !ok {
				e.flaky = append(e.flaky, id)
			}
		}
	}
	sort.Strings(e.flaky)
	return e, nil
}

func preview(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + fmt.Sprintf(", … %d more", len(ids)-n)
}
