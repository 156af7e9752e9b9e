package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent"
)

// fakeServer is an OpenAI-compatible chat-completions endpoint that replays scripted replies in order (the
// last one repeats) and records every request.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	script   []reply
	n        int
	requests []map[string]any
	headers  []http.Header

	inflight, maxInflight atomic.Int32
	hold                  time.Duration // every request waits this long before its reply
}

// reply writes one response.
type reply func(w http.ResponseWriter, r *http.Request)

func newFakeServer(t *testing.T, script ...reply) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) url() string { return f.srv.URL + "/v1" }

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	cur := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		m := f.maxInflight.Load()
		if cur <= m || f.maxInflight.CompareAndSwap(m, cur) {
			break
		}
	}
	if r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "no such path "+r.URL.Path, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("request body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.headers = append(f.headers, r.Header.Clone())
	i := min(f.n, len(f.script)-1)
	f.n++
	rep := f.script[i]
	f.mu.Unlock()
	if f.hold > 0 {
		time.Sleep(f.hold)
	}
	rep(w, r)
}

// request returns the i-th request received (negative: from the end).
func (f *fakeServer) request(i int) map[string]any {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if i < 0 {
		i += len(f.requests)
	}
	if i < 0 || i >= len(f.requests) {
		f.t.Fatalf("request %d: only %d received", i, len(f.requests))
	}
	return f.requests[i]
}

func (f *fakeServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// completionJSON is a chat-completion body with one choice.
func completionJSON(msg map[string]any, finish string, logprobs any) map[string]any {
	return map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "served-model",
		"choices": []any{map[string]any{"index": 0, "finish_reason": finish, "message": msg, "logprobs": logprobs}},
		"usage":   map[string]any{"prompt_tokens": 120, "completion_tokens": 7, "total_tokens": 127},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// toolCalls replies with native tool calls, given as name, arguments pairs.
func toolCalls(content string, nameArgs ...string) reply {
	return func(w http.ResponseWriter, _ *http.Request) {
		var calls []any
		for i := 0; i+1 < len(nameArgs); i += 2 {
			calls = append(calls, map[string]any{"id": fmt.Sprintf("call_%c", 'a'+i/2), "type": "function",
				"function": map[string]any{"name": nameArgs[i], "arguments": nameArgs[i+1]}})
		}
		msg := map[string]any{"role": "assistant", "content": content, "tool_calls": calls}
		writeJSON(w, completionJSON(msg, "tool_calls", nil))
	}
}

// text replies with plain content and a finish reason.
func text(content, finish string) reply {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, completionJSON(map[string]any{"role": "assistant", "content": content}, finish, nil))
	}
}

// status replies with an HTTP error and headers given as key, value pairs.
func status(code int, kv ...string) reply {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Set(kv[i], kv[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, `{"error":{"message":"scripted %d","type":"server_error"}}`, code)
	}
}

// raw replies 200 with body as JSON content.
func raw(body string) reply {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

// hang never answers until the client gives up.
func hang(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

// sleeps records the waits the agent asks for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func ptr[T any](v T) *T { return &v }

// newTestAgent builds an agent against f with fast, recorded retries.
func newTestAgent(t *testing.T, f *fakeServer, edit func(*Config), opts ...Option) (*Agent, *sleeps) {
	t.Helper()
	cfg := Config{BaseURL: f.url(), Model: "test-model", MaxRetries: ptr(3), RequestTimeout: ptr(5 * time.Second)}
	if edit != nil {
		edit(&cfg)
	}
	s := &sleeps{}
	a, err := New(cfg, append([]Option{WithSleep(s.sleep)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.jitter = func(d time.Duration) time.Duration { return d }
	return a, s
}

func solverTask() agent.Task {
	return agent.Task{Role: agent.Solver, Repo: "calc", Language: "python", Workdir: "/repo",
		Text: "The repository in /repo has a bug. These test changes must pass; fix the code (not the tests):\n\n--- a/t.py\n+++ b/t.py\n",
		Spec: "--- a/t.py\n+++ b/t.py\n"}
}

func injectorTask(strategy string) agent.Task {
	return agent.Task{Role: agent.Injector, Strategy: strategy, Repo: "calc", Language: "python", Workdir: "/repo",
		ArtifactDir: "/opt/ssr/artifact", TestCommand: "python -m pytest -rA", Parser: "pytest",
		MinPassingTests: 5, MinFailingTests: 1, MinChangedFiles: 1}
}

// messages returns a request's messages.
func messages(t *testing.T, req map[string]any) []map[string]any {
	t.Helper()
	raw, _ := req["messages"].([]any)
	out := make([]map[string]any, len(raw))
	for i, m := range raw {
		out[i], _ = m.(map[string]any)
	}
	return out
}
