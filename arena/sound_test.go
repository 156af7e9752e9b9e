package arena

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Scripted injectors whose bugs the tests do not specify: a compile error, a hang, injected randomness.
// Each verdict must rest on tests that reported, never on tests that did not run.

// TestSoundCompileError: a bug that stops a Go package from building is rejected with the package's name;
// with allow_build_errors the unbuilt tests are "not run", never F2P, so the bug still has no F2P.
func TestSoundCompileError(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["gokit"]
	const ringGo, ringTest = "ring/ring.go", "ring/ring_test.go"
	script, parser := testScript(t, repo, ringTest)
	art := &artifact.Artifact{
		TestScript: script,
		TestFiles:  []string{ringTest},
		Parser:     parser,
		BugDiff:    edit(t, repo, ringGo, "func (b *Buffer[T]) Len() int { return b.size }", `func (b *Buffer[T]) Len() int { return "size" }`),
		WeakenDiff: weaken(t, repo, ringTest, "example.com/gokit/ring::TestPeek"),
	}
	ctx := context.Background()
	ar := f.arena(conf(func(c *Config) { c.Containers = 2 }))
	rep, err := ar.Validate(ctx, repo, art)
	if err != nil {
		t.Fatal(err)
	}
	sameRegrade(t, ar, repo, art, rep)
	if rep.Valid || rep.Rejection.Step != "bug" || !strings.Contains(rep.Rejection.Reason, "the bug breaks the build") ||
		!strings.Contains(rep.Rejection.Reason, "example.com/gokit/ring") {
		t.Fatalf("verdict %v (%v), want a rejection at bug naming the broken package", rep.Valid, rep.Rejection)
	}

	rep, err = f.arena(conf(func(c *Config) { c.Containers = 2; c.AllowBuildErrors = true })).Validate(ctx, repo, art)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid || len(rep.F2P) != 0 || len(rep.Notes.NotRun) == 0 {
		t.Fatalf("allowed build error: valid %v, F2P %v, not run %v; want no F2P and the package's tests not run", rep.Valid, rep.F2P, rep.Notes.NotRun)
	}
	if !strings.Contains(rep.Rejection.Reason, "did not run") {
		t.Errorf("rejection %q should say the tests did not run", rep.Rejection.Reason)
	}
}

// TestSoundHang: a bug that hangs the suite is killed at its limit, run again with twice the limit, and
// rejected because no test reported a failure; the tests it never reached are not F2P.
func TestSoundHang(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	art := moneyBug(t, repo)
	art.BugDiff = edit(t, repo, moneyPy, addLine, "while True:\n            pass")
	ar := f.arena(conf(func(c *Config) { c.Containers = 2; c.TestTimeout = 4 * time.Second }))
	rep, err := ar.Validate(context.Background(), repo, art)
	if err != nil {
		t.Fatal(err)
	}
	sameRegrade(t, ar, repo, art, rep)
	if rep.Valid || rep.Rejection.Step != "bug" || !strings.Contains(rep.Rejection.Reason, "timed out after") ||
		!strings.Contains(rep.Rejection.Reason, "(limit 8s)") || !strings.Contains(rep.Rejection.Reason, "no originally passing test reporting a failure") {
		t.Fatalf("verdict %v (%v), want a rejection at bug naming the doubled 8s limit", rep.Valid, rep.Rejection)
	}
	var limits []time.Duration
	for _, r := range rep.Runs {
		if r.Kind == "bug" {
			limits = append(limits, r.Timeout)
			if r.End != plugin.RunTimedOut {
				t.Errorf("bug run ended %s, want timed_out", r.End)
			}
		}
	}
	slices.Sort(limits)
	if want := []time.Duration{4 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}; !slices.Equal(limits, want) {
		t.Errorf("bug runs' limits %v, want %v (each killed run repeated once with twice the limit)", limits, want)
	}
	if len(rep.F2P) != 0 || len(rep.Notes.NotRun) == 0 {
		t.Errorf("F2P %v, not run %d: the tests after the hang did not run and must not be F2P", rep.F2P, len(rep.Notes.NotRun))
	}
}

// TestSoundFlakyBug: a bug that breaks each test at random (differently in each container) is caught by
// the flake guard on the buggy state: tests that fail in one bug run and pass in the other are excluded,
// and every F2P test failed in every bug run.
func TestSoundFlakyBug(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	art := moneyBug(t, repo)
	art.TestScript, art.Parser = testScript(t, repo) // the whole suite: many tests make Money
	// Each Money is broken or not by a fresh coin, so each test's verdict differs from run to run. (A coin
	// keyed on the container's hostname does not do: both bug runs may reuse one test box.)
	art.BugDiff = edit(t, repo, moneyPy, "        self.units = units\n",
		"        self.units = units + __import__(\"os\").urandom(1)[0] % 2\n")
	rep, err := f.arena(conf(func(c *Config) { c.Containers = 2; c.FlakeRuns = 2 })).Validate(context.Background(), repo, art)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Notes.FlakyBug) == 0 {
		t.Fatalf("no test flipped between bug runs (F2P %d, step %s: %v): the guard did not see the injected randomness", len(rep.F2P), rep.Step, rep.Rejection)
	}
	for _, id := range rep.F2P {
		if slices.Contains(rep.Notes.FlakyBug, id) {
			t.Errorf("%s is both F2P and flaky", id)
		}
		for _, r := range rep.Runs {
			if r.Kind == "bug" && r.Status(id) != plugin.StatusFailed && r.Status(id) != plugin.StatusError {
				t.Errorf("F2P %s is %s in a bug run", id, r.Status(id))
			}
		}
	}
}
