package arena

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/agent/llm"
	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// The tests in this file drive the LLM agent through full episodes in real sandboxes, against an
// OpenAI-compatible server started in the test that replays scripted model turns.

// modelTurn is one scripted reply: a native tool call (tool and its JSON arguments), or plain content
// (the text tool format, or a reply with no tool call).
type modelTurn struct {
	tool    string
	args    map[string]any
	content string
}

func call(tool string, kv ...any) modelTurn {
	args := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		args[kv[i].(string)] = kv[i+1]
	}
	return modelTurn{tool: tool, args: args}
}

func say(content string) modelTurn { return modelTurn{content: content} }

// script picks the reply of turn n of the conv-th conversation of a role (conversations are counted per
// role in the order their first request arrives). ok false: the server goes away (see modelServer.stop).
type script func(role agent.Role, conv, n int) (t modelTurn, ok bool)

// modelServer is the scripted OpenAI-compatible endpoint. It tells the roles apart by the task message and
// a turn by the number of assistant messages the request holds, so that it keeps no state per episode.
type modelServer struct {
	t      *testing.T
	script script
	addr   string

	mu    sync.Mutex
	down  bool // stopped: requests that still reach it are dropped
	srv   *httptest.Server
	convs map[agent.Role]int
	conv  map[string]int // task message + role → conversation index
	calls int
}

func newModelServer(t *testing.T, s script) *modelServer {
	m := &modelServer{t: t, script: s, convs: map[agent.Role]int{}, conv: map[string]int{}}
	m.start()
	t.Cleanup(m.close)
	return m
}

func (m *modelServer) url() string { return "http://" + m.addr + "/v1" }

// start serves on the server's address (a new one the first time; the same after stop).
func (m *modelServer) start() {
	addr := m.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		m.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(m.serve))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	m.mu.Lock()
	m.srv, m.addr, m.down = srv, l.Addr().String(), false
	m.mu.Unlock()
}

func (m *modelServer) close() {
	m.mu.Lock()
	srv := m.srv
	m.srv = nil
	m.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

func (m *modelServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content any    `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) < 2 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	task := fmt.Sprint(req.Messages[1].Content)
	role := agent.Injector
	if strings.Contains(task, "fix the code (not the tests)") {
		role = agent.Solver
	}
	n := 0
	for _, msg := range req.Messages {
		if msg.Role == "assistant" {
			n++
		}
	}
	m.mu.Lock()
	if m.down {
		m.mu.Unlock()
		drop(w)
		return
	}
	key := string(role) + "\x00" + task
	if n == 0 {
		m.conv[key] = m.convs[role]
		m.convs[role]++
	}
	conv := m.conv[key]
	m.calls++
	m.mu.Unlock()
	turn, ok := m.script(role, conv, n)
	if !ok {
		// The server goes away mid-episode: this connection drops, and the listener closes.
		m.mu.Lock()
		m.down = true
		m.mu.Unlock()
		drop(w)
		go m.close()
		return
	}
	msg := map[string]any{"role": "assistant", "content": turn.content}
	finish := "stop"
	if turn.tool != "" {
		args, _ := json.Marshal(turn.args)
		msg["tool_calls"] = []any{map[string]any{"id": fmt.Sprintf("call_%d", n), "type": "function",
			"function": map[string]any{"name": turn.tool, "arguments": string(args)}}}
		finish = "tool_calls"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": "scripted",
		"choices": []any{map[string]any{"index": 0, "finish_reason": finish, "message": msg}},
		"usage":   map[string]any{"prompt_tokens": 1000 + n, "completion_tokens": 20, "total_tokens": 1020 + n},
	})
}

// drop closes the request's connection without a reply.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

// newLLM is the LLM agent against m, with quick retries.
func newLLM(t *testing.T, m *modelServer, format string) *llm.Agent {
	t.Helper()
	retries, delay, timeout := 1, 10*time.Millisecond, time.Minute
	a, err := llm.New(llm.Config{BaseURL: m.url(), Model: "scripted", ToolFormat: format, MaxRetries: &retries,
		RetryDelay: &delay, RetryMaxDelay: &delay, RequestTimeout: &timeout, PolicyVersion: 3})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// moneyInjector is an injector's turns on pyledger that hand in the money bug of validate_test.go: break
// Money.__add__, delete the two tests that catch it, stage everything and write the five parts.
func moneyInjector(t *testing.T, repo *Repo) []modelTurn {
	weakened := weakenedSource(t, repo, testMoney, addID, allocID)
	script, parser := testScript(t, repo, testMoney)
	return []modelTurn{
		call("bash", "command", "git log --oneline | head -3; ls ledger tests"),
		call("replace", "path", moneyPy, "old", addLine, "new", addBug),
		call("create", "path", testMoney, "content", weakened),
		call("bash", "command", "git add -A && git diff --cached -- ledger > "+artifactDir+"/bug_inject.diff && git diff --cached -- tests > "+artifactDir+"/test_weaken.diff"),
		call("create", "path", artifactDir+"/test_script.sh", "content", script),
		call("create", "path", artifactDir+"/test_files.txt", "content", testMoney+"\n"),
		call("create", "path", artifactDir+"/parser.txt", "content", parser.Builtin+"\n"),
		call("submit"),
	}
}

// weakenedSource is file with tests removed (through the plugin), as a model would write it back.
func weakenedSource(t *testing.T, repo *Repo, file string, ids ...string) string {
	t.Helper()
	src, err := artifact.ReadTree(repo.Dir, []string{file})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := repo.Lang.RemoveTests(context.Background(), &plugin.RemoveTestsRequest{Path: file, Source: src[file], Tests: ids})
	if err != nil || len(resp.Removed) != len(ids) {
		t.Fatalf("remove %v from %s: %v (removed %v)", ids, file, err, resp)
	}
	return string(resp.Source)
}

// Solvers' turns on the money bug: one that repairs it, one that looks and gives up.
var (
	fixingSolver = []modelTurn{
		call("bash", "command", "python3 -m pytest -q -p no:cacheprovider tests/test_money.py 2>&1 | tail -5"),
		call("view", "path", moneyPy),
		// The buggy line reads like __sub__'s: the model includes what follows to make it unique.
		call("replace", "path", moneyPy, "old", addBug+"\n\n    def __sub__", "new", addLine+"\n\n    def __sub__"),
		call("submit"),
	}
	idleSolver = []modelTurn{
		call("view", "path", moneyPy, "start_line", 1, "end_line", 20),
		call("submit"),
	}
)

// turnOf returns turns[n], or a submit past the end.
func turnOf(turns []modelTurn, n int) modelTurn {
	if n < len(turns) {
		return turns[n]
	}
	return call("submit")
}

// textTurn renders a scripted native call in the text tool format.
func textTurn(m modelTurn) modelTurn {
	s := func(k string) string { return fmt.Sprint(m.args[k]) }
	var body string
	switch m.tool {
	case "bash":
		body = s("command")
	case "view":
		body = s("path")
	case "create":
		body = s("path") + "\n---\n" + s("content")
	case "replace":
		body = s("path") + "\n<<<<<<< SEARCH\n" + s("old") + "\n=======\n" + s("new") + "\n>>>>>>> REPLACE\n"
	}
	return say("Next step.\n<tool: " + m.tool + ">" + body + "</tool>")
}

// TestLLMJob runs a job with the LLM agent on pyledger: the injector's artifact is accepted with the money
// bug's F2P and P2P, one solver repairs the bug (+1) and one does not (−1), the injector gets
// 1 − (1 + α)·½, and every episode holds its chat.
func TestLLMJob(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	inj := moneyInjector(t, repo)
	m := newModelServer(t, func(role agent.Role, conv, n int) (modelTurn, bool) {
		if role == agent.Injector {
			return turnOf(inj, n), true
		}
		return turnOf([][]modelTurn{fixingSolver, idleSolver}[conv%2], n), true
	})
	cfg := JobConfig{Name: "llm", Agent: AgentLLM, Strategies: map[string]float64{StrategyDirect: 1},
		Limits: Limits{Bugs: 1, Proposed: 2}, Arena: conf(func(c *Config) {
			c.NAttempts = 2
			c.Containers = 1
			c.Order2Share = 0
			c.InjectorMaxTurns = 12
			c.SolverMaxTurns = 8
		})}
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	r := &Runner{Arena: f.arena(cfg.Arena), Store: st, Repos: []*Repo{repo}, Agent: newLLM(t, m, llm.FormatNative),
		Seed: 1, Strategies: cfg.StrategyShares(), Limits: cfg.Limits}
	ctx := context.Background()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	checkBookkeeping(t, st, f.job, 2)
	c, _ := st.Counts(ctx, f.job)
	if c.Valid != 1 || c.Attempts != 2 || c.Solved != 1 {
		t.Errorf("counts %+v: want one valid bug, two attempts, one solved", c)
	}
	eps, err := st.ListEpisodes(ctx, f.job, store.EpisodeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rewards := map[store.Role][]float64{}
	for _, e := range eps {
		if e.Agent != "llm" || e.PolicyVersion != 3 {
			t.Errorf("episode %s: agent %s policy version %d, want llm 3", e.ID, e.Agent, e.PolicyVersion)
		}
		if e.Reward != nil {
			rewards[e.Role] = append(rewards[e.Role], *e.Reward)
		}
		raw, err := st.EpisodeTurns(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var turns []agent.Turn
		if err := json.Unmarshal(raw, &turns); err != nil {
			t.Fatal(err)
		}
		for _, turn := range turns {
			t.Logf("%s %s turn %d %s: %s%s %s", e.Role, e.ID, turn.N, turn.Action.Tool, turn.Result.Error, turn.Action.Invalid, firstLine(turn.Result.Output))
		}
		chat := llm.Transcript(agent.Task{Role: agent.Role(e.Role)}, turns)
		if len(chat) != 2+2*len(turns) || chat[0].Role != "system" || !strings.Contains(chat[1].Content, "/repo") {
			t.Errorf("episode %s: %d turns give %d messages (want system, task and two per turn)", e.ID, len(turns), len(chat))
		}
		if e.Role == store.RoleInjector {
			if v, err := st.GetValidation(ctx, e.ArtifactID); err != nil || !v.Valid {
				t.Fatalf("injector artifact %s: %+v %v", e.ArtifactID, v, err)
			} else {
				f2p := slices.Sorted(slices.Values(v.F2P))
				if !slices.Equal(f2p, []string{allocID, addID}) && !slices.Equal(f2p, []string{addID, allocID}) {
					t.Errorf("F2P %v, want %s and %s", v.F2P, addID, allocID)
				}
				if len(v.P2P) < 5 || slices.Contains(v.P2P, addID) || slices.Contains(v.P2P, allocID) {
					t.Errorf("P2P %v", v.P2P)
				}
			}
		}
	}
	slices.Sort(rewards[store.RoleSolver])
	if !slices.Equal(rewards[store.RoleSolver], []float64{-1, 1}) {
		t.Errorf("solver rewards %v, want -1 and +1", rewards[store.RoleSolver])
	}
	if got := rewards[store.RoleInjector]; len(got) != 1 || got[0] < 0.099 || got[0] > 0.101 {
		t.Errorf("injector rewards %v, want 1 − 1.8·0.5 = 0.1", got)
	}
}

// TestLLMInjector drives single injector episodes: the text tool format hands in the same valid artifact,
// a broken artifact is rejected with its reason, and a model that never calls a tool runs out of turns and
// is rejected for handing in nothing.
func TestLLMInjector(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2; c.InjectorMaxTurns = 12 }))
	ctx := context.Background()
	valid := moneyInjector(t, repo)
	broken := []modelTurn{
		call("replace", "path", testMoney, "old", "assert (a + b).units == 1100", "new", "assert (a + b).units == 1101"),
		call("bash", "command", "git add -A && git diff --cached > "+artifactDir+"/bug_inject.diff && cp "+artifactDir+"/bug_inject.diff "+artifactDir+"/test_weaken.diff"),
		valid[4], valid[5], valid[6], call("submit"),
	}
	for name, tc := range map[string]struct {
		format   string
		turns    []modelTurn
		maxTurns int
		wantStep string // "" valid
		wantWhy  string
		ended    string
	}{
		"text format, valid": {format: llm.FormatText, turns: valid, ended: endSubmit},
		"broken artifact":    {format: llm.FormatNative, turns: broken, wantStep: "static", wantWhy: "touches test file tests/test_money.py", ended: endSubmit},
		"no tool call, ever": {format: llm.FormatNative, turns: []modelTurn{say("Let me think about which bug to add.")}, maxTurns: 3, wantStep: "collect", wantWhy: "", ended: endTurns},
	} {
		t.Run(name, func(t *testing.T) {
			m := newModelServer(t, func(_ agent.Role, _, n int) (modelTurn, bool) {
				turn := turnOf(tc.turns, n)
				if len(tc.turns) == 1 {
					turn = tc.turns[0]
				}
				if tc.format == llm.FormatText && turn.tool != "" {
					turn = textTurn(turn)
				}
				return turn, true
			})
			a := ar
			if tc.maxTurns > 0 {
				a = f.arena(conf(func(c *Config) { c.Containers = 2; c.InjectorMaxTurns = tc.maxTurns }))
			}
			inj, err := a.Inject(ctx, repo, InjectPlan{Strategy: StrategyDirect}, newLLM(t, m, tc.format))
			if err != nil {
				t.Fatal(err)
			}
			for _, turn := range inj.Turns {
				t.Logf("turn %d %s: %s %s", turn.N, turn.Action.Tool, turn.Result.Error+turn.Action.Invalid, firstLine(turn.Result.Output))
			}
			if inj.Ended != tc.ended {
				t.Errorf("ended by %q, want %q", inj.Ended, tc.ended)
			}
			if tc.wantStep == "collect" {
				if inj.Rejection == "" || inj.Invalid != tc.maxTurns || len(inj.Turns) != tc.maxTurns {
					t.Fatalf("rejection %q, %d invalid of %d turns: want a rejection and every one of %d turns invalid", inj.Rejection, inj.Invalid, len(inj.Turns), tc.maxTurns)
				}
				return
			}
			if inj.Rejection != "" || inj.Invalid != 0 {
				t.Fatalf("rejection %q, %d invalid turns", inj.Rejection, inj.Invalid)
			}
			rep, err := a.Validate(ctx, repo, inj.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantStep == "" {
				if !rep.Valid || len(rep.F2P) != 2 {
					t.Fatalf("valid %v (%v), F2P %v", rep.Valid, rep.Rejection, rep.F2P)
				}
				return
			}
			if rep.Valid || rep.Step != tc.wantStep || !strings.Contains(rep.Rejection.Error(), tc.wantWhy) {
				t.Fatalf("verdict valid %v step %q: %v; want step %q with %q", rep.Valid, rep.Step, rep.Rejection, tc.wantStep, tc.wantWhy)
			}
		})
	}
}

// TestLLMEndpointGoneAndResume: the model server stops in the middle of a solver attempt. The attempt fails
// with the agent's reason, the job records it and goes on (and stops after failures in a row, the endpoint
// being gone), the finished attempt is kept; with the server back, a resumed run does the missing attempt
// and finishes the bug.
func TestLLMEndpointGoneAndResume(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	inj := moneyInjector(t, repo)
	var down sync.Once
	m := newModelServer(t, nil)
	m.script = func(role agent.Role, conv, n int) (modelTurn, bool) {
		switch {
		case role == agent.Injector:
			return turnOf(inj, n), true
		case conv == 1 && n == 1:
			stopped := false
			down.Do(func() { stopped = true })
			return modelTurn{}, !stopped
		}
		return turnOf(fixingSolver, n), true
	}
	cfg := JobConfig{Name: "llm-faults", Agent: AgentLLM, Strategies: map[string]float64{StrategyDirect: 1},
		Limits: Limits{Attempts: 2, Proposed: 3}, Arena: conf(func(c *Config) {
			c.NAttempts = 2
			c.Containers = 1
			c.Order2Share = 0
			c.InjectorMaxTurns = 12
			c.SolverMaxTurns = 8
		})}
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	ag := newLLM(t, m, llm.FormatNative)
	run := func() error {
		r := &Runner{Arena: f.arena(cfg.Arena), Store: st, Repos: []*Repo{repo}, Agent: ag,
			Seed: 1, Strategies: cfg.StrategyShares(), Limits: cfg.Limits}
		return r.Run(context.Background())
	}
	ctx := context.Background()
	err := run()
	if err == nil || !strings.Contains(err.Error(), "failed in a row") {
		t.Fatalf("first run: %v; want it to stop after failures in a row (the endpoint is gone)", err)
	}
	fails, ferr := st.Failures(ctx, f.job, 0)
	if ferr != nil {
		t.Fatal(ferr)
	}
	for _, fl := range fails {
		t.Logf("failure: %s: %s", fl.Unit, fl.Error)
	}
	if len(fails) == 0 || !strings.Contains(fails[0].Unit, "attempts") || !strings.Contains(fails[0].Error, "endpoint unavailable") {
		t.Fatalf("failures %+v: want the solver attempt first, failed with the endpoint unavailable", fails)
	}
	c, _ := st.Counts(ctx, f.job)
	if c.Valid != 1 || c.Attempts != 1 {
		t.Fatalf("after the first run: %+v; want the bug and its finished attempt kept", c)
	}

	m.start() // the endpoint is back on the same address
	if err := run(); err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	checkBookkeeping(t, st, f.job, 2)
	c, _ = st.Counts(ctx, f.job)
	if c.Attempts != 2 || c.Solved != 2 || c.BugsDone != 1 {
		t.Fatalf("after resume: %+v; want both attempts, solved, and the bug finished", c)
	}
}

// TestLLMInjectorReadsCoverage: an injector that writes code finds the baseline's per-test coverage where
// its contract says, and it names the tests that run a source file.
func TestLLMInjectorReadsCoverage(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2; c.InjectorMaxTurns = 3 }))
	turns := []modelTurn{call("bash", "command", `grep -P '\tledger/money.py\t' `+coverageTablePath+` | cut -f1 | sort -u`), call("submit")}
	m := newModelServer(t, func(_ agent.Role, _, n int) (modelTurn, bool) { return turnOf(turns, n), true })
	inj, err := ar.Inject(context.Background(), repo, InjectPlan{Strategy: StrategyDirect}, newLLM(t, m, llm.FormatNative))
	if err != nil {
		t.Fatal(err)
	}
	if len(inj.Turns) == 0 {
		t.Fatal("no turns")
	}
	out := inj.Turns[0].Result.Output
	if !strings.Contains(out, "tests/test_money.py::test_add_and_subtract\n") || strings.Contains(out, "tests/test_cache.py") {
		t.Errorf("the tests that run ledger/money.py, from %s:\n%s", coverageTablePath, out)
	}
}
