package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// newClient builds the OpenAI client. Its own retries are off: complete retries, so that the count and the
// waits are ours to record and to test. The Authorization header is set from the config alone, never from
// ambient OPENAI_* variables, so a key meant for one endpoint is not sent to another.
func newClient(cfg Config, key string, hc *http.Client) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(cfg.BaseURL),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0),
		option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			req.Header.Del("OpenAI-Organization")
			req.Header.Del("OpenAI-Project")
			if key == "" {
				req.Header.Del("Authorization")
			} else {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			return next(req)
		}),
	)
}

// completion is one successful model call.
type completion struct {
	resp    *openai.ChatCompletion
	retries int           // failed attempts before it
	latency time.Duration // of the attempt that succeeded
}

// attemptError is one failed attempt, classified.
type attemptError struct {
	status     int           // HTTP status, 0 when none came
	retryable  bool          // worth another attempt
	retryAfter time.Duration // the server's wish, when it said one (-1: none)
	err        error
}

// complete sends params, retrying 429, 5xx, timeouts, transport failures and unreadable replies with
// exponential backoff (or the server's Retry-After) up to MaxRetries times.
func (a *Agent) complete(ctx context.Context, params openai.ChatCompletionNewParams, opts []option.RequestOption) (completion, error) {
	for attempt := 0; ; attempt++ {
		start := a.opts.now()
		resp, aerr := a.attempt(ctx, params, opts)
		if aerr == nil {
			return completion{resp: resp, retries: attempt, latency: a.opts.now().Sub(start)}, nil
		}
		if ctx.Err() != nil {
			return completion{}, fmt.Errorf("llm: %s: %w", a.cfg.BaseURL, context.Cause(ctx))
		}
		if !aerr.retryable {
			return completion{}, a.fatal(aerr)
		}
		if attempt >= *a.cfg.MaxRetries {
			return completion{}, fmt.Errorf("%w: %s did not answer after %d retries: %v (check that the server is up and serves %q)",
				ErrUnavailable, a.cfg.BaseURL, attempt, aerr.err, a.cfg.Model)
		}
		if err := a.opts.sleep(ctx, a.backoff(attempt, aerr.retryAfter)); err != nil {
			return completion{}, fmt.Errorf("llm: %s: %w", a.cfg.BaseURL, err)
		}
	}
}

// attempt makes one request under the per-request timeout.
func (a *Agent) attempt(ctx context.Context, params openai.ChatCompletionNewParams, opts []option.RequestOption) (*openai.ChatCompletion, *attemptError) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if t := *a.cfg.RequestTimeout; t > 0 {
		actx, cancel = context.WithTimeout(ctx, t)
	}
	defer cancel()
	var raw *http.Response
	resp, err := a.client.Chat.Completions.New(actx, params, append(opts, option.WithResponseInto(&raw))...)
	if err == nil {
		if len(resp.Choices) == 0 {
			return nil, &attemptError{status: http.StatusOK, retryable: true, retryAfter: -1, err: errors.New("the reply has no choices")}
		}
		return resp, nil
	}
	ae := &attemptError{retryAfter: -1, err: err}
	if ctx.Err() == nil && actx.Err() != nil {
		ae.retryable, ae.err = true, fmt.Errorf("no reply within request_timeout %v", *a.cfg.RequestTimeout)
		return nil, ae
	}
	if raw == nil {
		ae.retryable = true // no response: the connection failed
		return nil, ae
	}
	ae.status = raw.StatusCode
	var apiErr *openai.Error
	if errors.As(err, &apiErr) && apiErr.Message != "" {
		ae.err = fmt.Errorf("HTTP %d: %s", raw.StatusCode, apiErr.Message)
	} else if raw.StatusCode >= 400 {
		ae.err = fmt.Errorf("HTTP %d", raw.StatusCode)
	} else {
		ae.err = fmt.Errorf("unreadable reply (HTTP %d): %v", raw.StatusCode, err)
	}
	switch s := raw.StatusCode; {
	case s == http.StatusTooManyRequests || s >= 500 || s == http.StatusRequestTimeout || s == http.StatusConflict:
		ae.retryable = true
		ae.retryAfter = retryAfter(raw.Header, a.opts.now())
	case s < 400:
		ae.retryable = true // a 2xx or 3xx whose body did not decode
	}
	return nil, ae
}

// fatal is the error for an attempt that retrying cannot fix.
func (a *Agent) fatal(ae *attemptError) error {
	switch ae.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w: %s answered %v: check llm.api_key_env (or llm.api_key)", ErrAuth, a.cfg.BaseURL, ae.err)
	}
	return fmt.Errorf("%w: %s answered %v (model %q)", ErrRejected, a.cfg.BaseURL, ae.err, a.cfg.Model)
}

// backoff is the wait before retry n+1: the server's Retry-After when it gave one, else RetryDelay·2ⁿ
// capped at RetryMaxDelay, with jitter in its upper half so that many episodes do not retry in step.
func (a *Agent) backoff(n int, serverWait time.Duration) time.Duration {
	if serverWait >= 0 {
		return min(serverWait, maxRetryAfter)
	}
	d := *a.cfg.RetryDelay
	for i := 0; i < n && d < *a.cfg.RetryMaxDelay; i++ {
		d *= 2
	}
	d = min(d, *a.cfg.RetryMaxDelay)
	return a.jitter(d)
}

func halfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads Retry-After-Ms or Retry-After (seconds or an HTTP date); -1 when neither is usable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return -1
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}
