package arena

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// scripted is an agent that plays a fixed list of actions (the last one again when the list runs out), or
// fails with err at turn failAt.
type scripted struct {
	actions    []agent.Action
	structured bool
	failAt     int // -1: never
	seen       []*agent.Observation
}

func (s *scripted) Name() string         { return "scripted" }
func (s *scripted) PolicyVersion() int64 { return 0 }
func (s *scripted) Structured() bool     { return s.structured }
func (s *scripted) Act(_ context.Context, obs *agent.Observation) (agent.Action, error) {
	s.seen = append(s.seen, obs)
	if obs.Turn == s.failAt {
		return agent.Action{}, errors.New("the model endpoint went away")
	}
	return s.actions[min(obs.Turn, len(s.actions)-1)], nil
}

// memRules serve two candidates that append a line to a.txt, count test runs and accept every submit.
type memRules struct{ runs, submits int }

func (r *memRules) candidates(context.Context, *episode) ([]candidate, error) {
	var out []candidate
	for i := range 2 {
		out = append(out, candidate{Candidate: agent.Candidate{Kind: "edit", File: "a.txt", Line: i + 1, Operator: "append"},
			change: func(_ context.Context, src []byte) ([]byte, string, string, error) {
				return append(src, fmt.Sprintf("line %d\n", i)...), "", "", nil
			}})
	}
	return out, nil
}
func (r *memRules) runTests(context.Context, *episode) (agent.Result, error) {
	r.runs++
	return agent.Result{Output: "0 passed", Failing: 1}, nil
}
func (r *memRules) submit(context.Context, *episode) (agent.Result, error) {
	r.submits++
	return agent.Result{Output: "submitted"}, nil
}

// memSandbox holds files in memory; it runs no commands.
type memSandbox struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memSandbox) ID() string { return "mem" }
func (m *memSandbox) Exec(_ context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	if req.Cmd[0] == "rm" {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, p := range req.Cmd[3:] {
			delete(m.files, p)
		}
		return sandbox.ExecResult{}, nil
	}
	return sandbox.ExecResult{}, errors.New("memSandbox runs no commands")
}
func (m *memSandbox) WriteFiles(_ context.Context, files ...sandbox.File) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range files {
		m.files[f.Path] = f.Data
	}
	return nil
}
func (m *memSandbox) ReadFile(_ context.Context, p string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.files[strings.TrimPrefix(p, "/repo/")]
	if !ok {
		return nil, sandbox.ErrNotExist
	}
	return data, nil
}
func (m *memSandbox) Diff(context.Context) ([]byte, error)                      { return nil, nil }
func (m *memSandbox) Reset(context.Context) error                               { return nil }
func (m *memSandbox) Commit(context.Context, string, ...string) (string, error) { return "", nil }
func (m *memSandbox) Close(context.Context) error                               { return nil }

func TestEpisodeLoop(t *testing.T) {
	apply := func(k int) agent.Action { return agent.Action{Tool: agent.ToolApply, Candidate: k} }
	tool := func(name string) agent.Action { return agent.Action{Tool: name} }
	tests := map[string]struct {
		agent       *scripted
		maxTurns    int
		deadline    time.Time
		wantErr     string
		wantEnded   string
		wantTurns   int
		wantInvalid int
		wantRuns    int
		wantFile    string // a.txt at the end
		check       func(t *testing.T, turns []agent.Turn, seen []*agent.Observation)
	}{
		"invalid actions are answered and counted": {
			agent: &scripted{structured: true, failAt: -1, actions: []agent.Action{
				{Invalid: "the reply has no tool call"}, tool("dance"), apply(5), apply(-1), tool(agent.ToolSubmit)}},
			maxTurns: 10, wantEnded: endSubmit, wantTurns: 5, wantInvalid: 4, wantFile: "base\n",
			check: func(t *testing.T, turns []agent.Turn, _ []*agent.Observation) {
				for i, want := range []string{"invalid action: the reply has no tool call", `unknown tool "dance"`, "candidate 5 does not exist", "candidate -1 does not exist"} {
					if !strings.Contains(turns[i].Result.Error, want) {
						t.Errorf("turn %d error %q, want it to say %q", i, turns[i].Result.Error, want)
					}
				}
			},
		},
		"the turn budget ends the episode": {
			agent:    &scripted{failAt: -1, actions: []agent.Action{tool(agent.ToolRunTests)}},
			maxTurns: 3, wantEnded: endTurns, wantTurns: 3, wantRuns: 3, wantFile: "base\n",
			check: func(t *testing.T, _ []agent.Turn, seen []*agent.Observation) {
				if seen[0].TurnsLeft != 3 || seen[2].TurnsLeft != 1 || len(seen[2].History) != 2 {
					t.Errorf("turns left %d, %d with %d earlier turns; want 3, 1 with 2", seen[0].TurnsLeft, seen[2].TurnsLeft, len(seen[2].History))
				}
			},
		},
		"an Act error fails the episode": {
			agent:    &scripted{failAt: 1, actions: []agent.Action{tool(agent.ToolRunTests)}},
			maxTurns: 5, wantErr: "the model endpoint went away", wantTurns: 1, wantRuns: 1, wantFile: "base\n",
		},
		"the wall clock ends the episode": {
			agent:    &scripted{failAt: -1, actions: []agent.Action{tool(agent.ToolRunTests)}},
			maxTurns: 5, deadline: time.Now().Add(-time.Second), wantEnded: endWallClock, wantFile: "base\n",
		},
		"apply, keep, apply, revert": {
			agent: &scripted{structured: true, failAt: -1, actions: []agent.Action{
				apply(0), tool(agent.ToolKeep), apply(1), tool(agent.ToolRevert), tool(agent.ToolSubmit)}},
			maxTurns: 10, wantEnded: endSubmit, wantTurns: 5, wantFile: "base\nline 0\n",
			check: func(t *testing.T, turns []agent.Turn, seen []*agent.Observation) {
				if len(seen[0].Candidates) != 2 {
					t.Errorf("a structured agent sees %d candidates, want 2", len(seen[0].Candidates))
				}
				if got := turns[2].Result.Sites; len(got) != 2 || got[0] != "a.txt:1 append" || got[1] != "a.txt:2 append" {
					t.Errorf("the second apply lists sites %q, want both", got)
				}
				if seen[4].Kept != 3 {
					t.Errorf("Kept = %d at turn 4, want 3 (kept at turn 1)", seen[4].Kept)
				}
			},
		},
		"an agent that is not structured gets no candidates": {
			agent:    &scripted{failAt: -1, actions: []agent.Action{apply(0), tool(agent.ToolSubmit)}},
			maxTurns: 10, wantEnded: endSubmit, wantTurns: 2, wantInvalid: 1, wantFile: "base\n",
			check: func(t *testing.T, _ []agent.Turn, seen []*agent.Observation) {
				if seen[0].Candidates != nil {
					t.Errorf("candidates %v offered to an agent that does not take them", seen[0].Candidates)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sb := &memSandbox{files: map[string][]byte{"a.txt": []byte("base\n")}}
			rules := &memRules{}
			base := func(p string) ([]byte, bool, error) {
				data, ok := map[string][]byte{"a.txt": []byte("base\n")}[p]
				return data, ok, nil
			}
			e := &episode{id: "ep-test", ag: tc.agent, sb: sb, rules: rules, ws: newWorkspace(sb, base), maxTurns: tc.maxTurns,
				deadline: tc.deadline, task: agent.Task{Role: agent.Solver, Workdir: "/repo"}}
			err := e.run(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if e.ended != tc.wantEnded || len(e.turns) != tc.wantTurns || e.invalid != tc.wantInvalid || rules.runs != tc.wantRuns {
				t.Errorf("ended %q after %d turns, %d invalid, %d test runs; want %q, %d, %d, %d",
					e.ended, len(e.turns), e.invalid, rules.runs, tc.wantEnded, tc.wantTurns, tc.wantInvalid, tc.wantRuns)
			}
			if got := string(sb.files["a.txt"]); got != tc.wantFile {
				t.Errorf("a.txt = %q, want %q", got, tc.wantFile)
			}
			for i, turn := range e.turns {
				if turn.N != i {
					t.Errorf("turn %d numbered %d", i, turn.N)
				}
			}
			if tc.check != nil {
				tc.check(t, e.turns, tc.agent.seen)
			}
		})
	}
}
