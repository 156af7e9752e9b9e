package agent

import "fmt"

// Role is the part an agent plays.
type Role string

// Roles.
const (
	Injector Role = "injector"
	Solver   Role = "solver"
)

// Candidate is one action a structured agent may take (Observation.Candidates), as the arena built it from
// the language plugins; ToolApply carries it out.
type Candidate struct {
	Kind        string             `json:"kind"` // mutation, removal, history, edit
	File        string             `json:"file"`
	Line        int                `json:"line,omitempty"`
	Node        string             `json:"node,omitempty"`
	Operator    string             `json:"operator,omitempty"`
	Function    string             `json:"function,omitempty"`
	Commit      string             `json:"commit,omitempty"` // history: the commit whose change is reverted
	Description string             `json:"description"`
	Features    map[string]float64 `json:"features,omitempty"` // what a trained policy may weigh
	// Prior is a fixed logit added to the policy's score of this candidate, by the agent when it samples and
	// by the trainer when it recomputes the choice's probability: a hand-made preference (the native
	// solver's ranking) that the learned score can outweigh. 0 for none.
	Prior float64 `json:"prior,omitempty"`
}

// Key identifies a candidate across turns and decisions: its index changes as the arena rebuilds the
// candidates after every write.
func (c Candidate) Key() string {
	return fmt.Sprintf("%s\x00%d\x00%s\x00%s\x00%s", c.File, c.Line, c.Node, c.Operator, c.Commit)
}
