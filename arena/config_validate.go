package arena

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Bounds on job config values: anything past them is a typo (an extra digit or two), not a plan, and would
// otherwise be found hours later as an out-of-memory or a job that never ends.
const (
	maxNAttempts   = 1024
	maxContainers  = 1024
	maxFlakeRuns   = 100
	maxTestTimeout = 24 * time.Hour
	maxMinTests    = 1_000_000
)

// validateValues reports the first value of the job config that is negative, absurdly large, or otherwise
// unusable: the checks of Validate that are about one field's range rather than which fields are set.
func (c *JobConfig) validateValues() error {
	seen := map[string]bool{}
	for _, e := range c.Examples {
		if seen[e] {
			return fmt.Errorf("examples: %q is listed twice: list each example once", e)
		}
		seen[e] = true
	}
	seen = map[string]bool{}
	for _, r := range c.Repos {
		if seen[r] {
			return fmt.Errorf("repos: %q is listed twice: list each manifest entry once", r)
		}
		seen[r] = true
	}
	if len(c.Repos) > 0 && c.Manifest == "" {
		return fmt.Errorf("repos: %v filters a manifest's entries, but no manifest is set: set manifest, or list built-in repositories under examples", c.Repos)
	}
	if len(c.Strategies) > 0 && !slices.ContainsFunc(slices.Collect(maps.Values(c.Strategies)), func(w float64) bool { return w > 0 }) {
		return fmt.Errorf("strategies: every share is 0, so no strategy can be drawn: give at least one a positive share (or leave strategies out for the agent's default mix)")
	}
	if err := c.Arena.Validate(); err != nil {
		return fmt.Errorf("arena.%w", err)
	}
	return nil
}

// Validate reports the first setting the arena cannot run with, as "field: what is wrong: what to do"
// (JobConfig.Validate puts "arena." before it). A present value means itself, zero included, so a value with
// no meaning (flake_runs: 0) is an error rather than a silent default.
func (a Config) Validate() error {
	for _, f := range []struct {
		field    string
		v        int
		min, max int
	}{
		{"n_attempts", a.NAttempts, 1, maxNAttempts},
		{"containers", a.Containers, 1, maxContainers},
		{"flake_runs", a.FlakeRuns, 1, maxFlakeRuns},
		{"min_passing_tests", a.MinPassingTests, 0, maxMinTests},
		{"min_failing_tests", a.MinFailingTests, 1, maxMinTests},
		{"min_changed_files", a.MinChangedFiles, 1, maxMinTests},
		{"solver_turns", a.SolverTurns, 1, maxMinTests},
		{"injector_turns", a.InjectorTurns, 1, maxMinTests},
		{"solver_max_turns", a.SolverMaxTurns, 1, maxMinTests},
		{"injector_max_turns", a.InjectorMaxTurns, 1, maxMinTests},
		{"warm_pool", a.WarmPool, 0, maxContainers},
	} {
		switch {
		case f.v < 0:
			return fmt.Errorf("%s: %d is negative: give a number of at least %d, or leave it out for the default", f.field, f.v, f.min)
		case f.v < f.min:
			return fmt.Errorf("%s: %d is less than %d, the least that can run: give at least %d, or leave it out for the default", f.field, f.v, f.min, f.min)
		case f.v > f.max:
			return fmt.Errorf("%s: %d is more than the most ssr allows (%d): check for a typo", f.field, f.v, f.max)
		}
	}
	for _, f := range []struct {
		field string
		v     time.Duration
	}{{"test_timeout", a.TestTimeout}, {"solver_time", a.SolverTime}, {"injector_time", a.InjectorTime}} {
		switch {
		case f.v < 0:
			return fmt.Errorf("%s: %s is negative: give a duration like 90s or 5m, or leave it out for the default", f.field, f.v)
		case f.v == 0:
			return fmt.Errorf("%s: 0 leaves no time to run: give a duration like 90s or 5m, or leave it out for the default", f.field)
		case f.v > maxTestTimeout:
			return fmt.Errorf("%s: %s is more than the most ssr allows (%s): check for a typo", f.field, f.v, maxTestTimeout)
		}
	}
	for _, f := range []struct {
		field string
		v     float64
	}{{"alpha", a.Alpha}, {"order2_share", a.Order2Share}} {
		if f.v < 0 || f.v > 1 {
			return fmt.Errorf("%s: %v is outside [0, 1]", f.field, f.v)
		}
	}
	switch a.Hide {
	case HideAll, HideSome:
	default:
		return fmt.Errorf("hide: %q is not a choice (use all or some)", a.Hide)
	}
	if stageIndex(a.Curriculum) < 0 {
		return fmt.Errorf("curriculum: %q is not a stage (use %s)", a.Curriculum, strings.Join(StageNames(), ", "))
	}
	return nil
}
