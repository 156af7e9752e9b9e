package arena

import (
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// TestExecEnding: a command killed at its time limit, by the flood guard or by the memory limit says so,
// never just "exit 137" (issue 11, item 9).
func TestExecEnding(t *testing.T) {
	for name, tc := range map[string]struct {
		res  sandbox.ExecResult
		want string
	}{
		"timed out": {sandbox.ExecResult{ExitCode: 137, TimedOut: true, Duration: 60*time.Second + 20*time.Millisecond},
			"timed out after 1m0s (limit 1m0s) and was killed"},
		"flooded":       {sandbox.ExecResult{ExitCode: 137, Flooded: true}, "was killed for flooding its output (cut at the sandbox's cap)"},
		"out of memory": {sandbox.ExecResult{ExitCode: 137, OOMKilled: true}, "was killed: out of memory (the sandbox's memory limit)"},
		"failed":        {sandbox.ExecResult{ExitCode: 2}, "failed (exit 2)"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := execEnding(tc.res, time.Minute); got != tc.want {
				t.Errorf("execEnding = %q, want %q", got, tc.want)
			}
		})
	}
}
