package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	"github.com/openai/openai-go/v3/shared"

	"github.com/selfplay-swe/ssr/agent"
)

// toolSpec is one tool as the native format declares it.
type toolSpec struct {
	name, description string
	params            map[string]any // JSON-schema properties
	required          []string
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
func integer(desc string) map[string]any {
	return map[string]any{"type": "integer", "minimum": 1, "description": desc}
}

// toolSpecs are the five tools, in the order the prompts list them.
var toolSpecs = []toolSpec{
	{agent.ToolBash, "Run a shell command in the repository's directory (a timeout and an output cap apply).",
		map[string]any{"command": str("the command line, run with bash")}, []string{"command"}},
	{agent.ToolView, "Show a file with line numbers, or only lines start_line to end_line (1-based, inclusive).",
		map[string]any{"path": str("the file's path"), "start_line": integer("first line to show"),
			"end_line": integer("last line to show")}, []string{"path"}},
	{agent.ToolCreate, "Write a file with the given content (created or overwritten).",
		map[string]any{"path": str("the file's path"), "content": str("the whole new content")}, []string{"path", "content"}},
	{agent.ToolReplace, "Replace the one exact occurrence of old in a file by new (an error when old is absent or not unique).",
		map[string]any{"path": str("the file's path"), "old": str("the exact text to find, whitespace included"),
			"new": str("the text to put instead")}, []string{"path", "old", "new"}},
	{agent.ToolSubmit, "End the episode and hand in your work.", map[string]any{}, nil},
}

// nativeTools declares the tools for the request.
func nativeTools() []openai.ChatCompletionToolUnionParam {
	out := make([]openai.ChatCompletionToolUnionParam, 0, len(toolSpecs))
	for _, t := range toolSpecs {
		schema := shared.FunctionParameters{"type": "object", "properties": t.params}
		if len(t.required) > 0 {
			schema["required"] = t.required
		}
		out = append(out, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: t.name, Description: param.NewOpt(t.description), Parameters: schema,
		}))
	}
	return out
}

// toolNames lists the tools for messages.
const toolNames = "bash, view, create, replace or submit"

// parseToolCall turns a native tool call into an action; Invalid says what is wrong with it.
func parseToolCall(tc agent.ToolCall) agent.Action {
	invalid := func(format string, args ...any) agent.Action {
		return agent.Action{Tool: tc.Name, Invalid: fmt.Sprintf(format, args...)}
	}
	args := map[string]json.RawMessage{}
	if raw := strings.TrimSpace(tc.Arguments); raw != "" && raw != "null" {
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		if err := dec.Decode(&args); err != nil {
			return invalid("%s: the arguments are not a JSON object (%v): send {\"name\": value, …}", tc.Name, err)
		}
	}
	get := func(key string) (string, bool, string) {
		v, ok := args[key]
		if !ok {
			return "", false, ""
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", true, fmt.Sprintf("%s: %q must be a string", tc.Name, key)
		}
		return s, true, ""
	}
	need := func(keys ...string) ([]string, string) {
		out := make([]string, len(keys))
		for i, k := range keys {
			s, ok, bad := get(k)
			if bad != "" {
				return nil, bad
			}
			if !ok {
				return nil, fmt.Sprintf("%s: missing argument %q", tc.Name, k)
			}
			out[i] = s
		}
		return out, ""
	}
	switch tc.Name {
	case agent.ToolBash:
		v, bad := need("command")
		if bad != "" {
			return invalid("%s", bad)
		}
		if strings.TrimSpace(v[0]) == "" {
			return invalid("bash: the command is empty")
		}
		return agent.Action{Tool: agent.ToolBash, Command: v[0]}
	case agent.ToolView:
		v, bad := need("path")
		if bad != "" {
			return invalid("%s", bad)
		}
		if strings.TrimSpace(v[0]) == "" {
			return invalid("view: the path is empty")
		}
		a := agent.Action{Tool: agent.ToolView, Path: v[0]}
		start, hasStart, bad1 := intArg(args, "start_line")
		end, hasEnd, bad2 := intArg(args, "end_line")
		switch {
		case bad1 != "" || bad2 != "":
			return invalid("view: %s", bad1+bad2)
		case hasStart != hasEnd:
			return invalid("view: give both start_line and end_line, or neither")
		case hasStart && (start < 1 || end < start):
			return invalid("view: lines %d to %d are not a range: start_line ≥ 1 and end_line ≥ start_line", start, end)
		case hasStart:
			a.Lines = []int{start, end}
		}
		return a
	case agent.ToolCreate:
		v, bad := need("path", "content")
		if bad != "" {
			return invalid("%s", bad)
		}
		if strings.TrimSpace(v[0]) == "" {
			return invalid("create: the path is empty")
		}
		return agent.Action{Tool: agent.ToolCreate, Path: v[0], Content: v[1]}
	case agent.ToolReplace:
		v, bad := need("path", "old", "new")
		if bad != "" {
			return invalid("%s", bad)
		}
		if v[1] == "" {
			return invalid("replace: old is empty: give the exact text to find")
		}
		return agent.Action{Tool: agent.ToolReplace, Path: v[0], Old: v[1], New: v[2]}
	case agent.ToolSubmit:
		return agent.Action{Tool: agent.ToolSubmit}
	}
	return invalid("unknown tool %q: use %s", tc.Name, toolNames)
}

// intArg reads an integer argument, accepting a number or a string of digits (models write both).
func intArg(args map[string]json.RawMessage, key string) (int, bool, string) {
	v, ok := args[key]
	if !ok || string(v) == "null" {
		return 0, false, ""
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0, true, fmt.Sprintf("%s must be an integer", key)
		}
		n = json.Number(strings.TrimSpace(s))
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0, true, fmt.Sprintf("%s must be an integer", key)
	}
	return i, true, ""
}

// nativeArguments writes an action's arguments as the native format would (for turns without a recorded
// message).
func nativeArguments(a agent.Action) string {
	m := map[string]any{}
	switch a.Tool {
	case agent.ToolBash:
		m["command"] = a.Command
	case agent.ToolView:
		m["path"] = a.Path
		if len(a.Lines) == 2 {
			m["start_line"], m["end_line"] = a.Lines[0], a.Lines[1]
		}
	case agent.ToolCreate:
		m["path"], m["content"] = a.Path, a.Content
	case agent.ToolReplace:
		m["path"], m["old"], m["new"] = a.Path, a.Old, a.New
	}
	b, _ := json.Marshal(m)
	return string(b)
}
