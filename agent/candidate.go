package agent

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

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
	Column      int                `json:"column,omitempty"` // 1-based, in bytes: sites on one line differ by it
	Node        string             `json:"node,omitempty"`
	Operator    string             `json:"operator,omitempty"`
	Function    string             `json:"function,omitempty"`
	Code        string             `json:"code,omitempty"`   // the source at the site: its first line, at most MaxCode bytes
	Commit      string             `json:"commit,omitempty"` // history: the commit whose change is reverted
	Description string             `json:"description"`
	Features    map[string]float64 `json:"features,omitempty"` // what a trained policy may weigh
	// Prior is a fixed logit added to the policy's score of this candidate, by the agent when it samples and
	// by the trainer when it recomputes the choice's probability: a hand-made preference (the native
	// solver's ranking) that the learned score can outweigh. 0 for none.
	Prior float64 `json:"prior,omitempty"`
}

// MaxCode is the most bytes of source a Candidate's Code holds.
const MaxCode = 80

// SiteCode is what a Candidate's Code holds of the source src[start:end]: its first line, at most MaxCode
// bytes, cut at a character boundary; empty when the range is not within src.
func SiteCode(src []byte, start, end int) string {
	if start < 0 || end > len(src) || start >= end {
		return ""
	}
	code := src[start:end]
	if i := bytes.IndexByte(code, '\n'); i >= 0 {
		code = code[:i]
	}
	if len(code) > MaxCode {
		code = code[:MaxCode]
		for len(code) > 0 && !utf8.Valid(code) {
			code = code[:len(code)-1]
		}
	}
	return strings.TrimSpace(string(code))
}

// Key identifies a candidate across turns and decisions: its index changes as the arena rebuilds the
// candidates after every write.
func (c Candidate) Key() string {
	return fmt.Sprintf("%s\x00%d:%d\x00%s\x00%s\x00%s", c.File, c.Line, c.Column, c.Node, c.Operator, c.Commit)
}
