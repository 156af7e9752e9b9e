package arena

import (
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos"
)

func TestTimeoutFor(t *testing.T) {
	a := New(nil, "job", conf(func(c *Config) { c.TestTimeout = 5 * time.Minute }), nil)
	repo := &Repo{ImageID: "img"}
	fast := &artifact.Artifact{TestScript: "fast"}
	slow := &artifact.Artifact{TestScript: "slow"}
	if got := a.timeoutFor(repo, fast); got != 5*time.Minute {
		t.Errorf("unknown script: %v, want the configured 5m", got)
	}
	a.noteDuration(repo, fast, []*TestRun{{Duration: 400 * time.Millisecond}, {Duration: 600 * time.Millisecond}})
	a.noteDuration(repo, slow, []*TestRun{{Duration: 20 * time.Second}})
	if got, want := a.timeoutFor(repo, fast), 600*time.Millisecond+timeoutSlack; got != want {
		t.Errorf("fast script: %v, want its slowest run + the slack (%v): a loaded machine must not kill it", got, want)
	}
	a.noteDuration(repo, slow, []*TestRun{{Duration: 25 * time.Second}})
	if got := a.timeoutFor(repo, slow); got != timeoutFactor*25*time.Second { // 125s > 25s + 60s
		t.Errorf("slow script: %v, want %d × its slowest run (25s)", got, timeoutFactor)
	}
	a.noteDuration(repo, slow, []*TestRun{{Duration: 2 * time.Minute}})
	if got := a.timeoutFor(repo, slow); got != 5*time.Minute {
		t.Errorf("very slow script: %v, want the ceiling 5m", got)
	}
	// The same script on another repository knows nothing yet; a manifest's limits.timeout is that
	// repository's ceiling, over the job's test_timeout.
	other := &Repo{ImageID: "other", Timeout: 90 * time.Second}
	if got := a.timeoutFor(other, fast); got != 90*time.Second {
		t.Errorf("another repository's first run: %v, want its manifest limit 90s", got)
	}
	a.noteDuration(other, slow, []*TestRun{{Duration: 25 * time.Second}})
	if got := a.timeoutFor(other, slow); got != 90*time.Second {
		t.Errorf("slow script under a 90s manifest limit: %v, want 90s", got)
	}
}

func TestInjectorTimeoutIsBoundedByTheBaseline(t *testing.T) {
	a := New(nil, "job", conf(func(c *Config) { c.TestTimeout = 5 * time.Minute }), nil)
	sel := &artifact.Artifact{TestScript: "selection"}
	// Without a baseline nothing bounds the first runs of a script: the repository's limit.
	bare := &Repo{ImageID: "bare"}
	if got := a.injectorTimeout(bare, sel); got != 5*time.Minute {
		t.Errorf("no baseline: %v, want the configured 5m", got)
	}
	// A selection of the baseline's tests takes no longer than the whole suite: its slowest run bounds it.
	repo := &Repo{ImageID: "img", Baseline: &repos.Baseline{Runs: []repos.TestRun{{Duration: 3 * time.Second}, {Duration: 4 * time.Second}}}}
	if got, want := a.injectorTimeout(repo, sel), 4*time.Second+timeoutSlack; got != want {
		t.Errorf("unknown selection on a repository with a baseline: %v, want the baseline's slowest run + the slack (%v)", got, want)
	}
	if got := a.timeoutFor(repo, sel); got != 5*time.Minute {
		t.Errorf("timeoutFor an unknown script: %v, want 5m: only the injector's runs are known to be the baseline's tests", got)
	}
	// Once the script's own original runs are known, they decide, as for every other run.
	a.noteDuration(repo, sel, []*TestRun{{Duration: 30 * time.Second}})
	if got, want := a.injectorTimeout(repo, sel), timeoutFactor*30*time.Second; got != want {
		t.Errorf("known selection: %v, want %v from its own runs", got, want)
	}
}
