package llm

import (
	"errors"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
)

func TestInjectorPrompts(t *testing.T) {
	contract := []string{
		"/opt/ssr/artifact", "test_script.sh", "test_files.txt", "parser.txt", "`pytest`", "test_parser.py",
		`"passed", "failed", "skipped" or "error"`, "bug_inject.diff", "test_weaken.diff",
		"python -m pytest -rA", "at least 5 passing", "at least 1 file(s)", "at least 1 test(s)",
		"changes source code only", "test files only", "No comments that hint", "never comment them out",
		"git add -A", "git diff --cached", "You have 7 turns",
	}
	only := map[string][]string{
		"direct":  {"off-by-one"},
		"removal": {"Remove its implementation"},
		"history": {"git log", "git show COMMIT", "Do not check out or reset"},
	}
	for strategy, own := range only {
		t.Run(strategy, func(t *testing.T) {
			sys, msg, err := renderPrompts(injectorTask(strategy), false, 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range append(contract, own...) {
				if !strings.Contains(msg, s) {
					t.Errorf("the %s prompt lacks %q", strategy, s)
				}
			}
			for other, words := range only {
				if other != strategy && strings.Contains(msg, words[0]) {
					t.Errorf("the %s prompt holds %q from the %s prompt", strategy, words[0], other)
				}
			}
			if strings.Contains(msg, "earlier rounds") {
				t.Error("no steering section without Task.Steer")
			}
			if !strings.Contains(sys, "/repo") || strings.Contains(sys, "<tool:") {
				t.Errorf("native system prompt: %q", sys)
			}
			if budgetOf(msg) != 7 {
				t.Errorf("budgetOf = %d", budgetOf(msg))
			}
		})
	}
}

func TestInjectorPromptVariants(t *testing.T) {
	task := injectorTask("")
	task.Steer = "Recent bugs were solved 90% of the time: aim for a harder one."
	task.MinPassingTests, task.MinChangedFiles = 12, 2
	_, msg, err := renderPrompts(task, true, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"off-by-one", "earlier rounds", task.Steer, "at least 12 passing", "at least 2 file(s)"} {
		if !strings.Contains(msg, s) {
			t.Errorf("prompt lacks %q", s)
		}
	}
	task.Parser = ""
	if _, msg, _ = renderPrompts(task, false, 3); !strings.Contains(msg, "no builtin parser") {
		t.Error("without a builtin parser the prompt must ask for test_parser.py")
	}
	for _, bad := range []agent.Task{{Role: agent.Injector, Strategy: "mutation"}, {Role: "critic"}} {
		if _, _, err := renderPrompts(bad, false, 3); !errors.Is(err, ErrTask) {
			t.Errorf("%+v: err = %v, want ErrTask", bad, err)
		}
	}
}

func TestSolverPrompt(t *testing.T) {
	spec := "--- a/test_calc.py\n+++ b/test_calc.py\n@@ -1 +1,2 @@\n+def test_add(): assert add(1, 2) == 3\n"
	cases := map[string]struct {
		task      agent.Task
		specTimes int
		want      string
	}{
		"text holds the spec": {agent.Task{Role: agent.Solver, Spec: spec, Text: "Fix it:\n\n" + spec}, 1, "Fix it:"},
		"text without spec":   {agent.Task{Role: agent.Solver, Spec: spec, Text: "Fix the code."}, 1, "```diff"},
		"no text":             {agent.Task{Role: agent.Solver, Spec: spec}, 1, "has a bug"},
		"empty spec":          {agent.Task{Role: agent.Solver, Text: "Fix the failing test."}, 0, "Fix the failing test."},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sys, msg, err := renderPrompts(tc.task, true, 4)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(msg, "def test_add"); n != tc.specTimes {
				t.Errorf("the spec appears %d times, want %d:\n%s", n, tc.specTimes, msg)
			}
			for _, s := range []string{tc.want, "submit", "You have 4 turns"} {
				if !strings.Contains(msg, s) {
					t.Errorf("prompt lacks %q:\n%s", s, msg)
				}
			}
			if !strings.Contains(sys, "/repo") || !strings.Contains(sys, "<tool: replace>") {
				t.Error("text-format system prompt lacks the syntax")
			}
		})
	}
}

// TestPromptSyntaxExamplesParse: every example block in the text-format instructions parses to its tool.
func TestPromptSyntaxExamplesParse(t *testing.T) {
	sys, _, err := renderPrompts(solverTask(), true, 3)
	if err != nil {
		t.Fatal(err)
	}
	var tools []string
	for _, c := range findTextCalls(sys) {
		a, msg := decodeTextBody(c.name, c.body)
		if msg != "" {
			t.Errorf("the prompt's %s example does not parse: %s", c.name, msg)
		}
		tools = append(tools, a.Tool)
	}
	if got := strings.Join(tools, ","); got != "bash,view,view,create,replace,submit" {
		t.Errorf("examples = %s", got)
	}
}

// TestInjectorPromptCoverage: the contract says where the per-test coverage is, and only when there is one.
func TestInjectorPromptCoverage(t *testing.T) {
	task := injectorTask(StrategyDirect)
	_, without, err := renderPrompts(task, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	task.CoverageFile = "/ssr/coverage.tsv"
	_, with, err := renderPrompts(task, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without, "coverage") || !strings.Contains(with, "/ssr/coverage.tsv lists, on the original code, which tests execute which source lines") {
		t.Errorf("without a coverage file:\n%s\nwith one:\n%s", without, with)
	}
}
