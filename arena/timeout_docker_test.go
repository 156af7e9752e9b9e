package arena

import (
	"context"
	"testing"
	"time"
)

// TestLearnDurationOnResume: a process that did not validate a bug (a resumed job's) learns its script's
// duration by running the original state once, so that the bug's runs are limited as in the process that
// validated it, not by the repository's whole limit; a process that knows it runs nothing.
func TestLearnDurationOnResume(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	art := moneyBug(t, repo)
	ctx := context.Background()
	cfg := conf(func(c *Config) { c.Containers = 2; c.TestTimeout = 10 * time.Minute })
	validating := f.arena(cfg)
	if _, err := validating.Validate(ctx, repo, art); err != nil {
		t.Fatal(err)
	}
	want := validating.timeoutFor(repo, art)
	if want >= 10*time.Minute {
		t.Fatalf("after validation the limit is %v: want one derived from the original runs", want)
	}
	resumed := f.arena(cfg)
	if got := resumed.timeoutFor(repo, art); got != 10*time.Minute {
		t.Fatalf("a fresh process's limit is %v before it learns: want the whole 10m", got)
	}
	if err := resumed.learnDuration(ctx, repo, art); err != nil {
		t.Fatal(err)
	}
	got := resumed.timeoutFor(repo, art)
	if got >= 10*time.Minute || got < timeoutSlack {
		t.Fatalf("after learnDuration the limit is %v: want one derived from its own original runs (validating process: %v)", got, want)
	}
	runs := resumed.Metrics().TestRuns()
	if err := resumed.learnDuration(ctx, repo, art); err != nil || resumed.Metrics().TestRuns() != runs {
		t.Errorf("a second learnDuration ran %d more test run(s) (%v): the duration is known", resumed.Metrics().TestRuns()-runs, err)
	}
}
