package agent

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
}
