package llm

import (
	"fmt"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
)

// Chat roles.
const (
	roleSystem    = "system"
	roleUser      = "user"
	roleAssistant = "assistant"
	roleTool      = "tool"
)

// head returns the system and task messages of an episode: those recorded with its first reply when there
// is one (so every call of an episode starts with the same bytes, whatever changed since), else rendered.
func head(task agent.Task, turns []agent.Turn, text bool, budget int) ([]agent.Message, error) {
	if len(turns) > 0 {
		if m := turns[0].Action.Message; m != nil && len(m.Extra) == 2 && m.Extra[0] != nil && m.Extra[1] != nil {
			return []agent.Message{plain(*m.Extra[0]), plain(*m.Extra[1])}, nil
		}
	}
	sys, msg, err := renderPrompts(task, text, budget)
	if err != nil {
		return nil, err
	}
	return []agent.Message{{Role: roleSystem, Content: sys}, {Role: roleUser, Content: msg}}, nil
}

// plain keeps what a request carries of a message.
func plain(m agent.Message) agent.Message {
	return agent.Message{Role: m.Role, Content: m.Content, ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID}
}

// turnMessages renders one recorded turn: the assistant message that carried its action, then what the
// model is told of the result. left is the number of turns left after it (0: not told). full keeps the
// assistant message's record fields (for transcripts); otherwise only what a request carries.
func turnMessages(i int, t agent.Turn, text bool, left int, full bool) []agent.Message {
	var asst agent.Message
	if m := t.Action.Message; m != nil {
		asst = *m
		asst.Extra = nil
		if !full {
			asst = plain(asst)
		}
	} else {
		asst = synthesize(i, t.Action, text)
	}
	asst.Role = roleAssistant
	out := []agent.Message{asst}
	if len(asst.ToolCalls) > 0 {
		out = append(out, agent.Message{Role: roleTool, ToolCallID: asst.ToolCalls[0].ID,
			Content: resultText(t, len(asst.ToolCalls), left)})
		for _, tc := range asst.ToolCalls[1:] {
			out = append(out, agent.Message{Role: roleTool, ToolCallID: tc.ID,
				Content: fmt.Sprintf("not carried out: one tool call per reply, and only the first (%s) was run", asst.ToolCalls[0].Name)})
		}
		return out
	}
	calls := 0
	if t.Action.Invalid == "" {
		_, calls = parseText(asst.Content)
	}
	return append(out, agent.Message{Role: roleUser, Content: resultText(t, calls, left)})
}

// synthesize stands in for the assistant message of a turn recorded without one.
func synthesize(i int, a agent.Action, text bool) agent.Message {
	if a.Invalid != "" {
		return agent.Message{Role: roleAssistant}
	}
	if text {
		return agent.Message{Role: roleAssistant, Content: formatText(a)}
	}
	return agent.Message{Role: roleAssistant, ToolCalls: []agent.ToolCall{{
		ID: fmt.Sprintf("call_%d", i), Name: a.Tool, Arguments: nativeArguments(a)}}}
}

// resultText is what the model reads after a turn: the tool's output, or why its reply was not carried out,
// and how many turns are left.
func resultText(t agent.Turn, calls, left int) string {
	var b strings.Builder
	r := t.Result
	switch {
	case t.Action.Invalid != "":
		b.WriteString("error: your reply was not carried out: " + t.Action.Invalid)
	default:
		b.WriteString(r.Output)
		if r.Output == "" && r.Error == "" {
			b.WriteString("(no output)")
		}
		if r.Truncated {
			b.WriteString("\n[output truncated]")
		}
		if r.ExitCode != 0 {
			fmt.Fprintf(&b, "\n[exit code %d]", r.ExitCode)
		}
		if r.Error != "" {
			if r.Output != "" {
				b.WriteString("\n")
			}
			b.WriteString("error: " + r.Error)
		}
		if calls > 1 {
			fmt.Fprintf(&b, "\n[only the first of your %d tool calls was carried out: call one tool per reply]", calls)
		}
	}
	switch {
	case left == 1:
		b.WriteString("\n\nTurns left: 1. This is your last turn: submit now.")
	case left > 1:
		fmt.Fprintf(&b, "\n\nTurns left: %d.", left)
	}
	return b.String()
}

// conversation is the whole chat for the next call: head, then every turn. left(i) is the number of turns
// left after turn i.
func conversation(task agent.Task, turns []agent.Turn, text bool, budget int, left func(i int) int) ([]agent.Message, error) {
	msgs, err := head(task, turns, text, budget)
	if err != nil {
		return nil, err
	}
	for i, t := range turns {
		msgs = append(msgs, turnMessages(i, t, text, left(i), false)...)
	}
	return msgs, nil
}
