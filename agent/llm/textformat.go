package llm

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/agent"
)

// The plain-text tool format, for base models and servers without a tool-call parser. A reply carries one
// block; its body runs from the opening tag to the first closing tag:
//
//	<tool: bash>ls -la</tool>
//	<tool: view>path/to/file.py</tool>
//	<tool: view>path/to/file.py 10 40</tool>            (lines 10 to 40, 1-based, inclusive)
//	<tool: create>path/to/file.py
//	---
//	the whole new content, verbatim
//	</tool>
//	<tool: replace>path/to/file.py
//	<<<<<<< SEARCH
//	the exact lines to find
//	=======
//	the lines to put instead
//	>>>>>>> REPLACE
//	</tool>
//	<tool: submit></tool>
//
// create: the first line is the path, the second exactly "---", the rest (up to the closing tag) the content.
// replace: after the path line, the old text is every line between the SEARCH line and the first "=======",
// the new text every line from there to the first ">>>>>>> REPLACE" line, each with its line break. A body
// cannot hold the closing tag itself; a file that does is written with bash.
const (
	textClose = "</tool>"
	// textStop is sent as a stop sequence in the text format, so the model does not go on to imagine the
	// tool's output; servers leave it out of the reply, and the agent puts it back.
	textStop = textClose
)

var textOpen = regexp.MustCompile(`<tool:\s*([A-Za-z_][A-Za-z0-9_-]*)\s*>`)

// textCall is one <tool: NAME>BODY</tool> block.
type textCall struct {
	name, body string
	closed     bool
}

// findTextCalls returns the reply's tool blocks in order. An unclosed block ends the search.
func findTextCalls(s string) []textCall {
	var calls []textCall
	for {
		loc := textOpen.FindStringSubmatchIndex(s)
		if loc == nil {
			return calls
		}
		name := s[loc[2]:loc[3]]
		rest := s[loc[1]:]
		end := strings.Index(rest, textClose)
		if end < 0 {
			return append(calls, textCall{name: name, body: rest})
		}
		calls = append(calls, textCall{name: name, body: rest[:end], closed: true})
		s = rest[end+len(textClose):]
	}
}

// parseText reads the action from a text-format reply. It returns the action (Invalid set when the reply
// holds no usable block) and how many blocks the reply held.
func parseText(content string) (agent.Action, int) {
	calls := findTextCalls(content)
	if len(calls) == 0 {
		return agent.Action{Invalid: "no tool call: end your reply with one <tool: NAME>…</tool> block (bash, view, create, replace or submit)"}, 0
	}
	c := calls[0]
	if !c.closed {
		return agent.Action{Invalid: fmt.Sprintf("the <tool: %s> block is not closed: end it with %s", c.name, textClose)}, len(calls)
	}
	a, err := decodeTextBody(c.name, c.body)
	if err != "" {
		return agent.Action{Tool: a.Tool, Invalid: err}, len(calls)
	}
	return a, len(calls)
}

// decodeTextBody turns one block into an action, or says what is wrong with it.
func decodeTextBody(name, body string) (agent.Action, string) {
	switch name {
	case agent.ToolBash:
		cmd := strings.TrimSpace(body)
		if cmd == "" {
			return agent.Action{}, "bash: the command is empty: write it between <tool: bash> and </tool>"
		}
		return agent.Action{Tool: agent.ToolBash, Command: cmd}, ""
	case agent.ToolView:
		return decodeView(strings.TrimSpace(body))
	case agent.ToolCreate:
		path, rest, ok := cutLine(strings.TrimLeft(body, " \t\r\n"))
		path = strings.TrimSpace(path)
		if path == "" {
			return agent.Action{}, "create: no path: put the path on the first line, then a line ---, then the content"
		}
		sep, content, _ := cutLine(rest)
		if !ok || strings.TrimSpace(sep) != "---" {
			return agent.Action{}, "create: the line after the path must be exactly ---, followed by the content"
		}
		return agent.Action{Tool: agent.ToolCreate, Path: path, Content: content}, ""
	case agent.ToolReplace:
		return decodeReplace(body)
	case agent.ToolSubmit:
		return agent.Action{Tool: agent.ToolSubmit}, ""
	}
	return agent.Action{}, fmt.Sprintf("unknown tool %q: use bash, view, create, replace or submit", name)
}

func decodeView(body string) (agent.Action, string) {
	if body == "" {
		return agent.Action{}, "view: no path: write <tool: view>PATH</tool> or <tool: view>PATH START END</tool>"
	}
	if strings.ContainsAny(body, "\r\n") {
		return agent.Action{}, "view: write the path (and optionally START END) on one line"
	}
	f := strings.Fields(body)
	if len(f) >= 3 {
		start, err1 := strconv.Atoi(f[len(f)-2])
		end, err2 := strconv.Atoi(f[len(f)-1])
		if err1 == nil && err2 == nil {
			if start < 1 || end < start {
				return agent.Action{}, fmt.Sprintf("view: lines %d to %d are not a range: START ≥ 1 and END ≥ START", start, end)
			}
			path := dropLastField(dropLastField(body))
			return agent.Action{Tool: agent.ToolView, Path: path, Lines: []int{start, end}}, ""
		}
	}
	return agent.Action{Tool: agent.ToolView, Path: body}, ""
}

func decodeReplace(body string) (agent.Action, string) {
	const usage = "replace: write the path, then <<<<<<< SEARCH, the old lines, =======, the new lines, >>>>>>> REPLACE, each on its own line"
	path, rest, _ := cutLine(strings.TrimLeft(body, " \t\r\n"))
	path = strings.TrimSpace(path)
	if path == "" {
		return agent.Action{}, usage
	}
	lines := strings.SplitAfter(rest, "\n")
	marker := func(l string) string { return strings.TrimSpace(l) }
	i := 0
	for i < len(lines) && marker(lines[i]) == "" {
		i++
	}
	if i == len(lines) || !strings.HasPrefix(marker(lines[i]), "<<<<<<<") {
		return agent.Action{}, usage
	}
	i++
	var old, nw strings.Builder
	for ; i < len(lines) && marker(lines[i]) != "======="; i++ {
		old.WriteString(lines[i])
	}
	if i == len(lines) {
		return agent.Action{}, "replace: no ======= line after the old text; " + usage
	}
	i++
	for ; i < len(lines) && !strings.HasPrefix(marker(lines[i]), ">>>>>>>"); i++ {
		nw.WriteString(lines[i])
	}
	if i == len(lines) {
		return agent.Action{}, "replace: no >>>>>>> REPLACE line after the new text; " + usage
	}
	for _, l := range lines[i+1:] {
		if marker(l) != "" {
			return agent.Action{}, "replace: text after >>>>>>> REPLACE: one replacement per call"
		}
	}
	if old.Len() == 0 {
		return agent.Action{}, "replace: the old text is empty: give the exact lines to find"
	}
	return agent.Action{Tool: agent.ToolReplace, Path: path, Old: old.String(), New: nw.String()}, ""
}

// dropLastField removes the last whitespace-separated field of s and the space before it.
func dropLastField(s string) string {
	s = strings.TrimRight(s, " \t")
	return strings.TrimRight(s[:strings.LastIndexAny(s, " \t")+1], " \t")
}

// cutLine splits s after its first line; ok is false when s has no line break.
func cutLine(s string) (line, rest string, ok bool) {
	line, rest, ok = strings.Cut(s, "\n")
	return strings.TrimSuffix(line, "\r"), rest, ok
}

// formatText writes an action in the text format (the inverse of parseText for valid actions).
func formatText(a agent.Action) string {
	switch a.Tool {
	case agent.ToolBash:
		return "<tool: bash>\n" + a.Command + "\n</tool>"
	case agent.ToolView:
		if len(a.Lines) == 2 {
			return fmt.Sprintf("<tool: view>%s %d %d</tool>", a.Path, a.Lines[0], a.Lines[1])
		}
		return "<tool: view>" + a.Path + "</tool>"
	case agent.ToolCreate:
		return "<tool: create>" + a.Path + "\n---\n" + a.Content + textClose
	case agent.ToolReplace:
		return "<tool: replace>" + a.Path + "\n<<<<<<< SEARCH\n" + withNewline(a.Old) + "=======\n" +
			withNewline(a.New) + ">>>>>>> REPLACE\n" + textClose
	case agent.ToolSubmit:
		return "<tool: submit></tool>"
	}
	return "<tool: " + a.Tool + "></tool>"
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
