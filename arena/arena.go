package arena

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Config holds the protocol's thresholds and budgets (DESIGN.md's defaults unless set).
type Config struct {
	MinPassingTests int           `yaml:"min_passing_tests" json:"min_passing_tests"` // default 5
	MinChangedFiles int           `yaml:"min_changed_files" json:"min_changed_files"` // default 1
	MinFailingTests int           `yaml:"min_failing_tests" json:"min_failing_tests"` // default 1
	FlakeRuns       int           `yaml:"flake_runs" json:"flake_runs"`               // default 2
	NAttempts       int           `yaml:"n_attempts" json:"n_attempts"`               // default 8
	Alpha           float64       `yaml:"alpha" json:"alpha"`                         // default 0.8
	Containers      int           `yaml:"containers" json:"containers"`               // parallel test runs; default 2
	TestTimeout     time.Duration `yaml:"test_timeout" json:"test_timeout"`           // one test run; default 5m
	SolverTurns     int           `yaml:"solver_turns" json:"solver_turns"`           // default 6
	SolverTime      time.Duration `yaml:"solver_time" json:"solver_time"`             // wall-clock budget per attempt; default 5m
	InjectorTurns   int           `yaml:"injector_turns" json:"injector_turns"`       // default 4
	Order2Share     float64       `yaml:"order2_share" json:"order2_share"`           // share of solver work on order-2 bugs; default 0.25
	WarmPool        int           `yaml:"warm_pool" json:"warm_pool"`                 // pre-started containers per sandbox kind; default 1, negative: none
	// Hide is how many F2P tests the weakening must hide: all (the default) or some (at least one, the
	// paper's looser check).
	Hide string `yaml:"hide,omitempty" json:"hide,omitempty"`
	// AllowBuildErrors accepts bugs whose run does not build or collect (off by default: the paper's prompts
	// forbid them, and a compile error makes every test of the package fail at once).
	AllowBuildErrors bool `yaml:"allow_build_errors,omitempty" json:"allow_build_errors,omitempty"`

	// Budgets of agents that write code (agent: llm): their turns per episode. The native agent's turns
	// follow from SolverTurns and InjectorTurns instead. A solver's wall clock is SolverTime for every agent.
	InjectorMaxTurns int `yaml:"injector_max_turns,omitempty" json:"injector_max_turns,omitempty"` // default 40
	SolverMaxTurns   int `yaml:"solver_max_turns,omitempty" json:"solver_max_turns,omitempty"`     // default 40
	// InjectorTime is an injector episode's wall clock, for every agent (default 30m).
	InjectorTime time.Duration `yaml:"injector_time,omitempty" json:"injector_time,omitempty"`
}

// Choices of Config.Hide.
const (
	HideAll  = "all"
	HideSome = "some"
)

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MinPassingTests, 5)
	def(&c.MinChangedFiles, 1)
	def(&c.MinFailingTests, 1)
	def(&c.FlakeRuns, 2)
	def(&c.NAttempts, 8)
	def(&c.Containers, 2)
	def(&c.SolverTurns, 6)
	def(&c.InjectorTurns, 4)
	def(&c.InjectorMaxTurns, 40)
	def(&c.SolverMaxTurns, 40)
	if c.InjectorTime <= 0 {
		c.InjectorTime = 30 * time.Minute
	}
	if c.Alpha == 0 {
		c.Alpha = 0.8
	}
	if c.TestTimeout <= 0 {
		c.TestTimeout = 5 * time.Minute
	}
	if c.SolverTime <= 0 {
		c.SolverTime = 5 * time.Minute
	}
	if c.Order2Share == 0 {
		c.Order2Share = 0.25
	}
	if c.Hide == "" {
		c.Hide = HideAll
	}
	if c.WarmPool == 0 {
		c.WarmPool = 1
	}
	return c
}

// Arena carries out the protocol for one job: it owns no containers itself but starts them through a
// sandbox provider, at most Config.Containers test runs at once.
type Arena struct {
	sandboxes sandbox.Provider
	job       string
	cfg       Config
	log       *slog.Logger
	metrics   *Metrics

	mu        sync.Mutex
	originals map[string]*originalEntry // cache of original runs: image id + script + parser

	closing conc.WaitGroup // sandboxes being removed off the critical path

	slowest map[string]time.Duration // test script → its slowest original run, for timeouts
}

// Test runs of a changed tree get a time limit derived from the original runs of the same script: a mutation
// that makes a loop endless should cost a minute, not the whole test_timeout, and a loaded machine must not
// kill a healthy run (5× a 2 s run is 10 s, which two busy cores exceed). The precedence, in one place:
//
//   - an original run (nothing known yet): test_timeout;
//   - every later run of that script: max(timeoutFactor × the slowest original run, that run + timeoutSlack),
//     at most test_timeout;
//   - a bug run killed at its limit is repeated once with twice the limit before its verdict counts.
const (
	timeoutFactor = 5
	timeoutSlack  = time.Minute
)

// noteDuration remembers how long the original state's runs of art's script took.
func (a *Arena) noteDuration(art *artifact.Artifact, runs []*TestRun) {
	var slowest time.Duration
	for _, r := range runs {
		slowest = max(slowest, r.Duration)
	}
	a.mu.Lock()
	a.slowest[art.TestScript] = max(a.slowest[art.TestScript], slowest)
	a.mu.Unlock()
}

// timeoutFor is the time limit of one run of art's test script.
func (a *Arena) timeoutFor(art *artifact.Artifact) time.Duration {
	a.mu.Lock()
	slowest, ok := a.slowest[art.TestScript]
	a.mu.Unlock()
	if !ok {
		return a.cfg.TestTimeout
	}
	return derivedTimeout(slowest, a.cfg.TestTimeout)
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

// New returns an Arena for job that starts sandboxes through p.
func New(p sandbox.Provider, job string, cfg Config, log *slog.Logger) *Arena {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Arena{sandboxes: p, job: job, cfg: cfg.WithDefaults(), log: log, metrics: &Metrics{}, originals: map[string]*originalEntry{},
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
