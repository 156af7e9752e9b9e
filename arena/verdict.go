package arena

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Verdicts are pure functions over parsed test runs. Validation calls them on fresh runs; a job recorded
// before a rule changed can be re-graded from its stored raw logs with the same functions.
//
// The rules, which DESIGN.md's validation section states for users:
//   - a test's status in a run is what the parser reported; a test the run did not report is "not run"
//     (the run timed out or crashed before it, its package did not build, or it no longer exists), and a
//     test that did not run is never F2P and never P2P;
//   - F2P = passed in every original run and reported a failure or error in every bug run; P2P = passed in
//     every original run and in every bug run; a test that fails in some bug runs and passes in others is
//     flaky on the buggy state and excluded;
//   - a bug whose run does not build or collect is rejected (unless allow_build_errors), and so is one whose
//     run times out with no test reporting a failure;
//   - with both diffs applied the run must complete and build, keep min_passing_tests passing, and hide
//     the F2P tests (all of them, or with hide: some at least one): a test is hidden when it passes or when
//     the weakening removed its definition, never merely because it is absent from the run.

// originalVerdict reads the original state's runs: the tests that passed in every run, and those whose
// status differed between runs (flaky: excluded from F2P and P2P).
func originalVerdict(runs []*TestRun) (passing map[string]bool, flaky []string) {
	passing = map[string]bool{}
	seen := map[string]bool{}
	for _, r := range runs {
		for id := range r.Results {
			seen[id] = true
		}
	}
	for id := range seen {
		s := runs[0].Status(id)
		stable := true
		for _, r := range runs[1:] {
			if r.Status(id) != s {
				stable = false
			}
		}
		switch {
		case !stable:
			flaky = append(flaky, id)
		case s == plugin.StatusPassed:
			passing[id] = true
		}
	}
	sort.Strings(flaky)
	return passing, flaky
}

// bugVerdict is step 4's outcome.
type bugVerdict struct {
	F2P, P2P  []string
	NotRun    []string // originally passing tests that some bug run did not report
	Flaky     []string // originally passing tests that failed in some bug runs and passed in others
	Rejection string   // why the bug is rejected; empty when it is not
}

// judgeBug computes F2P and P2P from the bug runs (flake_runs of them) and rejects a bug that the tests
// do not specify: one that breaks the build, or hangs the suite with no test reporting a failure, or makes
// too few tests fail in every run.
func judgeBug(cfg Config, passing map[string]bool, runs []*TestRun) bugVerdict {
	var v bugVerdict
	for _, r := range runs {
		if r.ParseErr != "" {
			v.Rejection = "the parser failed on the bug run's output: " + r.ParseErr
			return v
		}
		if r.End == plugin.RunBuildFailed && !cfg.AllowBuildErrors {
			v.Rejection = fmt.Sprintf("the bug breaks the build: the bug run %s; a bug must keep the code building so that tests report (allow_build_errors: true accepts it)", r.Ending())
			return v
		}
	}
	for id := range passing {
		fails, passes, notRun := 0, 0, 0
		for _, r := range runs {
			switch r.Status(id) {
			case plugin.StatusFailed, plugin.StatusError:
				fails++
			case plugin.StatusPassed:
				passes++
			case plugin.StatusNotRun:
				notRun++
			}
		}
		switch {
		case notRun > 0:
			v.NotRun = append(v.NotRun, id)
		case fails == len(runs):
			v.F2P = append(v.F2P, id)
		case passes == len(runs):
			v.P2P = append(v.P2P, id)
		case fails > 0 && passes > 0:
			v.Flaky = append(v.Flaky, id)
		}
		// Anything else (skipped in a bug run) is neither: the bug changed whether the test runs.
	}
	for _, s := range [][]string{v.F2P, v.P2P, v.NotRun, v.Flaky} {
		sort.Strings(s)
	}
	for _, r := range runs {
		if r.End == plugin.RunTimedOut && !reportsFailure(r, passing) {
			v.Rejection = fmt.Sprintf("the bug run %s with no originally passing test reporting a failure: a hang is not a bug the tests specify", r.Ending())
			return v
		}
	}
	if len(v.F2P) < cfg.MinFailingTests {
		v.Rejection = fmt.Sprintf("the bug makes %d originally passing test(s) report a failure in every one of %d bug run(s) (need at least %d)%s",
			len(v.F2P), len(runs), cfg.MinFailingTests, v.excluded(runs))
	}
	return v
}

// excluded explains, for a rejection message, which tests were left out and why.
func (v bugVerdict) excluded(runs []*TestRun) string {
	var parts []string
	if len(v.NotRun) > 0 {
		var ends []string
		for _, r := range runs {
			if !r.Completed() && !slices.Contains(ends, r.Ending()) {
				ends = append(ends, r.Ending())
			}
		}
		s := fmt.Sprintf("%d did not run", len(v.NotRun))
		if len(ends) > 0 {
			s += " (the run " + strings.Join(ends, "; ") + ")"
		}
		parts = append(parts, s)
	}
	if len(v.Flaky) > 0 {
		parts = append(parts, fmt.Sprintf("%d failed in some runs and passed in others (%s)", len(v.Flaky), preview(v.Flaky, 3)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

// reportsFailure reports whether any of the given tests reported a failure or error in the run.
func reportsFailure(r *TestRun, ids map[string]bool) bool {
	for id := range ids {
		if s := r.Status(id); s == plugin.StatusFailed || s == plugin.StatusError {
			return true
		}
	}
	return false
}

// weakenVerdict is step 5's outcome.
type weakenVerdict struct {
	Hidden, Unhidden []string
	Rejection        string
}

// judgeWeaken checks the run with both diffs applied: it must complete and build, keep min_passing_tests
// passing, and hide the F2P tests as cfg.Hide asks. removed reports whether the weakening removed a test's
// definition (from the diff, see definitionsRemoved).
func judgeWeaken(cfg Config, f2p []string, run *TestRun, removed map[string]bool) weakenVerdict {
	var v weakenVerdict
	switch {
	case run.ParseErr != "":
		v.Rejection = "the parser failed on the weakened run's output: " + run.ParseErr
		return v
	case !run.Completed():
		v.Rejection = fmt.Sprintf("with both diffs applied the run %s: the weakened run must complete and build", run.Ending())
		return v
	}
	passed := 0
	for _, s := range run.Results {
		if s == plugin.StatusPassed {
			passed++
		}
	}
	for _, id := range f2p {
		s := run.Status(id)
		if s == plugin.StatusPassed || (s == plugin.StatusNotRun && removed[id]) {
			v.Hidden = append(v.Hidden, id)
		} else {
			v.Unhidden = append(v.Unhidden, id+" ("+s+")")
		}
	}
	switch {
	case passed < cfg.MinPassingTests:
		v.Rejection = fmt.Sprintf("with both diffs applied only %d test(s) pass (need at least %d): the weakening removes too much", passed, cfg.MinPassingTests)
	case len(v.Hidden) == 0 || (cfg.Hide != HideSome && len(v.Unhidden) > 0):
		v.Rejection = fmt.Sprintf("with both diffs applied %d of %d F2P test(s) are not hidden (%s): the weakening must remove their definitions or make them pass (hide: %s)",
			len(v.Unhidden), len(f2p), preview(v.Unhidden, 3), cfg.Hide)
	}
	return v
}

// judgeInverse checks one inverse-mutation run (file restored alone): at least one F2P test passes again.
func judgeInverse(f2p []string, file string, run *TestRun) string {
	for _, id := range f2p {
		if run.Status(id) == plugin.StatusPassed {
			return ""
		}
	}
	s := fmt.Sprintf("restoring %s alone makes no F2P test pass again: that file's change does not contribute to the bug", file)
	if !run.Completed() {
		s += " (the run " + run.Ending() + ")"
	}
	return s
}
