package llm

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

// TestTranscriptMatchesRequests drives an episode through the agent, recording turns as the arena would,
// and checks that Transcript of the first k turns is exactly what the agent sent for turn k.
func TestTranscriptMatchesRequests(t *testing.T) {
	for _, format := range []string{FormatNative, FormatText} {
		t.Run(format, func(t *testing.T) {
			var script []reply
			if format == FormatNative {
				script = []reply{toolCalls("look", "bash", `{"command":"ls"}`), text("hmm", "stop"),
					toolCalls("", "view", `{"path":"a.py"}`, "bash", `{"command":"x"}`), toolCalls("", "submit", "{}")}
			} else {
				script = []reply{text("look\n<tool: bash>ls", "stop"), text("hmm", "stop"),
					text("<tool: view>a.py</tool><tool: bash>x</tool>", "stop"), text("<tool: submit>", "stop")}
			}
			f := newFakeServer(t, script...)
			a, _ := newTestAgent(t, f, func(c *Config) { c.ToolFormat = format })
			task := injectorTask("history")
			const budget = 6
			var turns []agent.Turn
			for i := range 4 {
				act, err := a.Act(context.Background(), &agent.Observation{Task: task, Turn: i, TurnsLeft: budget - i, History: turns})
				if err != nil {
					t.Fatal(err)
				}
				turns = append(turns, agent.Turn{N: i, Action: act, Result: agent.Result{Output: "out " + act.Tool, ExitCode: i % 2}})
			}
			for k := 1; k <= 3; k++ { // with no turns there is nothing to tell the format from
				want := messages(t, f.request(k))
				got := Transcript(task, turns[:k])
				if len(got) != len(want) {
					t.Fatalf("turns %d: transcript has %d messages, the request had %d", k, len(got), len(want))
				}
				for i := range got {
					if g, w := requestView(t, got[i]), want[i]; !reflect.DeepEqual(g, w) {
						t.Fatalf("turns %d, message %d:\n got %v\nwant %v", k, i, g, w)
					}
				}
			}
			full := Transcript(task, turns)
			if m := full[2]; m.Role != "assistant" || m.Model != "served-model" || m.Usage == nil || m.Sampling == nil || m.Extra != nil {
				t.Fatalf("transcript assistant messages keep their record (and drop Extra): %+v", m)
			}
			if last := full[len(full)-1]; last.Role == "assistant" {
				t.Fatal("the last turn's result must close the transcript")
			}
		})
	}
}

// requestView is a message as a request carries it, decoded the way fakeServer decodes requests.
func requestView(t *testing.T, m agent.Message) map[string]any {
	t.Helper()
	w := map[string]any{"role": m.Role}
	if m.Content != "" || (m.Role == "assistant" && len(m.ToolCalls) == 0) || m.Role != "assistant" {
		w["content"] = m.Content
	}
	if m.ToolCallID != "" {
		w["tool_call_id"] = m.ToolCallID
	}
	if len(m.ToolCalls) > 0 {
		var calls []any
		for _, tc := range m.ToolCalls {
			calls = append(calls, map[string]any{"id": tc.ID, "type": "function",
				"function": map[string]any{"name": tc.Name, "arguments": tc.Arguments}})
		}
		w["tool_calls"] = calls
	}
	b, _ := json.Marshal(w)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTranscriptWithoutRecordedMessages(t *testing.T) {
	turns := []agent.Turn{
		{N: 0, Action: agent.Action{Tool: "bash", Command: "ls"}, Result: agent.Result{Output: "a.py"}},
		{N: 1, Action: agent.Action{Tool: "submit"}},
	}
	got := Transcript(solverTask(), turns)
	if len(got) != 6 || got[0].Role != "system" || got[1].Role != "user" || got[2].ToolCalls[0].Name != "bash" ||
		got[3].Role != "tool" || got[3].ToolCallID != got[2].ToolCalls[0].ID || got[4].ToolCalls[0].Name != "submit" {
		t.Fatalf("transcript = %+v", got)
	}
	if n := budgetOf(got[1].Content); n != 2 {
		t.Fatalf("a rendered task states the turns it had: %d", n)
	}
}
