package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// metricsAddr is 'ssr run --metrics-addr': where /metrics is served while the job runs ("" for nowhere).
var metricsAddr string

// This file sorts after run.go, so the run command exists when its init adds the flag.
func init() {
	for _, c := range rootCmd.Commands() {
		if c.Name() == "run" {
			c.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics while the job runs (e.g. :9100)")
		}
	}
}

// runMetrics are a job's Prometheus metrics. It is the job's arena.Observer, and wraps the sandbox provider
// to time sandbox starts and command executions. A nil *runMetrics observes nothing.
type runMetrics struct {
	reg        *prometheus.Registry
	episodes   *prometheus.CounterVec
	rewards    *prometheus.HistogramVec
	validation *prometheus.CounterVec
	testRuns   *prometheus.HistogramVec
	starts     prometheus.Histogram
	execs      prometheus.Histogram
	policy     prometheus.Gauge
}

var latencyBuckets = []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// newRunMetrics registers a job's metrics; inUse counts the sandboxes running now (the provider's budget).
func newRunMetrics(inUse func() int) *runMetrics {
	m := &runMetrics{
		reg: prometheus.NewRegistry(),
		episodes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ssr_episodes_total",
			Help: "Episodes ended, by role and outcome (injector: valid, rejected; solver: solved, failed)."}, []string{"role", "outcome"}),
		rewards: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ssr_episode_reward",
			Help: "Rewards of ended episodes, by role.", Buckets: prometheus.LinearBuckets(-1, 0.25, 9)}, []string{"role"}),
		validation: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ssr_validations_total",
			Help: "Artifact verdicts, by the last step reached and outcome (valid, rejected)."}, []string{"step", "outcome"}),
		testRuns: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ssr_test_run_duration_seconds",
			Help: "Recorded test runs' wall time, by kind (original, bug, weaken, inverse, eval).", Buckets: latencyBuckets}, []string{"kind"}),
		starts: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ssr_sandbox_start_duration_seconds",
			Help: "Time to start a sandbox (including waiting for the container budget).", Buckets: latencyBuckets}),
		execs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ssr_sandbox_exec_duration_seconds",
			Help: "Wall time of commands run in sandboxes.", Buckets: latencyBuckets}),
		policy: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ssr_policy_version", Help: "The policy version acting now."}),
	}
	m.reg.MustRegister(m.episodes, m.rewards, m.validation, m.testRuns, m.starts, m.execs, m.policy,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ssr_sandboxes_in_use", Help: "Sandboxes running now."},
			func() float64 { return float64(inUse()) }))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *runMetrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// startMetrics serves /metrics at --metrics-addr until ctx ends; without the flag it returns nil.
func startMetrics(ctx context.Context, out io.Writer, inUse func() int) (*runMetrics, error) {
	if metricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", metricsAddr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", metricsAddr, err)
	}
	m := newRunMetrics(inUse)
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { // serves until the job ends; Shutdown below stops it
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(out, "metrics server: %v\n", err)
		}
	}()
	context.AfterFunc(ctx, func() { srv.Close() })
	fmt.Fprintf(out, "metrics at http://%s/metrics\n", ln.Addr())
	return m, nil
}

// observer is m as the Runner's observer: nil (no observer) when m is nil.
func (m *runMetrics) observer() arena.Observer {
	if m == nil {
		return nil
	}
	return m
}

// provider wraps p so that sandbox starts and command executions are timed; p itself when m is nil.
func (m *runMetrics) provider(p sandbox.Provider) sandbox.Provider {
	if m == nil {
		return p
	}
	return timedProvider{p, m}
}

func (m *runMetrics) Episode(role store.Role, outcome string, reward float64) {
	m.episodes.WithLabelValues(string(role), outcome).Inc()
	m.rewards.WithLabelValues(string(role)).Observe(reward)
}

func (m *runMetrics) Validation(step string, valid bool) {
	outcome := store.OutcomeRejected
	if valid {
		outcome = store.OutcomeValid
	}
	m.validation.WithLabelValues(step, outcome).Inc()
}

func (m *runMetrics) TestRun(kind string, d time.Duration) {
	m.testRuns.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *runMetrics) PolicyVersion(v int64) { m.policy.Set(float64(v)) }

type timedProvider struct {
	sandbox.Provider
	m *runMetrics
}

func (p timedProvider) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	start := time.Now()
	sb, err := p.Provider.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	p.m.starts.Observe(time.Since(start).Seconds())
	return timedSandbox{sb, p.m}, nil
}

type timedSandbox struct {
	sandbox.Sandbox
	m *runMetrics
}

func (s timedSandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	res, err := s.Sandbox.Exec(ctx, req)
	if err == nil {
		s.m.execs.Observe(res.Duration.Seconds())
	}
	return res, err
}
