package arena

import (
	"fmt"
	"maps"
	"slices"
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
		return fmt.Errorf("strategies: every share is 0, so no strategy can be drawn: give at least one a positive share (or leave strategies out for mutation only)")
	}
	a := c.Arena
	for _, f := range []struct {
		field string
		v     int
		max   int
	}{
		{"n_attempts", a.NAttempts, maxNAttempts},
		{"containers", a.Containers, maxContainers},
		{"flake_runs", a.FlakeRuns, maxFlakeRuns},
		{"min_passing_tests", a.MinPassingTests, maxMinTests},
		{"min_failing_tests", a.MinFailingTests, maxMinTests},
		{"min_changed_files", a.MinChangedFiles, maxMinTests},
		{"solver_turns", a.SolverTurns, maxMinTests},
		{"injector_turns", a.InjectorTurns, maxMinTests},
	} {
		switch {
		case f.v < 0:
			return fmt.Errorf("arena.%s: %d is negative: give a positive number, or leave it out for the default", f.field, f.v)
		case f.v > f.max:
			return fmt.Errorf("arena.%s: %d is more than the most ssr allows (%d): check for a typo", f.field, f.v, f.max)
		}
	}
	for _, f := range []struct {
		field string
		v     time.Duration
	}{{"test_timeout", a.TestTimeout}, {"solver_time", a.SolverTime}} {
		switch {
		case f.v < 0:
			return fmt.Errorf("arena.%s: %s is negative: give a duration like 90s or 5m, or leave it out for the default", f.field, f.v)
		case f.v > maxTestTimeout:
			return fmt.Errorf("arena.%s: %s is more than the most ssr allows (%s): check for a typo", f.field, f.v, maxTestTimeout)
		}
	}
	return nil
}
