package artifact

import (
	"slices"
	"strings"
)

// File names of the five parts in an artifact directory.
const (
	TestScriptFile = "test_script.sh"
	TestFilesFile  = "test_files.txt"
	BugDiffFile    = "bug_inject.diff"
	WeakenDiffFile = "test_weaken.diff"
	// ParserFile holds a builtin parser's name (one line) when the artifact uses a builtin parser.
	ParserFile = "parser.txt"
	// MetadataFile holds Metadata as JSON; it is optional.
	MetadataFile = "metadata.json"
	// ScriptParserPrefix starts the name of a script parser ("test_parser.py", "test_parser", "test_parser.sh", …).
	ScriptParserPrefix = "test_parser"
)

// Artifact is what an injector hands in. The zero value is not valid; Check says why.
type Artifact struct {
	TestScript string   `json:"test_script"`
	TestFiles  []string `json:"test_files"`
	Parser     Parser   `json:"parser"`
	BugDiff    string   `json:"bug_inject_diff"`
	WeakenDiff string   `json:"test_weaken_diff"`
	Meta       Metadata `json:"metadata"`
}

// Parser is either a builtin parser's name, run on the host by a language plugin, or a script run inside the
// sandbox with the test output on stdin, printing {"test id": "passed"|"failed"|"skipped"|"error"}.
type Parser struct {
	Builtin    string `json:"builtin,omitempty"`
	ScriptName string `json:"script_name,omitempty"` // e.g. "test_parser.py"
	Script     string `json:"script,omitempty"`
}

// IsScript reports whether the parser is a script run in the sandbox.
func (p Parser) IsScript() bool { return p.Builtin == "" && (p.Script != "" || p.ScriptName != "") }

// String names the parser for messages: the builtin's name or the script's file name.
func (p Parser) String() string {
	if p.Builtin != "" {
		return p.Builtin
	}
	if p.ScriptName != "" {
		return p.ScriptName
	}
	return "(no parser)"
}

// Metadata describes where an artifact came from. None of it is checked by validation.
type Metadata struct {
	Repo          string `json:"repo,omitempty"`
	ImageDigest   string `json:"image_digest,omitempty"`
	Strategy      string `json:"strategy,omitempty"` // direct, removal, history, mutation, …
	Order         int    `json:"order,omitempty"`    // 1, or 2 when built from a failed repair
	ParentBug     string `json:"parent_bug,omitempty"`
	PolicyVersion int    `json:"policy_version,omitempty"`
	Agent         string `json:"agent,omitempty"`
	Description   string `json:"description,omitempty"`
	// Stage is the curriculum stage (arena's curriculum: single, double, multi, all) that planned a mutation
	// injector's sites and operators; empty for other strategies.
	Stage string `json:"curriculum_stage,omitempty"`
}

// IsListedTestFile reports whether path is one of the artifact's oracle test files.
func (a *Artifact) IsListedTestFile(path string) bool { return slices.Contains(a.TestFiles, path) }

// parseTestFiles reads test_files.txt: one repo-relative path a line; blank lines and lines starting with
// '#' are ignored.
func parseTestFiles(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}
