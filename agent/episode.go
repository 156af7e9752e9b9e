package agent

import (
	"context"
	"math"
	"time"
)

// Agent is what plays a role in an episode. The arena runs every episode the same way, for both roles and
// every agent: it hands the agent an Observation, the agent returns one Action, the arena carries the action
// out in the episode's sandbox and records the Turn, until the agent submits or a budget ends the episode.
// An agent never holds a sandbox.
//
// Act is called with everything that happened so far (Observation.History), so an agent keeps no state
// between calls that the arena does not record: an episode can be replayed or re-driven from its turns.
// The error is for failures outside the protocol (the model endpoint is gone, the policy cannot score): the
// arena records the episode as failed with that reason and the job goes on. A reply the agent cannot turn
// into a tool call is not an error: it is an Action whose Invalid says why, answered to the agent and counted.
type Agent interface {
	// Name names the agent in episodes and artifacts, e.g. "native" or "llm".
	Name() string
	// PolicyVersion is the version of the weights that act (0: untrained or unknown).
	PolicyVersion() int64
	// Act chooses the next action.
	Act(ctx context.Context, obs *Observation) (Action, error)
}

// Structured is implemented by agents that act over candidates (ToolApply). The arena builds
// Observation.Candidates only for an agent whose Structured reports true (building them costs plugin calls),
// and on an injector's submit it builds the artifact from the episode's change and test runs itself instead
// of collecting one from Task.ArtifactDir.
type Structured interface {
	Structured() bool
}

// IsStructured reports whether a acts over candidates.
func IsStructured(a Agent) bool {
	s, ok := a.(Structured)
	return ok && s.Structured()
}

// Tools an agent may call. The arena carries every one out in the episode's sandbox.
const (
	ToolBash    = "bash"    // run Action.Command from the work directory (a timeout and an output cap apply)
	ToolView    = "view"    // show Action.Path, or the 1-based inclusive line range Action.Lines of it
	ToolCreate  = "create"  // write Action.Content to Action.Path (created or overwritten)
	ToolReplace = "replace" // replace the one exact occurrence of Action.Old in Action.Path by Action.New
	ToolSubmit  = "submit"  // end the episode and hand in the work

	// Structured tools for agents that act over candidates built by the arena (the native agent).
	ToolApply    = "apply"     // carry out Observation.Candidates[Action.Candidate]
	ToolRunTests = "run_tests" // run the task's tests and report their statuses
	ToolRevert   = "revert"    // undo the changes since the last kept state (see Observation.Kept)
	ToolKeep     = "keep"      // make the current state the one revert returns to
)

// Task is what an episode is about, fixed for its whole length. Agents render their own prompts from it.
type Task struct {
	Role     Role   `json:"role"`
	Strategy string `json:"strategy,omitempty"` // injector: direct, removal, history, mutation
	Repo     string `json:"repo"`
	Language string `json:"language"` // the repository's language plugin, e.g. "python"
	Workdir  string `json:"workdir"`  // the repository inside the sandbox, e.g. /repo

	// Injector.
	ArtifactDir     string `json:"artifact_dir,omitempty"` // where the five parts are collected from on submit
	TestCommand     string `json:"test_command,omitempty"` // the plugin's script that runs every test
	Parser          string `json:"parser,omitempty"`       // the builtin parser that reads its output
	MinPassingTests int    `json:"min_passing_tests,omitempty"`
	MinFailingTests int    `json:"min_failing_tests,omitempty"`
	MinChangedFiles int    `json:"min_changed_files,omitempty"`
	Sites           int    `json:"sites,omitempty"` // native mutation: how many sites to change (the job's draw)
	Steer           string `json:"steer,omitempty"` // optional stepping stone: recent results and a variant to aim for
	// CoverageFile is a file in the sandbox that says which tests execute which source lines on the original
	// code: one "test id<TAB>file<TAB>line ranges" line per test and file (ranges like 12-18,30); empty when
	// the repository has none. An injector reads it to find the tests that can see its bug.
	CoverageFile string `json:"coverage_file,omitempty"`

	// Solver.
	Spec string `json:"spec,omitempty"` // the hidden tests, as a diff (the reverse of the weakening)
	Text string `json:"text,omitempty"` // the fixed task text that wraps the spec
}

// Observation is what an agent sees before it acts.
type Observation struct {
	Episode    string      `json:"episode"` // the episode's id, stable across its turns
	Task       Task        `json:"task"`
	Turn       int         `json:"turn"`       // 0-based index of the turn being asked for
	TurnsLeft  int         `json:"turns_left"` // including this one
	Deadline   time.Time   `json:"deadline"`   // the episode's wall-clock budget ends then
	History    []Turn      `json:"history"`    // every earlier turn, oldest first
	Candidates []Candidate `json:"candidates,omitempty"`
	Kept       int         `json:"kept,omitempty"` // how many turns ago the kept state was made (native)
}

// Last is the result of the previous turn, or nil on the first.
func (o *Observation) Last() *Turn {
	if len(o.History) == 0 {
		return nil
	}
	return &o.History[len(o.History)-1]
}

// Action is one tool call, with what the agent said alongside it for the record.
type Action struct {
	Tool      string `json:"tool"`
	Command   string `json:"command,omitempty"`   // bash
	Path      string `json:"path,omitempty"`      // view, create, replace
	Lines     []int  `json:"lines,omitempty"`     // view: [start, end], 1-based, inclusive
	Content   string `json:"content,omitempty"`   // create
	Old       string `json:"old,omitempty"`       // replace
	New       string `json:"new,omitempty"`       // replace
	Candidate int    `json:"candidate,omitempty"` // apply: index into Observation.Candidates

	// Invalid says why the agent's reply is not a tool call the arena can carry out (no tool call, an
	// unknown tool, malformed arguments). The arena answers it as an error result and counts it.
	Invalid string `json:"invalid,omitempty"`

	Message  *Message  `json:"message,omitempty"`  // a model's reply that carried this action
	Decision *Decision `json:"decision,omitempty"` // a structured agent's choice among candidates
}

// Decision records a choice among candidates, enough to compute a policy-gradient ratio later.
type Decision struct {
	Rows          []Candidate `json:"rows"` // what was chosen among, as scored
	Chosen        int         `json:"chosen"`
	LogProb       float64     `json:"log_prob"` // of the chosen row under the acting policy
	PolicyVersion int64       `json:"policy_version"`
	// Fixes are the rows that would have undone part of the bug: applied to the state the choice was made
	// in, each brings one or more changed lines back to the original's. The arena finds them after the
	// choice, in hindsight, for the trainer's supervised signal, and keeps them out of the history agents
	// see. Empty where nothing was checked (the injector) or no row fixes anything.
	Fixes []int `json:"fixes,omitempty"`
}

// IsChoice reports whether d is a choice a policy can learn from: among two rows or more (one row has no
// alternative), with a chosen row that is one of them and a finite behaviour log-probability.
func (d *Decision) IsChoice() bool {
	return d != nil && len(d.Rows) >= 2 && d.Chosen >= 0 && d.Chosen < len(d.Rows) &&
		!math.IsNaN(d.LogProb) && !math.IsInf(d.LogProb, 0)
}

// Message is one chat message as a model endpoint saw or produced it.
type Message struct {
	Role       string     `json:"role"` // system, user, assistant, tool
	Content    string     `json:"content,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`

	// Set on assistant messages.
	Model     string     `json:"model,omitempty"` // the served model id
	Usage     *Usage     `json:"usage,omitempty"`
	LatencyMs int64      `json:"latency_ms,omitempty"`
	LogProbs  []LogProb  `json:"logprobs,omitempty"` // when the endpoint returns them
	Sampling  *Sampling  `json:"sampling,omitempty"`
	Retries   int        `json:"retries,omitempty"` // failed requests before this reply
	Finish    string     `json:"finish_reason,omitempty"`
	Extra     []*Message `json:"extra,omitempty"` // messages sent before this reply that no turn records (system, task)
	Truncated bool       `json:"truncated,omitempty"`
}

// ToolCall is a model's call of one tool.
type ToolCall struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // as the model wrote them (JSON for native calls)
}

// Usage counts tokens of one model call.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// LogProb is one sampled token and its log-probability.
type LogProb struct {
	Token   string  `json:"token"`
	LogProb float64 `json:"logprob"`
}

// Sampling holds the settings a model call was made with.
type Sampling struct {
	Temperature float64 `json:"temperature"`
	TopP        float64 `json:"top_p"`
	MaxTokens   int     `json:"max_tokens"`
}

// Result is what carrying out an action gave.
type Result struct {
	Output    string            `json:"output"`          // what the tool printed, capped
	Error     string            `json:"error,omitempty"` // the action failed; told to the agent as is
	ExitCode  int               `json:"exit_code,omitempty"`
	Truncated bool              `json:"truncated,omitempty"`
	Failing   int               `json:"failing,omitempty"` // run_tests: tests that reported a failure or error
	Broken    int               `json:"broken,omitempty"`  // run_tests (injector): originally passing tests that now report a failure or error
	Tests     map[string]string `json:"tests,omitempty"`   // run_tests: every test that did not pass, with its status (passing is the rest)
	Sites     []string          `json:"sites,omitempty"`   // apply: every site the change touched, "file:line op"
}

// Turn is one step of an episode: the action and what came of it.
type Turn struct {
	N       int       `json:"n"`
	Action  Action    `json:"action"`
	Result  Result    `json:"result"`
	Started time.Time `json:"started"`
	Millis  int64     `json:"ms"`
}
