package llm

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent"
)

func act(t *testing.T, a *Agent) (agent.Action, error) {
	t.Helper()
	return a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3})
}

func TestRetries(t *testing.T) {
	ok := toolCalls("", "submit", "{}")
	cases := map[string]struct {
		script      []reply
		retries     int
		wantSleeps  []time.Duration
		wantErr     error
		wantRetries int // recorded on the message
		requests    int
	}{
		"500s then success": {script: []reply{status(500), status(503), ok}, retries: 3,
			wantSleeps: []time.Duration{time.Second, 2 * time.Second}, wantRetries: 2, requests: 3},
		"429 with Retry-After seconds": {script: []reply{status(429, "Retry-After", "7"), ok}, retries: 3,
			wantSleeps: []time.Duration{7 * time.Second}, wantRetries: 1, requests: 2},
		"429 with Retry-After-Ms": {script: []reply{status(429, "Retry-After-Ms", "250"), ok}, retries: 3,
			wantSleeps: []time.Duration{250 * time.Millisecond}, wantRetries: 1, requests: 2},
		"429 with Retry-After date": {script: []reply{status(429, "Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"), ok}, retries: 3,
			wantSleeps: []time.Duration{3 * time.Second}, wantRetries: 1, requests: 2},
		"invalid JSON then success": {script: []reply{raw(`{"id": "x", "choices": [`), ok}, retries: 3,
			wantSleeps: []time.Duration{time.Second}, wantRetries: 1, requests: 2},
		"no choices then success": {script: []reply{raw(`{"id":"x","object":"chat.completion","model":"m","choices":[]}`), ok}, retries: 3,
			wantSleeps: []time.Duration{time.Second}, wantRetries: 1, requests: 2},
		"500 until the limit": {script: []reply{status(500)}, retries: 2,
			wantSleeps: []time.Duration{time.Second, 2 * time.Second}, wantErr: ErrUnavailable, requests: 3},
		"invalid JSON every time": {script: []reply{raw(`not json at all`)}, retries: 1,
			wantSleeps: []time.Duration{time.Second}, wantErr: ErrUnavailable, requests: 2},
		"no retries configured": {script: []reply{status(502), ok}, retries: 0, wantErr: ErrUnavailable, requests: 1},
		"401 is not retried":    {script: []reply{status(401), ok}, retries: 3, wantErr: ErrAuth, requests: 1},
		"400 is not retried":    {script: []reply{status(400), ok}, retries: 3, wantErr: ErrRejected, requests: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeServer(t, tc.script...)
			now := time.Date(1994, 11, 6, 8, 49, 34, 0, time.UTC) // 3 s before the Retry-After date
			a, s := newTestAgent(t, f, func(c *Config) { c.MaxRetries = ptr(tc.retries) }, WithClock(func() time.Time { return now }))
			got, err := act(t, a)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), f.url()) {
					t.Fatalf("the error must name the endpoint: %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got.Message.Retries != tc.wantRetries || got.Tool != "submit" {
				t.Fatalf("retries = %d, tool %q; want %d, submit", got.Message.Retries, got.Tool, tc.wantRetries)
			}
			if sl := s.all(); !reflect.DeepEqual(sl, tc.wantSleeps) && !(len(sl) == 0 && len(tc.wantSleeps) == 0) {
				t.Fatalf("waits = %v, want %v", sl, tc.wantSleeps)
			}
			if f.count() != tc.requests {
				t.Fatalf("%d requests, want %d", f.count(), tc.requests)
			}
		})
	}
}

func TestBackoffGrowsToTheCap(t *testing.T) {
	f := newFakeServer(t, status(500))
	a, _ := newTestAgent(t, f, func(c *Config) { c.RetryDelay = ptr(time.Second); c.RetryMaxDelay = ptr(5 * time.Second) })
	var got []time.Duration
	for n := range 5 {
		got = append(got, a.backoff(n, -1))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("backoff = %v, want %v", got, want)
	}
	if d := a.backoff(0, time.Hour); d != maxRetryAfter {
		t.Fatalf("a Retry-After of an hour waits %v, want the cap %v", d, maxRetryAfter)
	}
	for range 100 {
		if d := halfJitter(4 * time.Second); d < 2*time.Second || d > 4*time.Second {
			t.Fatalf("jitter %v outside [2s, 4s]", d)
		}
	}
}

func TestHungResponseTimesOut(t *testing.T) {
	f := newFakeServer(t, hang, toolCalls("", "submit", "{}"))
	a, s := newTestAgent(t, f, func(c *Config) { c.RequestTimeout = ptr(100 * time.Millisecond) })
	start := time.Now()
	got, err := act(t, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.Message.Retries != 1 || len(s.all()) != 1 {
		t.Fatalf("retries = %d, waits %v: the hung request must count as one failed attempt", got.Message.Retries, s.all())
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("took %v: the request timeout was not applied", el)
	}

	// Hanging every time ends in an error that says so.
	f2 := newFakeServer(t, hang)
	a2, _ := newTestAgent(t, f2, func(c *Config) { c.RequestTimeout = ptr(50 * time.Millisecond); c.MaxRetries = ptr(1) })
	_, err = act(t, a2)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "request_timeout") {
		t.Fatalf("err = %v", err)
	}
}

func TestServerStopped(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "submit", "{}"))
	a, s := newTestAgent(t, f, func(c *Config) { c.MaxRetries = ptr(2) })
	if _, err := act(t, a); err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	_, err := act(t, a)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), f.url()) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line naming the endpoint: %q", err)
	}
	if len(s.all()) != 2 {
		t.Fatalf("waits = %v, want 2 (max_retries)", s.all())
	}
}

func TestEpisodeContextEndsRetries(t *testing.T) {
	f := newFakeServer(t, status(503))
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{BaseURL: f.url(), Model: "m", MaxRetries: ptr(100)}
	a, err := New(cfg, WithSleep(func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Act(ctx, &agent.Observation{Task: solverTask(), TurnsLeft: 3})
	if !errors.Is(err, context.Canceled) || f.count() != 1 {
		t.Fatalf("err = %v after %d requests; want context.Canceled after 1", err, f.count())
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		h    http.Header
		want time.Duration
	}{
		"none":        {http.Header{}, -1},
		"seconds":     {http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		"fraction":    {http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		"ms wins":     {http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"20"}}, 20 * time.Millisecond},
		"date":        {http.Header{"Retry-After": {now.Add(9 * time.Second).Format(http.TimeFormat)}}, 9 * time.Second},
		"past date":   {http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		"garbage":     {http.Header{"Retry-After": {"soon"}}, -1},
		"negative":    {http.Header{"Retry-After": {"-4"}}, -1},
		"bad ms, sec": {http.Header{"Retry-After-Ms": {"x"}, "Retry-After": {"2"}}, 2 * time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := retryAfter(tc.h, now); got != tc.want {
				t.Fatalf("retryAfter = %v, want %v", got, tc.want)
			}
		})
	}
}
