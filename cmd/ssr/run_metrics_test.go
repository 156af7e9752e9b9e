package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// TestRunMetrics plays a job's sequence of observer calls (a rejected artifact, a valid one, its two
// attempts, its injector's reward) and sandbox use through the wrapped provider, and scrapes /metrics.
func TestRunMetrics(t *testing.T) {
	inUse := 3
	m := newRunMetrics(func() int { return inUse })
	var o = m.observer()
	o.PolicyVersion(7)
	o.TestRun("original", 2*time.Second)
	o.TestRun("bug", 3*time.Second)
	o.Validation("bug", false)
	o.Episode(store.RoleInjector, store.OutcomeRejected, -1)
	o.TestRun("bug", time.Second)
	o.TestRun("weaken", time.Second)
	o.Validation("inverse", true)
	o.TestRun("eval", 500*time.Millisecond)
	o.Episode(store.RoleSolver, store.OutcomeSolved, 1)
	o.TestRun("eval", 700*time.Millisecond)
	o.Episode(store.RoleSolver, store.OutcomeFailed, -1)
	o.Episode(store.RoleInjector, store.OutcomeValid, 0.1)

	p := m.provider(fakeProvider{})
	sb, err := p.Start(context.Background(), sandbox.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{}); err != nil {
			t.Fatal(err)
		}
	}

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`ssr_episodes_total{outcome="rejected",role="injector"} 1`,
		`ssr_episodes_total{outcome="valid",role="injector"} 1`,
		`ssr_episodes_total{outcome="solved",role="solver"} 1`,
		`ssr_episodes_total{outcome="failed",role="solver"} 1`,
		`ssr_episode_reward_count{role="solver"} 2`,
		`ssr_episode_reward_sum{role="injector"} -0.9`,
		`ssr_validations_total{outcome="rejected",step="bug"} 1`,
		`ssr_validations_total{outcome="valid",step="inverse"} 1`,
		`ssr_test_run_duration_seconds_count{kind="bug"} 2`,
		`ssr_test_run_duration_seconds_sum{kind="bug"} 4`,
		`ssr_test_run_duration_seconds_sum{kind="eval"} 1.2`,
		`ssr_sandbox_start_duration_seconds_count 1`,
		`ssr_sandbox_exec_duration_seconds_count 2`,
		`ssr_sandbox_exec_duration_seconds_sum 3`,
		`ssr_sandboxes_in_use 3`,
		`ssr_policy_version 7`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if n := testutil.ToFloat64(m.episodes.WithLabelValues("solver", "solved")); n != 1 {
		t.Errorf("solved solver episodes = %v, want 1", n)
	}
	problems, err := testutil.GatherAndLint(m.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if t.Failed() {
		t.Log(text)
	}
}

func TestRunMetricsNil(t *testing.T) {
	var m *runMetrics
	if m.observer() != nil {
		t.Error("a nil *runMetrics must give a nil Observer, not a typed nil")
	}
	var p sandbox.Provider = fakeProvider{}
	if m.provider(p) != p {
		t.Error("a nil *runMetrics must leave the provider as it is")
	}
}

type fakeProvider struct{}

func (fakeProvider) Start(context.Context, sandbox.Spec) (sandbox.Sandbox, error) {
	return fakeSandbox{}, nil
}

type fakeSandbox struct{ sandbox.Sandbox }

func (fakeSandbox) Exec(context.Context, sandbox.ExecRequest) (sandbox.ExecResult, error) {
	return sandbox.ExecResult{Duration: 1500 * time.Millisecond}, nil
}
