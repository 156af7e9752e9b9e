package llm

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent"
)

func TestActNativeToolCalls(t *testing.T) {
	cases := map[string]struct {
		name, args string
		want       agent.Action
	}{
		"bash":         {"bash", `{"command":"ls -la"}`, agent.Action{Tool: "bash", Command: "ls -la"}},
		"view":         {"view", `{"path":"calc.py"}`, agent.Action{Tool: "view", Path: "calc.py"}},
		"view lines":   {"view", `{"path":"calc.py","start_line":3,"end_line":"9"}`, agent.Action{Tool: "view", Path: "calc.py", Lines: []int{3, 9}}},
		"create":       {"create", `{"path":"a.py","content":"x = 1\n"}`, agent.Action{Tool: "create", Path: "a.py", Content: "x = 1\n"}},
		"replace":      {"replace", `{"path":"a.py","old":"x = 1","new":""}`, agent.Action{Tool: "replace", Path: "a.py", Old: "x = 1"}},
		"submit":       {"submit", `{}`, agent.Action{Tool: "submit"}},
		"submit empty": {"submit", ``, agent.Action{Tool: "submit"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeServer(t, toolCalls("thinking", tc.name, tc.args))
			a, _ := newTestAgent(t, f, func(c *Config) {
				c.Solver = Sampling{Temperature: ptr(0.0), MaxTokens: ptr(512)}
				c.Injector = Sampling{Temperature: ptr(0.9)}
			})
			act, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 5})
			if err != nil {
				t.Fatal(err)
			}
			m := act.Message
			act.Message = nil
			if !reflect.DeepEqual(act, tc.want) {
				t.Fatalf("action = %+v, want %+v", act, tc.want)
			}
			if m == nil || m.Model != "served-model" || m.Finish != "tool_calls" || m.Content != "thinking" ||
				m.Usage == nil || m.Usage.PromptTokens != 120 || m.Usage.CompletionTokens != 7 || m.Retries != 0 {
				t.Fatalf("message record = %+v", m)
			}
			if m.Sampling == nil || *m.Sampling != (agent.Sampling{Temperature: 0, TopP: 1, MaxTokens: 512}) {
				t.Fatalf("sampling = %+v, want the solver's (temperature 0 kept, top_p default)", m.Sampling)
			}
			if len(m.ToolCalls) != 1 || m.ToolCalls[0].ID != "call_a" || m.ToolCalls[0].Name != tc.name {
				t.Fatalf("tool calls = %+v", m.ToolCalls)
			}
			if len(m.Extra) != 2 || m.Extra[0].Role != "system" || m.Extra[1].Role != "user" {
				t.Fatalf("first reply must record the system and task messages, got %+v", m.Extra)
			}

			req := f.request(0)
			if req["model"] != "test-model" || req["temperature"] != 0.0 || req["max_tokens"] != 512.0 || req["top_p"] != 1.0 {
				t.Fatalf("request settings: model %v temperature %v max_tokens %v top_p %v", req["model"], req["temperature"], req["max_tokens"], req["top_p"])
			}
			var names []string
			for _, tool := range req["tools"].([]any) {
				names = append(names, tool.(map[string]any)["function"].(map[string]any)["name"].(string))
			}
			if strings.Join(names, ",") != "bash,view,create,replace,submit" {
				t.Fatalf("declared tools = %v", names)
			}
			if _, ok := req["stop"]; ok {
				t.Fatal("native format sends no stop sequence")
			}
		})
	}
}

func TestActTextFormatRoundTrip(t *testing.T) {
	for _, want := range []agent.Action{
		{Tool: "bash", Command: "python -m pytest -q"},
		{Tool: "view", Path: "src/calc.py", Lines: []int{3, 9}},
		{Tool: "create", Path: "new file.py", Content: "def f():\n    return 1\n"},
		{Tool: "replace", Path: "calc.py", Old: "    return a - b\n", New: "    return a + b\n"},
		{Tool: "submit"},
	} {
		t.Run(want.Tool, func(t *testing.T) {
			// The server stops at the stop sequence and leaves it out, as vLLM and llama.cpp do.
			reply := "Let me do this.\n" + strings.TrimSuffix(formatText(want), textClose)
			f := newFakeServer(t, text(reply, "stop"))
			a, _ := newTestAgent(t, f, func(c *Config) { c.ToolFormat = FormatText })
			act, err := a.Act(context.Background(), &agent.Observation{Task: injectorTask("direct"), TurnsLeft: 3})
			if err != nil {
				t.Fatal(err)
			}
			if act.Message.Content != reply+textClose {
				t.Fatalf("recorded content %q lacks the stop sequence the server cut", act.Message.Content)
			}
			act.Message = nil
			if !reflect.DeepEqual(act, want) {
				t.Fatalf("action = %#v, want %#v", act, want)
			}
			req := f.request(0)
			if _, ok := req["tools"]; ok {
				t.Fatal("text format declares no tools")
			}
			if stop, _ := req["stop"].([]any); len(stop) != 1 || stop[0] != textClose {
				t.Fatalf("stop = %v, want [%s]", req["stop"], textClose)
			}
			if sys := messages(t, req)[0]["content"].(string); !strings.Contains(sys, "<<<<<<< SEARCH") {
				t.Fatal("text format system prompt must spell out the syntax")
			}
		})
	}
}

// TestConversationRebuiltFromHistory checks the request an agent sends after three recorded turns: a native
// call, a reply without a tool call, and two calls in one reply.
func TestConversationRebuiltFromHistory(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "submit", "{}"))
	a, _ := newTestAgent(t, f, nil)
	sys := &agent.Message{Role: "system", Content: "RECORDED SYSTEM"}
	task := &agent.Message{Role: "user", Content: "RECORDED TASK"}
	history := []agent.Turn{
		{N: 0, Action: agent.Action{Tool: "bash", Command: "ls", Message: &agent.Message{Role: "assistant", Content: "look",
			ToolCalls: []agent.ToolCall{{ID: "c1", Name: "bash", Arguments: `{"command":"ls"}`}}, Extra: []*agent.Message{sys, task},
			Model: "m", Usage: &agent.Usage{PromptTokens: 1}}},
			Result: agent.Result{Output: "calc.py\n", ExitCode: 0}},
		{N: 1, Action: agent.Action{Invalid: "no tool call: call exactly one of the tools", Message: &agent.Message{Role: "assistant", Content: "I am done?"}}},
		{N: 2, Action: agent.Action{Tool: "view", Path: "calc.py", Message: &agent.Message{Role: "assistant",
			ToolCalls: []agent.ToolCall{{ID: "c3", Name: "view", Arguments: `{"path":"calc.py"}`}, {ID: "c4", Name: "bash", Arguments: `{"command":"x"}`}}}},
			Result: agent.Result{Output: "1: x", Error: "", ExitCode: 2}},
	}
	if _, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), Turn: 3, TurnsLeft: 2, History: history}); err != nil {
		t.Fatal(err)
	}
	got := messages(t, f.request(0))
	type msg struct{ role, content, toolCallID, calls string }
	var flat []msg
	for _, m := range got {
		c, _ := m["content"].(string)
		id, _ := m["tool_call_id"].(string)
		var calls []string
		for _, tc := range asSlice(m["tool_calls"]) {
			tcm := tc.(map[string]any)
			calls = append(calls, tcm["id"].(string)+":"+tcm["function"].(map[string]any)["name"].(string))
		}
		flat = append(flat, msg{m["role"].(string), c, id, strings.Join(calls, ",")})
	}
	want := []msg{
		{"system", "RECORDED SYSTEM", "", ""},
		{"user", "RECORDED TASK", "", ""},
		{"assistant", "look", "", "c1:bash"},
		{"tool", "calc.py\n\n\nTurns left: 4.", "c1", ""},
		{"assistant", "I am done?", "", ""},
		{"user", "error: your reply was not carried out: no tool call: call exactly one of the tools\n\nTurns left: 3.", "", ""},
		{"assistant", "", "", "c3:view,c4:bash"},
		{"tool", "1: x\n[exit code 2]\n[only the first of your 2 tool calls was carried out: call one tool per reply]\n\nTurns left: 2.", "c3", ""},
		{"tool", "not carried out: one tool call per reply, and only the first (view) was run", "c4", ""},
	}
	if !reflect.DeepEqual(flat, want) {
		t.Fatalf("messages:\n%#v\nwant\n%#v", flat, want)
	}
	for _, m := range got {
		for _, k := range []string{"model", "usage", "extra", "latency_ms"} {
			if _, ok := m[k]; ok {
				t.Fatalf("a request message carries the record field %q: %v", k, m)
			}
		}
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func TestActSeveralToolCallsTakesFirst(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "view", `{"path":"a.py"}`, "submit", `{}`))
	a, _ := newTestAgent(t, f, nil)
	act, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3})
	if err != nil {
		t.Fatal(err)
	}
	if act.Tool != "view" || act.Path != "a.py" || act.Invalid != "" || len(act.Message.ToolCalls) != 2 {
		t.Fatalf("action = %+v", act)
	}
}

func TestActInvalidReplies(t *testing.T) {
	cases := map[string]struct {
		format string
		reply  reply
		want   string // in Invalid
	}{
		"no tool call":          {FormatNative, text("I think the bug is in calc.py.", "stop"), "no tool call"},
		"empty reply":           {FormatNative, text("", "stop"), "empty reply"},
		"unknown tool":          {FormatNative, toolCalls("", "delete_everything", `{}`), `unknown tool "delete_everything"`},
		"malformed arguments":   {FormatNative, toolCalls("", "bash", `{"command": "ls`), "not a JSON object"},
		"missing argument":      {FormatNative, toolCalls("", "create", `{"path":"a.py"}`), `missing argument "content"`},
		"wrong argument type":   {FormatNative, toolCalls("", "bash", `{"command": 3}`), `"command" must be a string`},
		"half a line range":     {FormatNative, toolCalls("", "view", `{"path":"a","start_line":3}`), "both start_line and end_line"},
		"text no block":         {FormatText, text("Let me think about it.", "stop"), "no tool call"},
		"text unknown tool":     {FormatText, text("<tool: rm>x</tool>", "stop"), `unknown tool "rm"`},
		"text malformed create": {FormatText, text("<tool: create>a.py\ncontent</tool>", "stop"), "exactly ---"},
		"cut at max_tokens":     {FormatText, text("<tool: create>a.py\n---\nlots of", "length"), "cut off at max_tokens"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeServer(t, tc.reply)
			a, _ := newTestAgent(t, f, func(c *Config) { c.ToolFormat = tc.format })
			act, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3})
			if err != nil {
				t.Fatalf("an invalid reply is not an error: %v", err)
			}
			if !strings.Contains(act.Invalid, tc.want) {
				t.Fatalf("Invalid = %q, want it to contain %q", act.Invalid, tc.want)
			}
			if act.Message == nil || act.Message.Model != "served-model" {
				t.Fatalf("an invalid action keeps the reply: %+v", act.Message)
			}
		})
	}
}

// TestNativeFallsBackToTextBlocks: a server without a tool parser returns the call as text.
func TestNativeFallsBackToTextBlocks(t *testing.T) {
	f := newFakeServer(t, text("<tool: bash>pytest -q</tool>", "stop"))
	a, _ := newTestAgent(t, f, nil)
	act, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3})
	if err != nil || act.Tool != "bash" || act.Command != "pytest -q" {
		t.Fatalf("act = %+v, %v", act, err)
	}
}

func TestActLogProbs(t *testing.T) {
	lp := map[string]any{"content": []any{
		map[string]any{"token": "<tool", "logprob": -0.25, "bytes": []int{60}, "top_logprobs": []any{}},
		map[string]any{"token": ": bash", "logprob": -1.5, "bytes": []int{58}, "top_logprobs": []any{}},
	}}
	f := newFakeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, completionJSON(map[string]any{"role": "assistant", "content": "<tool: bash>ls</tool>"}, "stop", lp))
	})
	a, _ := newTestAgent(t, f, func(c *Config) { c.LogProbs = true; c.ToolFormat = FormatText })
	act, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []agent.LogProb{{Token: "<tool", LogProb: -0.25}, {Token: ": bash", LogProb: -1.5}}
	if !reflect.DeepEqual(act.Message.LogProbs, want) {
		t.Fatalf("logprobs = %+v, want %+v", act.Message.LogProbs, want)
	}
	if f.request(0)["logprobs"] != true {
		t.Fatal("logprobs were not asked for")
	}

	// Without logprobs in the reply nothing is recorded, and nothing is asked when not configured.
	f2 := newFakeServer(t, text("<tool: submit></tool>", "stop"))
	a2, _ := newTestAgent(t, f2, func(c *Config) { c.ToolFormat = FormatText })
	act2, err := a2.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3})
	if err != nil || act2.Message.LogProbs != nil {
		t.Fatalf("logprobs = %v, %v", act2.Message.LogProbs, err)
	}
	if _, ok := f2.request(0)["logprobs"]; ok {
		t.Fatal("logprobs asked for without the setting")
	}
}

func TestConcurrencyLimit(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "submit", "{}"))
	f.hold = 40 * time.Millisecond
	a, _ := newTestAgent(t, f, func(c *Config) { c.Concurrency = ptr(2) })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.maxInflight.Load(); got != 2 {
		t.Fatalf("at most %d requests were in flight at the server, want exactly the limit 2", got)
	}
	if f.count() != 8 {
		t.Fatalf("%d requests, want 8", f.count())
	}
}

func TestConcurrencySlotWaitEndsWithContext(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "submit", "{}"))
	a, _ := newTestAgent(t, f, func(c *Config) { c.Concurrency = ptr(1) })
	a.sem <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := a.Act(ctx, &agent.Observation{Task: solverTask(), TurnsLeft: 3})
	if err == nil || !strings.Contains(err.Error(), "free model slot") || f.count() != 0 {
		t.Fatalf("err = %v, requests %d", err, f.count())
	}
}

func TestUnknownStrategyIsAnError(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "submit", "{}"))
	a, _ := newTestAgent(t, f, nil)
	_, err := a.Act(context.Background(), &agent.Observation{Task: injectorTask("mutation"), TurnsLeft: 3})
	if err == nil || !strings.Contains(err.Error(), "mutation") || f.count() != 0 {
		t.Fatalf("err = %v", err)
	}
}

func TestAPIKeyFromEnvironment(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "submit", "{}"))
	env := func(k string) (string, bool) {
		if k == "MY_KEY" {
			return "sk-test", true
		}
		return "", false
	}
	a, _ := newTestAgent(t, f, func(c *Config) { c.APIKeyEnv = "MY_KEY" }, WithLookupEnv(env))
	if _, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3}); err != nil {
		t.Fatal(err)
	}
	if got := f.headers[0].Get("Authorization"); got != "Bearer sk-test" {
		t.Fatalf("Authorization = %q", got)
	}

	t.Setenv("OPENAI_API_KEY", "sk-ambient")
	f2 := newFakeServer(t, toolCalls("", "submit", "{}"))
	a2, _ := newTestAgent(t, f2, nil)
	if _, err := a2.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3}); err != nil {
		t.Fatal(err)
	}
	if got := f2.headers[0].Get("Authorization"); got != "" {
		t.Fatalf("an ambient OPENAI_API_KEY was sent to a server the config gave no key: %q", got)
	}

	_, err := New(Config{BaseURL: f.url(), Model: "m", APIKeyEnv: "UNSET_KEY"}, WithLookupEnv(env))
	if err == nil || !strings.Contains(err.Error(), "UNSET_KEY") {
		t.Fatalf("err = %v", err)
	}
}

func TestExtraBodyPassedThrough(t *testing.T) {
	f := newFakeServer(t, toolCalls("", "submit", "{}"))
	a, _ := newTestAgent(t, f, func(c *Config) {
		c.ExtraBody = map[string]any{"top_k": 20, "chat_template_kwargs": map[string]any{"enable_thinking": false}}
	})
	if _, err := a.Act(context.Background(), &agent.Observation{Task: solverTask(), TurnsLeft: 3}); err != nil {
		t.Fatal(err)
	}
	req := f.request(0)
	if req["top_k"] != 20.0 || req["chat_template_kwargs"].(map[string]any)["enable_thinking"] != false {
		t.Fatalf("extra body not sent: %v", req)
	}
}
