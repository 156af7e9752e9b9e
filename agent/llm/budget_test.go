package llm

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/selfplay-swe/ssr/agent"
)

// bigHistory is n bash turns whose outputs are size characters each, tagged so each can be found.
func bigHistory(n, size int) []agent.Turn {
	var h []agent.Turn
	for i := range n {
		out := fmt.Sprintf("BEGIN-%d ", i) + strings.Repeat("x", size) + fmt.Sprintf(" END-%d", i)
		h = append(h, agent.Turn{N: i,
			Action: agent.Action{Tool: "bash", Command: "cat big", Message: &agent.Message{Role: "assistant",
				ToolCalls: []agent.ToolCall{{ID: fmt.Sprintf("c%d", i), Name: "bash", Arguments: `{"command":"cat big"}`}}}},
			Result: agent.Result{Output: out}})
	}
	return h
}

func TestContextShortening(t *testing.T) {
	const size = 20000 // 5000 tokens each
	cases := map[string]struct {
		window        int
		wantShortened []int // history turns whose output must be shortened
		wantWhole     []int
	}{
		"fits":                 {window: 100000, wantWhole: []int{0, 1, 2, 3}},
		"oldest goes first":    {window: 20000, wantShortened: []int{0}, wantWhole: []int{1, 2, 3}},
		"all but the last":     {window: 9000, wantShortened: []int{0, 1, 2}, wantWhole: []int{3}},
		"last turn never":      {window: 2000, wantShortened: []int{0, 1, 2}, wantWhole: []int{3}},
		"window 0: no control": {window: 0, wantWhole: []int{0, 1, 2, 3}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeServer(t, toolCalls("", "submit", "{}"))
			a, _ := newTestAgent(t, f, func(c *Config) {
				c.ContextWindow = ptr(tc.window)
				c.Solver.MaxTokens = ptr(1000)
			})
			task := solverTask()
			got, err := a.Act(context.Background(), &agent.Observation{Task: task, Turn: 4, TurnsLeft: 3, History: bigHistory(4, size)})
			if err != nil {
				t.Fatal(err)
			}
			msgs := messages(t, f.request(0))
			sys, msg, _ := renderPrompts(task, false, 7)
			if msgs[0]["content"] != sys || msgs[1]["content"] != msg {
				t.Fatal("the system and task messages must never be shortened")
			}
			tool := func(i int) string { return msgs[2+2*i+1]["content"].(string) }
			for _, i := range tc.wantShortened {
				c := tool(i)
				if !strings.Contains(c, "left out to fit the context window") || len(c) > 1000 ||
					!strings.HasPrefix(c, fmt.Sprintf("BEGIN-%d", i)) || !strings.Contains(c, fmt.Sprintf("END-%d", i)) {
					t.Fatalf("turn %d's output should keep head and tail around a marker, got %d chars: %.80q", i, len(c), c)
				}
			}
			for _, i := range tc.wantWhole {
				if c := tool(i); strings.Contains(c, "left out") || !strings.Contains(c, strings.Repeat("x", size)) {
					t.Fatalf("turn %d's output must be whole", i)
				}
			}
			if got.Message.Truncated != (len(tc.wantShortened) > 0) {
				t.Fatalf("Truncated = %v", got.Message.Truncated)
			}
		})
	}
}

func TestShortenKeepsRunes(t *testing.T) {
	s := strings.Repeat("é", 2000) // two bytes each
	for _, keep := range []int{399, 400, 401} {
		got, ok := shorten(s, keep)
		if !ok || !utf8.ValidString(got) || len(got) >= len(s) {
			t.Fatalf("keep %d: ok %v, valid %v, %d bytes", keep, ok, utf8.ValidString(got), len(got))
		}
	}
	if _, ok := shorten("short", 400); ok {
		t.Fatal("a short text is left alone")
	}
}

func TestFitShortensAssistantProseAfterOutputs(t *testing.T) {
	long := strings.Repeat("y", 40000)
	msgs := []agent.Message{
		{Role: roleSystem, Content: "s"}, {Role: roleUser, Content: "t"},
		{Role: roleAssistant, Content: long}, {Role: roleUser, Content: long},
		{Role: roleAssistant, Content: long}, {Role: roleUser, Content: long},
	}
	if !fit(msgs, 4, 0, 11000) {
		t.Fatal("fit reported nothing shortened")
	}
	if len(msgs[3].Content) > 1000 || len(msgs[2].Content) > 1000 {
		t.Fatalf("the old output and then the old prose must be shortened: %d, %d", len(msgs[3].Content), len(msgs[2].Content))
	}
	if msgs[4].Content != long || msgs[5].Content != long {
		t.Fatal("the last turn was shortened")
	}
}
