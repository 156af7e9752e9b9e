package llm

import (
	"reflect"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

func TestParseText(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    agent.Action
		invalid string // in Invalid, when the reply is not usable
		blocks  int
	}{
		"bash":               {in: "<tool: bash>ls -la</tool>", want: agent.Action{Tool: "bash", Command: "ls -la"}, blocks: 1},
		"bash multi-line":    {in: "ok\n<tool: bash>\ncd src &&\n  pytest -q\n</tool>", want: agent.Action{Tool: "bash", Command: "cd src &&\n  pytest -q"}, blocks: 1},
		"no space in tag":    {in: "<tool:bash>pwd</tool>", want: agent.Action{Tool: "bash", Command: "pwd"}, blocks: 1},
		"view":               {in: "<tool: view>a/b.py</tool>", want: agent.Action{Tool: "view", Path: "a/b.py"}, blocks: 1},
		"view lines":         {in: "<tool: view> a/b.py 10 40 </tool>", want: agent.Action{Tool: "view", Path: "a/b.py", Lines: []int{10, 40}}, blocks: 1},
		"view path w/ space": {in: "<tool: view>my dir/x.py 1 2</tool>", want: agent.Action{Tool: "view", Path: "my dir/x.py", Lines: []int{1, 2}}, blocks: 1},
		"view digit path":    {in: "<tool: view>x 10 10</tool>", want: agent.Action{Tool: "view", Path: "x", Lines: []int{10, 10}}, blocks: 1},
		"view one number":    {in: "<tool: view>notes 2024</tool>", want: agent.Action{Tool: "view", Path: "notes 2024"}, blocks: 1},
		"view bad range":     {in: "<tool: view>a.py 9 3</tool>", invalid: "not a range", blocks: 1},
		"view two lines":     {in: "<tool: view>a.py\nb.py</tool>", invalid: "one line", blocks: 1},
		"create":             {in: "<tool: create>src/a.py\n---\nx = 1\ny = 2\n</tool>", want: agent.Action{Tool: "create", Path: "src/a.py", Content: "x = 1\ny = 2\n"}, blocks: 1},
		"create empty":       {in: "<tool: create>a.py\n---\n</tool>", want: agent.Action{Tool: "create", Path: "a.py"}, blocks: 1},
		"create holds ---":   {in: "<tool: create>a.md\n---\n---\ntitle\n</tool>", want: agent.Action{Tool: "create", Path: "a.md", Content: "---\ntitle\n"}, blocks: 1},
		"create no sep":      {in: "<tool: create>a.py\nx = 1</tool>", invalid: "exactly ---", blocks: 1},
		"create no path":     {in: "<tool: create>\n</tool>", invalid: "no path", blocks: 1},
		"replace": {in: "<tool: replace>calc.py\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n</tool>",
			want: agent.Action{Tool: "replace", Path: "calc.py", Old: "    return a - b\n", New: "    return a + b\n"}, blocks: 1},
		"replace delete": {in: "<tool: replace>calc.py\n<<<<<<< SEARCH\nx\n=======\n>>>>>>> REPLACE\n</tool>",
			want: agent.Action{Tool: "replace", Path: "calc.py", Old: "x\n"}, blocks: 1},
		"replace new holds =======": {in: "<tool: replace>r.rst\n<<<<<<< SEARCH\nT\n=======\nT\n=======\n>>>>>>> REPLACE</tool>",
			want: agent.Action{Tool: "replace", Path: "r.rst", Old: "T\n", New: "T\n=======\n"}, blocks: 1},
		"replace crlf": {in: "<tool: replace>a\r\n<<<<<<< SEARCH\r\nx\r\n=======\r\ny\r\n>>>>>>> REPLACE\r\n</tool>",
			want: agent.Action{Tool: "replace", Path: "a", Old: "x\r\n", New: "y\r\n"}, blocks: 1},
		"replace no divider":   {in: "<tool: replace>a\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n</tool>", invalid: "no =======", blocks: 1},
		"replace no end":       {in: "<tool: replace>a\n<<<<<<< SEARCH\nx\n=======\ny\n</tool>", invalid: "no >>>>>>> REPLACE", blocks: 1},
		"replace empty old":    {in: "<tool: replace>a\n<<<<<<< SEARCH\n=======\ny\n>>>>>>> REPLACE\n</tool>", invalid: "old text is empty", blocks: 1},
		"replace trailing":     {in: "<tool: replace>a\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\nmore\n</tool>", invalid: "one replacement", blocks: 1},
		"replace no search":    {in: "<tool: replace>a\nx\n=======\ny\n</tool>", invalid: "<<<<<<< SEARCH", blocks: 1},
		"submit":               {in: "Done.\n<tool: submit></tool>", want: agent.Action{Tool: "submit"}, blocks: 1},
		"submit with body":     {in: "<tool: submit>all fixed</tool>", want: agent.Action{Tool: "submit"}, blocks: 1},
		"first of two":         {in: "<tool: bash>a</tool>\n<tool: bash>b</tool>", want: agent.Action{Tool: "bash", Command: "a"}, blocks: 2},
		"no block":             {in: "I would run the tests.", invalid: "no tool call", blocks: 0},
		"unclosed":             {in: "<tool: bash>ls", invalid: "not closed", blocks: 1},
		"unknown tool":         {in: "<tool: rm>-rf /</tool>", invalid: `unknown tool "rm"`, blocks: 1},
		"empty bash":           {in: "<tool: bash>  \n</tool>", invalid: "command is empty", blocks: 1},
		"lookalike is no tag":  {in: "<tool bash>ls</tool>", invalid: "no tool call", blocks: 0},
		"close inside content": {in: "<tool: create>a\n---\nx</tool>y</tool>", want: agent.Action{Tool: "create", Path: "a", Content: "x"}, blocks: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, n := parseText(tc.in)
			if n != tc.blocks {
				t.Fatalf("blocks = %d, want %d", n, tc.blocks)
			}
			if tc.invalid != "" {
				if !strings.Contains(got.Invalid, tc.invalid) {
					t.Fatalf("Invalid = %q, want it to contain %q", got.Invalid, tc.invalid)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// FuzzParseText: the parser never panics, an action it returns is either invalid or carries out one of the
// five tools with its required fields, and a valid action survives formatText and parseText unchanged.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		"<tool: bash>ls -la</tool>",
		"<tool: view>a.py 10 40</tool>",
		"<tool: create>a.py\n---\nx = 1\n</tool>",
		"<tool: replace>a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n</tool>",
		"<tool: submit></tool>",
		"<tool: bash>a</tool><tool: view>b</tool>",
		"<tool:view>x 1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, n := parseText(s)
		if a.Invalid != "" {
			return
		}
		if n == 0 {
			t.Fatalf("a valid action from a reply with no block: %#v", a)
		}
		switch a.Tool {
		case agent.ToolBash:
			if strings.TrimSpace(a.Command) == "" {
				t.Fatalf("empty command: %#v", a)
			}
		case agent.ToolView, agent.ToolCreate:
			if a.Path == "" {
				t.Fatalf("empty path: %#v", a)
			}
		case agent.ToolReplace:
			if a.Path == "" || a.Old == "" {
				t.Fatalf("replace without path or old: %#v", a)
			}
		case agent.ToolSubmit:
		default:
			t.Fatalf("unknown tool accepted: %#v", a)
		}
		if len(a.Lines) != 0 && (len(a.Lines) != 2 || a.Lines[0] < 1 || a.Lines[1] < a.Lines[0]) {
			t.Fatalf("bad lines: %#v", a)
		}
		again, m := parseText(formatText(a))
		if m != 1 || !reflect.DeepEqual(again, a) {
			t.Fatalf("round trip:\n in %#v\nout %#v (%d blocks)\nvia %q", a, again, m, formatText(a))
		}
	})
}

func TestParseToolCall(t *testing.T) {
	cases := map[string]struct {
		name, args string
		want       agent.Action
		invalid    string
	}{
		"bash":            {name: "bash", args: `{"command":"ls"}`, want: agent.Action{Tool: "bash", Command: "ls"}},
		"extra fields":    {name: "bash", args: `{"command":"ls","why":"look"}`, want: agent.Action{Tool: "bash", Command: "ls"}},
		"view lines":      {name: "view", args: `{"path":"a","start_line":2,"end_line":5}`, want: agent.Action{Tool: "view", Path: "a", Lines: []int{2, 5}}},
		"view str lines":  {name: "view", args: `{"path":"a","start_line":"2","end_line":" 5"}`, want: agent.Action{Tool: "view", Path: "a", Lines: []int{2, 5}}},
		"view null lines": {name: "view", args: `{"path":"a","start_line":null,"end_line":null}`, want: agent.Action{Tool: "view", Path: "a"}},
		"view float line": {name: "view", args: `{"path":"a","start_line":2.5,"end_line":5}`, invalid: "integer"},
		"view reversed":   {name: "view", args: `{"path":"a","start_line":5,"end_line":2}`, invalid: "not a range"},
		"create":          {name: "create", args: `{"path":"a","content":""}`, want: agent.Action{Tool: "create", Path: "a"}},
		"replace":         {name: "replace", args: `{"path":"a","old":"x","new":"y"}`, want: agent.Action{Tool: "replace", Path: "a", Old: "x", New: "y"}},
		"replace no new":  {name: "replace", args: `{"path":"a","old":"x"}`, invalid: `missing argument "new"`},
		"replace no old":  {name: "replace", args: `{"path":"a","old":"","new":"y"}`, invalid: "old is empty"},
		"submit null":     {name: "submit", args: `null`, want: agent.Action{Tool: "submit"}},
		"array args":      {name: "bash", args: `["ls"]`, invalid: "not a JSON object"},
		"truncated args":  {name: "create", args: `{"path":"a","content":"x`, invalid: "not a JSON object"},
		"unknown":         {name: "python", args: `{}`, invalid: `unknown tool "python"`},
		"empty path":      {name: "view", args: `{"path":" "}`, invalid: "path is empty"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := parseToolCall(agent.ToolCall{ID: "c", Name: tc.name, Arguments: tc.args})
			if tc.invalid != "" {
				if !strings.Contains(got.Invalid, tc.invalid) {
					t.Fatalf("Invalid = %q, want %q", got.Invalid, tc.invalid)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
			if back := parseToolCall(agent.ToolCall{Name: got.Tool, Arguments: nativeArguments(got)}); !reflect.DeepEqual(back, got) {
				t.Fatalf("nativeArguments round trip: %#v", back)
			}
		})
	}
}

// FuzzParseToolCall: native arguments never panic the parser, and a valid action survives nativeArguments.
func FuzzParseToolCall(f *testing.F) {
	f.Add("bash", `{"command":"ls"}`)
	f.Add("view", `{"path":"a","start_line":"2","end_line":5}`)
	f.Add("replace", `{"path":"a","old":"x","new":"y"}`)
	f.Add("create", `{"path":"a","content":"x`)
	f.Add("submit", `null`)
	f.Fuzz(func(t *testing.T, name, args string) {
		a := parseToolCall(agent.ToolCall{Name: name, Arguments: args})
		if a.Invalid != "" {
			return
		}
		if back := parseToolCall(agent.ToolCall{Name: a.Tool, Arguments: nativeArguments(a)}); !reflect.DeepEqual(back, a) {
			t.Fatalf("round trip: %#v became %#v", a, back)
		}
	})
}
