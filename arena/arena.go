package arena

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/sandbox"
	"github.com/selfplay-swe/ssr/rewards"
)

// Config holds the protocol's thresholds and budgets: the values a job runs with, every one of them
// meaningful (0 is 0). The defaults are in one table, DefaultConfig; a job config's arena section is decoded
// onto it, so that a field present in the file means its value and an absent one the default. Go callers
// start from DefaultConfig too. Config.Validate gives the bounds.
type Config struct {
	MinPassingTests int     `yaml:"min_passing_tests" json:"min_passing_tests"`
	MinChangedFiles int     `yaml:"min_changed_files" json:"min_changed_files"`
	MinFailingTests int     `yaml:"min_failing_tests" json:"min_failing_tests"`
	FlakeRuns       int     `yaml:"flake_runs" json:"flake_runs"` // original runs and bug runs each
	NAttempts       int     `yaml:"n_attempts" json:"n_attempts"`
	Alpha           float64 `yaml:"alpha" json:"alpha"`
	// Containers caps the sandboxes alive at once, warm-pool containers included; the arena's goroutine
	// counts follow from it (see Budget).
	Containers  int           `yaml:"containers" json:"containers"`
	TestTimeout time.Duration `yaml:"test_timeout" json:"test_timeout"` // the most one test run may take; see timeoutFor
	SolverTurns int           `yaml:"solver_turns" json:"solver_turns"`
	SolverTime  time.Duration `yaml:"solver_time" json:"solver_time"` // wall-clock budget per attempt
	// InjectorTurns is the native agent's changes tried per injector episode.
	InjectorTurns int     `yaml:"injector_turns" json:"injector_turns"`
	Order2Share   float64 `yaml:"order2_share" json:"order2_share"` // share of solver work on order-2 bugs
	WarmPool      int     `yaml:"warm_pool" json:"warm_pool"`       // pre-started containers per image, for any role; 0: none
	// Hide is how many F2P tests the weakening must hide: all or some (at least one, the paper's looser check).
	Hide string `yaml:"hide" json:"hide"`
	// AllowBuildErrors accepts bugs whose run does not build or collect (off by default: the paper's prompts
	// forbid them, and a compile error makes every test of the package fail at once).
	AllowBuildErrors bool `yaml:"allow_build_errors" json:"allow_build_errors"`
	// SelectTests makes an artifact built by the arena run only the tests that cover its bug's lines (from
	// the baseline's per-test coverage), the failing tests and enough others for min_passing_tests, and the
	// native solver's inner runs only the spec's tests. Off (ssr run --no-select): whole-suite scripts.
	SelectTests bool `yaml:"select_tests" json:"select_tests"`

	// Budgets of agents that write code (agent: llm): their turns per episode. The native agent's turns
	// follow from SolverTurns and InjectorTurns instead. A solver's wall clock is SolverTime for every agent.
	InjectorMaxTurns int `yaml:"injector_max_turns" json:"injector_max_turns"`
	SolverMaxTurns   int `yaml:"solver_max_turns" json:"solver_max_turns"`
	// InjectorTime is an injector episode's wall clock, for every agent.
	InjectorTime time.Duration `yaml:"injector_time" json:"injector_time"`
	// Curriculum is the widest stage the native injector's curriculum may reach (curriculum.go): single
	// keeps every mutation one invertible site whatever the solve rate, as a held-out set needs.
	Curriculum string `yaml:"curriculum" json:"curriculum"`
}

// Choices of Config.Hide.
const (
	HideAll  = "all"
	HideSome = "some"
)

// DefaultConfig is the defaults table: the value of every setting a job config leaves out.
func DefaultConfig() Config {
	return Config{
		MinPassingTests:  5,
		MinChangedFiles:  1,
		MinFailingTests:  1,
		FlakeRuns:        repos.DefaultFlakeRuns,
		NAttempts:        8,
		Alpha:            rewards.DefaultAlpha,
		Containers:       2,
		TestTimeout:      repos.DefaultTestTimeout,
		SolverTurns:      6,
		SolverTime:       5 * time.Minute,
		InjectorTurns:    4,
		Order2Share:      0.25,
		WarmPool:         1,
		Hide:             HideAll,
		SelectTests:      true,
		InjectorMaxTurns: 40,
		SolverMaxTurns:   40,
		Curriculum:       curriculum[len(curriculum)-1].Name,
		InjectorTime:     30 * time.Minute,
	}
}

// Arena carries out the protocol for one job: it owns no containers itself but starts them through a
// sandbox provider whose budget is Config.Containers (see Budget); every unit of work holds at most one
// sandbox per goroutine, and runs at most Config.Containers goroutines.
type Arena struct {
	sandboxes sandbox.Provider
	job       string
	cfg       Config
	log       *slog.Logger
	metrics   *Metrics

	mu        sync.Mutex
	originals map[string]*originalEntry // cache of original runs: image id + script + parser

	closing conc.WaitGroup // sandboxes being removed off the critical path

	slowest map[string]time.Duration // image id + test script → its slowest original run, for timeouts
}

// Test runs of a changed tree get a time limit derived from the original runs of the same script: a mutation
// that makes a loop endless should cost a minute, not the whole test_timeout, and a loaded machine must not
// kill a healthy run (5× a 2 s run is 10 s, which two busy cores exceed). The precedence, in one place:
//
//   - an original run (nothing known yet), and the baseline: the repository's limit, originalTimeout: its
//     manifest entry's limits.timeout, else the job's test_timeout (repos.TestTimeout, which `ssr repos
//     test` uses too);
//   - every later run of that script on that image: max(timeoutFactor × the slowest original run, that run +
//     timeoutSlack), at most the repository's limit;
//   - a bug run killed at its limit is repeated once with twice the limit before its verdict counts.
//
// The caches of original runs (the baseline's and Arena.original's) key on the image, script, parser and
// this limit.
const (
	timeoutFactor = 5
	timeoutSlack  = time.Minute
)

// originalTimeout is the time limit of a run of repo's original code.
func (a *Arena) originalTimeout(repo *Repo) time.Duration {
	return repos.TestTimeout(repos.Repo{Limits: repos.Limits{Timeout: repo.Timeout}}, a.cfg.TestTimeout)
}

// noteDuration remembers how long the original state's runs of art's script on repo took.
func (a *Arena) noteDuration(repo *Repo, art *artifact.Artifact, runs []*TestRun) {
	var slowest time.Duration
	for _, r := range runs {
		slowest = max(slowest, r.Duration)
	}
	key := slowestKey(repo, art)
	a.mu.Lock()
	a.slowest[key] = max(a.slowest[key], slowest)
	a.mu.Unlock()
}

// slowestKey keys Arena.slowest: one script on one image.
func slowestKey(repo *Repo, art *artifact.Artifact) string {
	return repo.ImageID + "\x00" + art.TestScript
}

// slowestRun is the slowest original run of art's script on repo, and whether one is known.
func (a *Arena) slowestRun(repo *Repo, art *artifact.Artifact) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	d, ok := a.slowest[slowestKey(repo, art)]
	return d, ok
}

// timeoutFor is the time limit of one run of art's test script on repo.
func (a *Arena) timeoutFor(repo *Repo, art *artifact.Artifact) time.Duration {
	slowest, ok := a.slowestRun(repo, art)
	limit := a.originalTimeout(repo)
	if !ok {
		return limit
	}
	return derivedTimeout(slowest, limit)
}

// injectorTimeout is the time limit of the injector's own test runs. They run the baseline's script or ssr's
// selection of its tests (injectorRules.script), and neither takes longer than the whole suite; yet they
// come before validation has run the script's original state, so timeoutFor knows nothing of a selection
// and would give a bug that makes a test hang the repository's whole limit. Until the script's original runs
// are known, the baseline's slowest run stands in for them.
func (a *Arena) injectorTimeout(repo *Repo, art *artifact.Artifact) time.Duration {
	if _, ok := a.slowestRun(repo, art); ok || repo.Baseline == nil || len(repo.Baseline.Runs) == 0 {
		return a.timeoutFor(repo, art)
	}
	var slowest time.Duration
	for _, r := range repo.Baseline.Runs {
		slowest = max(slowest, r.Duration)
	}
	return derivedTimeout(slowest, a.originalTimeout(repo))
}

// learnDuration makes timeoutFor(repo, art) what it was in the process that validated art: a process that
// resumes a job (Runner.loadBug) has not run art's original state, and without its duration every
// run of the bug (the solver's, the evaluation) would get the repository's whole limit. It runs the original
// state once (original: cached for the process) when the duration is not known yet.
func (a *Arena) learnDuration(ctx context.Context, repo *Repo, art *artifact.Artifact) error {
	if _, ok := a.slowestRun(repo, art); ok {
		return nil
	}
	_, err := a.original(ctx, repo, art)
	return err
}

// derivedTimeout is the time limit of a run whose script's slowest original run took slowest.
func derivedTimeout(slowest, limit time.Duration) time.Duration {
	return min(limit, max(timeoutFactor*slowest, slowest+timeoutSlack))
}

// release closes a sandbox in the background: removing a container takes a while and nothing waits for it.
// Wait (or Close) waits for every release.
func (a *Arena) release(sb sandbox.Sandbox) {
	a.closing.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sb.Close(ctx); err != nil {
			a.log.Warn("close sandbox", "sandbox", sb.ID(), "err", err)
		}
	})
}

// Wait waits until every sandbox the arena started is closed.
func (a *Arena) Wait() { a.closing.Wait() }

// New returns an Arena for job that starts sandboxes through p, with cfg as it is (start from DefaultConfig;
// cfg.Validate says whether it can run; Arena.Validate refuses to judge with one that cannot).
func New(p sandbox.Provider, job string, cfg Config, log *slog.Logger) *Arena {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Arena{sandboxes: p, job: job, cfg: cfg, log: log, metrics: &Metrics{}, originals: map[string]*originalEntry{},
		slowest: map[string]time.Duration{}}
}

// Metrics returns the arena's running counters.
func (a *Arena) Metrics() *Metrics { return a.metrics }

// Metrics counts time spent running tests, for the orchestration-overhead benchmark and progress lines.
type Metrics struct {
	testNanos atomic.Int64
	testRuns  atomic.Int64
}

func (m *Metrics) addTest(d time.Duration) {
	m.testNanos.Add(int64(d))
	m.testRuns.Add(1)
}

// TestTime is the total wall time of test commands inside sandboxes.
func (m *Metrics) TestTime() time.Duration { return time.Duration(m.testNanos.Load()) }

// TestRuns is the number of test commands run.
func (m *Metrics) TestRuns() int64 { return m.testRuns.Load() }
