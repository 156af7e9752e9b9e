package arena

import (
	"regexp"
	"strings"
	"testing"
)

// TestJobConfigErrorsAreOneLine checks every config the issue found accepted silently, and YAML errors: each
// is one line that names the file (and for YAML, the line and the field) and no Go type.
func TestJobConfigErrorsAreOneLine(t *testing.T) {
	const ok = "examples: [pyledger]\nlimits: {bugs: 1}\n"
	for name, tc := range map[string]struct{ src, want string }{
		"negative n_attempts":        {ok + "arena: {n_attempts: -1}", "job.yaml: arena.n_attempts: -1 is negative"},
		"negative containers":        {ok + "arena: {containers: -2}", "job.yaml: arena.containers: -2 is negative"},
		"negative test_timeout":      {ok + "arena: {test_timeout: -5s}", "job.yaml: arena.test_timeout: -5s is negative"},
		"negative flake_runs":        {ok + "arena: {flake_runs: -1}", "job.yaml: arena.flake_runs: -1 is negative"},
		"negative min_passing_tests": {ok + "arena: {min_passing_tests: -3}", "job.yaml: arena.min_passing_tests: -3 is negative"},
		"absurd n_attempts":          {ok + "arena: {n_attempts: 100000000000}", "arena.n_attempts: 100000000000 is more than the most ssr allows (1024)"},
		"absurd test_timeout":        {ok + "arena: {test_timeout: 1000h}", "arena.test_timeout: 1000h0m0s is more than the most ssr allows"},
		"all-zero strategy shares":   {ok + "strategies: {mutation: 0, removal: 0}", "strategies: every share is 0"},
		"duplicate examples":         {"examples: [pyledger, gokit, pyledger]\nlimits: {bugs: 1}", `examples: "pyledger" is listed twice`},
		"duplicate repos":            {"manifest: m.yaml\nrepos: [a, a]\nlimits: {bugs: 1}", `repos: "a" is listed twice`},
		"repos without a manifest":   {ok + "repos: [a]", "repos: [a] filters a manifest's entries, but no manifest is set"},
		"number for a duration":      {ok + "arena:\n  test_timeout: 300\n", `job.yaml:4: arena.test_timeout: want a duration with a unit, like 90s, 5m or 2h, got "300"`},
		"word for a duration":        {"examples: [pyledger]\nlimits: {bugs: 1, wall_time: soon}\n", `job.yaml:2: limits.wall_time: want a duration with a unit, like 90s, 5m or 2h, got "soon"`},
		"word for a number":          {ok + "arena: {containers: two}", `job.yaml:3: arena.containers: want a whole number, got "two"`},
		"list for a number":          {ok + "seed: [1]", "job.yaml:3: seed: want a whole number, 0 or more, got a list"},
		"scalar for a mapping":       {"examples: [pyledger]\nlimits: 3\n", `job.yaml:2: limits: want a mapping of fields, got "3"`},
		"long value":                 {ok + "arena: {n_attempts: eighteen-thousand}", `job.yaml:3: arena.n_attempts: want a whole number, got "eightee..."`},
		"unknown nested field":       {ok + "arena:\n  n_atempts: 3\n", `job.yaml:4: arena.n_atempts: unknown field "n_atempts" (known here: min_passing_tests,`},
		"unknown top field":          {ok + "attempts: 3", `job.yaml:3: attempts: unknown field "attempts" (known here: name, manifest,`},
		"two problems":               {ok + "arena: {containers: two, flake_runs: three}", `(and 1 more problem(s) after it)`},
		"syntax":                     {"examples: [pyledger\nlimits: {bugs: 1}\n", "job.yaml:"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseJobConfig("job.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "job.yaml") {
				t.Errorf("error %q\nwant it to start with job.yaml and contain %q", msg, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
			if goType.MatchString(msg) {
				t.Errorf("error names a Go type: %q", msg)
			}
		})
	}
}

var goType = regexp.MustCompile(`arena\.[A-Z]|time\.Duration|\bint64\b|\buint64\b|float64|map\[|\[\]string|!!`)
