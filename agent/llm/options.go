package llm

import (
	"context"
	"net/http"
	"os"
	"time"
)

// Option changes how New builds an agent; the defaults suit production.
type Option func(*options)

type options struct {
	httpClient *http.Client
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	lookupEnv  func(string) (string, bool)
}

func defaultOptions() options {
	return options{
		httpClient: &http.Client{},
		now:        time.Now,
		sleep:      sleepContext,
		lookupEnv:  os.LookupEnv,
	}
}

// WithHTTPClient sends requests through c (its Timeout should be zero: the agent times requests itself).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithClock replaces time.Now, for latencies and Retry-After dates.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithSleep replaces the wait between retries (tests record the waits instead of sleeping). The function
// returns early with ctx's error when ctx ends.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.sleep = sleep }
}

// WithLookupEnv replaces os.LookupEnv, which reads the variable named by Config.APIKeyEnv.
func WithLookupEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) { o.lookupEnv = lookup }
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
