package arena

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// run builds a parsed run: statuses as "id=status" pairs.
func run(end string, pairs ...string) *TestRun {
	r := &TestRun{End: end, Results: map[string]string{}, Timeout: 70 * time.Second, Duration: 70 * time.Second}
	if end == plugin.RunTimedOut {
		r.TimedOut, r.ExitCode = true, 137
	}
	for _, p := range pairs {
		id, s, _ := strings.Cut(p, "=")
		r.Results[id] = s
	}
	return r
}

func set(ids ...string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func TestJudgeBug(t *testing.T) {
	const done, timedOut, broken, crashed = plugin.RunCompleted, plugin.RunTimedOut, plugin.RunBuildFailed, plugin.RunCrashed
	cfg := DefaultConfig()
	passing := set("a", "b", "c", "d")
	tests := map[string]struct {
		cfg        *Config
		runs       []*TestRun
		f2p, p2p   []string
		notRun     []string
		flaky      []string
		wantReject string // substring; "" for accepted
	}{
		"plain failure": {
			runs: []*TestRun{run(done, "a=failed", "b=passed", "c=passed", "d=passed"), run(done, "a=failed", "b=passed", "c=passed", "d=passed")},
			f2p:  []string{"a"}, p2p: []string{"b", "c", "d"},
		},
		"killed mid-suite: tests after the kill are not run, never F2P": {
			runs: []*TestRun{run(timedOut, "a=failed", "b=passed"), run(timedOut, "a=failed", "b=passed")},
			f2p:  []string{"a"}, p2p: []string{"b"}, notRun: []string{"c", "d"},
		},
		"timed out with no failure reported: a hang is rejected": {
			runs:       []*TestRun{run(timedOut, "a=passed"), run(timedOut, "a=passed")},
			p2p:        []string{"a"},
			notRun:     []string{"b", "c", "d"},
			wantReject: "timed out after 1m10s (limit 1m10s) with no originally passing test reporting a failure",
		},
		"a package that no longer builds is rejected with its name": {
			runs:       []*TestRun{{End: broken, Broken: []string{"example.com/m/calc"}, Results: map[string]string{"example.com/m/calc::[build]": "error"}}, run(done)},
			wantReject: "the bug breaks the build: the bug run did not build or collect: example.com/m/calc",
		},
		"build errors allowed by the job: tests that did not build are not run": {
			cfg:        ptr(conf(func(c *Config) { c.AllowBuildErrors = true; c.MinFailingTests = 1 })),
			runs:       []*TestRun{{End: broken, Broken: []string{"p"}, Results: map[string]string{"a": "failed", "b": "passed", "c": "passed"}}},
			f2p:        []string{"a"},
			p2p:        []string{"b", "c"},
			notRun:     []string{"d"},
			wantReject: "",
		},
		"a panic mid-package: only reported failures are F2P": {
			runs: []*TestRun{run(crashed, "a=failed", "b=passed"), run(crashed, "a=failed", "b=passed")},
			f2p:  []string{"a"}, p2p: []string{"b"}, notRun: []string{"c", "d"},
		},
		"nothing reported a failure, everything else unrun": {
			runs:       []*TestRun{run(crashed, "a=passed"), run(crashed, "a=passed")},
			p2p:        []string{"a"},
			notRun:     []string{"b", "c", "d"},
			wantReject: "makes 0 originally passing test(s) report a failure in every one of 2 bug run(s) (need at least 1); 3 did not run (the run crashed (exit 0))",
		},
		"injected randomness: a test that fails only sometimes is excluded": {
			runs:  []*TestRun{run(done, "a=failed", "b=failed", "c=passed", "d=passed"), run(done, "a=failed", "b=passed", "c=passed", "d=passed")},
			f2p:   []string{"a"},
			p2p:   []string{"c", "d"},
			flaky: []string{"b"},
		},
		"only flaky failures: rejected and said so": {
			runs:       []*TestRun{run(done, "a=failed", "b=passed", "c=passed", "d=passed"), run(done, "a=passed", "b=passed", "c=passed", "d=passed")},
			p2p:        []string{"b", "c", "d"},
			flaky:      []string{"a"},
			wantReject: "1 failed in some runs and passed in others (a)",
		},
		"skipped by the bug: neither F2P nor P2P": {
			runs: []*TestRun{run(done, "a=failed", "b=skipped", "c=passed", "d=passed")},
			f2p:  []string{"a"}, p2p: []string{"c", "d"},
		},
		"parser failure": {
			runs:       []*TestRun{{End: done, ParseErr: "script parser p.py failed (exit 1)"}},
			wantReject: "the parser failed on the bug run's output: script parser p.py failed",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := cfg
			if tt.cfg != nil {
				c = *tt.cfg
			}
			v := judgeBug(c, passing, tt.runs)
			if tt.wantReject == "" && v.Rejection != "" {
				t.Fatalf("rejected: %s", v.Rejection)
			}
			if tt.wantReject != "" && !strings.Contains(v.Rejection, tt.wantReject) {
				t.Fatalf("rejection = %q, want it to contain %q", v.Rejection, tt.wantReject)
			}
			if v.Rejection != "" && strings.Contains(tt.wantReject, "build") {
				return // rejected before any list is computed
			}
			for what, got := range map[string][2][]string{"F2P": {v.F2P, tt.f2p}, "P2P": {v.P2P, tt.p2p}, "not run": {v.NotRun, tt.notRun}, "flaky": {v.Flaky, tt.flaky}} {
				if !slices.Equal(got[0], got[1]) {
					t.Errorf("%s = %v, want %v", what, got[0], got[1])
				}
			}
			for _, id := range v.F2P {
				for _, r := range tt.runs {
					if s := r.Status(id); s != plugin.StatusFailed && s != plugin.StatusError {
						t.Errorf("F2P test %s has status %s in a bug run: only reported failures may be F2P", id, s)
					}
				}
			}
		})
	}
}

func TestJudgeWeaken(t *testing.T) {
	f2p := []string{"a", "b"}
	five := []string{"p1=passed", "p2=passed", "p3=passed", "p4=passed", "p5=passed"}
	tests := map[string]struct {
		hide       string
		run        *TestRun
		removed    map[string]bool
		hidden     []string
		wantReject string
	}{
		"both removed by the diff": {run: run(plugin.RunCompleted, five...), removed: set("a", "b"), hidden: []string{"a", "b"}},
		"one passes, one removed": {
			run: run(plugin.RunCompleted, append(five, "a=passed")...), removed: set("b"), hidden: []string{"a", "b"},
		},
		"absent but not removed: not hidden": {
			run: run(plugin.RunCompleted, five...), removed: set("a"), hidden: []string{"a"},
			wantReject: "1 of 2 F2P test(s) are not hidden (b (not_run))",
		},
		"one still failing under hide all": {
			run: run(plugin.RunCompleted, append(five, "b=failed")...), removed: set("a"), hidden: []string{"a"},
			wantReject: "1 of 2 F2P test(s) are not hidden (b (failed)): the weakening must remove their definitions or make them pass (hide: all)",
		},
		"one still failing under hide some": {
			hide: HideSome, run: run(plugin.RunCompleted, append(five, "b=failed")...), removed: set("a"), hidden: []string{"a"},
		},
		"none hidden under hide some": {
			hide: HideSome, run: run(plugin.RunCompleted, append(five, "a=failed", "b=error")...),
			wantReject: "2 of 2 F2P test(s) are not hidden",
		},
		"the weakened run still does not build": {
			run:        &TestRun{End: plugin.RunBuildFailed, Broken: []string{"example.com/m/calc"}, Results: map[string]string{}},
			removed:    set("a", "b"),
			wantReject: "with both diffs applied the run did not build or collect: example.com/m/calc: the weakened run must complete and build",
		},
		"the weakened run timed out": {
			run: run(plugin.RunTimedOut, five...), removed: set("a", "b"),
			wantReject: "with both diffs applied the run timed out after 1m10s (limit 1m10s)",
		},
		"too few pass after weakening": {
			run: run(plugin.RunCompleted, "p1=passed"), removed: set("a", "b"), hidden: []string{"a", "b"},
			wantReject: "only 1 test(s) pass (need at least 5)",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := conf(func(c *Config) { c.Hide = cmp.Or(tt.hide, c.Hide) })
			v := judgeWeaken(cfg, f2p, tt.run, tt.removed)
			if tt.wantReject == "" && v.Rejection != "" {
				t.Fatalf("rejected: %s", v.Rejection)
			}
			if tt.wantReject != "" && !strings.Contains(v.Rejection, tt.wantReject) {
				t.Fatalf("rejection = %q, want it to contain %q", v.Rejection, tt.wantReject)
			}
			if tt.run.Completed() && !slices.Equal(v.Hidden, tt.hidden) {
				t.Errorf("hidden = %v, want %v", v.Hidden, tt.hidden)
			}
		})
	}
}

func TestOriginalVerdict(t *testing.T) {
	passing, flaky := originalVerdict([]*TestRun{
		run(plugin.RunCompleted, "a=passed", "b=passed", "c=failed", "d=passed"),
		run(plugin.RunCompleted, "a=passed", "b=failed", "c=failed"),
	})
	if !maps.Equal(passing, set("a")) || !slices.Equal(flaky, []string{"b", "d"}) {
		t.Errorf("passing %v flaky %v, want [a] and [b d]", passing, flaky)
	}
}

func TestJudgeInverse(t *testing.T) {
	if why := judgeInverse([]string{"a", "b"}, "x.py", run(plugin.RunCompleted, "a=failed", "b=passed")); why != "" {
		t.Errorf("one F2P passes again, rejected: %s", why)
	}
	why := judgeInverse([]string{"a"}, "x.py", run(plugin.RunTimedOut))
	if !strings.Contains(why, "restoring x.py alone makes no F2P test pass again") || !strings.Contains(why, "timed out") {
		t.Errorf("rejection %q should name the file and the timeout", why)
	}
}

func TestClassifyEnd(t *testing.T) {
	tests := []struct {
		timedOut bool
		exit     int
		parser   string
		want     string
	}{
		{true, 137, plugin.RunCompleted, plugin.RunTimedOut},
		{false, 1, plugin.RunBuildFailed, plugin.RunBuildFailed},
		{false, 137, "", plugin.RunCrashed},
		{false, -1, "", plugin.RunCrashed},
		{false, 1, "", plugin.RunCompleted},
		{false, 0, plugin.RunCrashed, plugin.RunCrashed},
	}
	for _, tt := range tests {
		if got := classifyEnd(tt.timedOut, tt.exit, tt.parser); got != tt.want {
			t.Errorf("classifyEnd(%v, %d, %q) = %s, want %s", tt.timedOut, tt.exit, tt.parser, got, tt.want)
		}
	}
}
