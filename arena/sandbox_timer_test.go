package arena

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// sandboxTimer wraps a sandbox provider and adds up the time the arena waits in each sandbox operation
// (by the sandbox's role), which is the job's critical path when one thing runs at a time.
type sandboxTimer struct {
	sandbox.Provider
	mu   sync.Mutex
	took map[string]time.Duration
	n    map[string]int
}

func newSandboxTimer(p sandbox.Provider) *sandboxTimer {
	return &sandboxTimer{Provider: p, took: map[string]time.Duration{}, n: map[string]int{}}
}

func (t *sandboxTimer) add(op string, start time.Time) { t.addDuration(op, time.Since(start)) }

func (t *sandboxTimer) addDuration(op string, d time.Duration) {
	t.mu.Lock()
	t.took[op] += d
	t.n[op]++
	t.mu.Unlock()
}

func (t *sandboxTimer) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Sandbox, error) {
	defer t.add(spec.Role+" start", time.Now())
	sb, err := t.Provider.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &timedSandbox{Sandbox: sb, t: t, role: spec.Role}, nil
}

// String lists the time in each operation, e.g. "test exec 40 × 31.2s".
func (t *sandboxTimer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(t.took)) {
		parts = append(parts, fmt.Sprintf("%s %d × %s", k, t.n[k], t.took[k].Round(10*time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

type timedSandbox struct {
	sandbox.Sandbox
	t    *sandboxTimer
	role string
}

func (s *timedSandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	start := time.Now()
	res, err := s.Sandbox.Exec(ctx, req)
	what := s.role + " exec " + path.Base(req.Cmd[0])
	if isTestRun(req.Cmd) {
		what = s.role + " test-run"
	}
	took := time.Since(start)
	s.t.addDuration(what, took)
	s.t.addDuration(what+" (beyond Duration)", took-res.Duration)
	return res, err
}

func (s *timedSandbox) WriteFiles(ctx context.Context, files ...sandbox.File) error {
	defer s.t.add(s.role+" write", time.Now())
	return s.Sandbox.WriteFiles(ctx, files...)
}

func (s *timedSandbox) ReadFile(ctx context.Context, path string) ([]byte, error) {
	defer s.t.add(s.role+" read", time.Now())
	return s.Sandbox.ReadFile(ctx, path)
}

func (s *timedSandbox) Diff(ctx context.Context) ([]byte, error) {
	defer s.t.add(s.role+" diff", time.Now())
	return s.Sandbox.Diff(ctx)
}

func (s *timedSandbox) Reset(ctx context.Context) error {
	defer s.t.add(s.role+" reset", time.Now())
	return s.Sandbox.Reset(ctx)
}

func (s *timedSandbox) Close(ctx context.Context) error {
	defer s.t.add(s.role+" close", time.Now())
	return s.Sandbox.Close(ctx)
}
