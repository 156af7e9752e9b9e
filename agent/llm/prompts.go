package llm

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"github.com/selfplay-swe/ssr/agent"
)

//go:embed prompts/*.tmpl
var promptFS embed.FS

var prompts = template.Must(template.New("prompts").Option("missingkey=error").ParseFS(promptFS, "prompts/*.tmpl"))

// Injector strategies that have a prompt.
const (
	StrategyDirect  = "direct"
	StrategyRemoval = "removal"
	StrategyHistory = "history"
)

// promptData is what the templates read.
type promptData struct {
	agent.Task
	TextTools   bool // the text tool format: the system prompt spells out its syntax
	Turns       int  // the episode's turn budget
	SpecMissing bool // solver: Task.Text does not hold the spec, so the prompt adds it
}

// taskTemplate names the template of the task message for t.
func taskTemplate(t agent.Task) (string, error) {
	switch t.Role {
	case agent.Solver:
		return "solver", nil
	case agent.Injector:
		switch t.Strategy {
		case StrategyDirect, "":
			return "injector_direct", nil
		case StrategyRemoval, StrategyHistory:
			return "injector_" + t.Strategy, nil
		}
		return "", fmt.Errorf("%w: injector strategy %q (the llm agent plays direct, removal and history; give mutation to the native agent)", ErrTask, t.Strategy)
	}
	return "", fmt.Errorf("%w: role %q (use injector or solver)", ErrTask, t.Role)
}

// renderPrompts renders the system and the task message of an episode.
func renderPrompts(t agent.Task, text bool, turns int) (system, task string, err error) {
	name, err := taskTemplate(t)
	if err != nil {
		return "", "", err
	}
	if t.Workdir == "" {
		t.Workdir = "/repo"
	}
	d := promptData{Task: t, TextTools: text, Turns: turns,
		SpecMissing: t.Spec != "" && !strings.Contains(t.Text, strings.TrimSpace(t.Spec))}
	d.Spec = strings.TrimRight(d.Spec, "\n") // the template closes the fence on the next line
	var sys, msg strings.Builder
	if err := prompts.ExecuteTemplate(&sys, "system", d); err != nil {
		return "", "", fmt.Errorf("llm: system prompt: %w", err)
	}
	if err := prompts.ExecuteTemplate(&msg, name, d); err != nil {
		return "", "", fmt.Errorf("llm: %s prompt: %w", name, err)
	}
	return sys.String(), msg.String(), nil
}

// budgetLine is how task_footer.tmpl states the turn budget; Transcript reads it back.
var budgetLine = regexp.MustCompile(`You have (\d+) turns; every reply uses one\.`)

// budgetOf reads the turn budget from a rendered task message (0 when it is not there).
func budgetOf(task string) int {
	m := budgetLine.FindStringSubmatch(task)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
