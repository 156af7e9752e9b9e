package arena

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// toolLimits bound what one tool call may cost and print.
type toolLimits struct {
	timeout   time.Duration // bash: the command and every process it started are killed then
	maxOutput int64         // bash, view: bytes kept per stream, then a visible truncation marker
}

var defaultToolLimits = toolLimits{timeout: 2 * time.Minute, maxOutput: 16 << 10}

// bash runs a shell command from the work directory.
func bash(ctx context.Context, sb sandbox.Sandbox, workdir, command string, lim toolLimits) agent.Result {
	if strings.TrimSpace(command) == "" {
		return agent.Result{Error: "bash: no command given"}
	}
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"bash", "-c", command}, Dir: workdir, Timeout: lim.timeout, MaxOutput: lim.maxOutput})
	if err != nil {
		return agent.Result{Error: "bash: " + err.Error()}
	}
	out := string(res.Stdout)
	if len(res.Stderr) > 0 {
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		out += string(res.Stderr)
	}
	r := agent.Result{Output: out, ExitCode: res.ExitCode, Truncated: res.Truncated}
	switch {
	case res.TimedOut:
		r.Error = fmt.Sprintf("bash: the command timed out after %v and was killed", lim.timeout)
	case res.OOMKilled:
		r.Error = "bash: the command ran out of memory and was killed"
	}
	return r
}

// view shows a file with numbered lines, or the 1-based inclusive line range lines = [start, end] of it.
func view(ctx context.Context, sb sandbox.Sandbox, workdir, p string, lines []int) agent.Result {
	if p == "" {
		return agent.Result{Error: "view: no path given"}
	}
	abs := p
	if !path.IsAbs(abs) {
		abs = path.Join(workdir, p)
	}
	data, err := sb.ReadFile(ctx, abs)
	if errors.Is(err, sandbox.ErrNotExist) {
		return agent.Result{Error: fmt.Sprintf("view: %s does not exist", p)}
	}
	if err != nil {
		return agent.Result{Error: fmt.Sprintf("view %s: %v", p, err)}
	}
	all := strings.Split(string(data), "\n")
	if len(all) > 0 && all[len(all)-1] == "" {
		all = all[:len(all)-1]
	}
	start, end := 1, len(all)
	switch len(lines) {
	case 0:
	case 2:
		start, end = lines[0], lines[1]
		if end == -1 {
			end = len(all)
		}
		if start < 1 || end < start || start > len(all) {
			return agent.Result{Error: fmt.Sprintf("view %s: lines [%d, %d] are outside the file's %d lines (give [start, end], 1-based, end -1 for the last)", p, lines[0], lines[1], len(all))}
		}
		end = min(end, len(all))
	default:
		return agent.Result{Error: fmt.Sprintf("view %s: give lines as [start, end], not %v", p, lines)}
	}
	var b strings.Builder
	for i := start; i <= end; i++ {
		fmt.Fprintf(&b, "%6d\t%s\n", i, all[i-1])
	}
	out, cut := capText(b.String(), defaultToolLimits.maxOutput)
	return agent.Result{Output: out, Truncated: cut}
}

// capText keeps the first limit bytes of s, followed by the sandbox's truncation marker when it cut.
func capText(s string, limit int64) (string, bool) {
	if int64(len(s)) <= limit {
		return s, false
	}
	return s[:limit] + sandbox.TruncationMarker(limit), true
}

// capTail keeps the last limit bytes of s, after a marker saying what was dropped.
func capTail(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	return fmt.Sprintf("[ssr: %d bytes of output dropped before this]\n", len(s)-limit) + s[len(s)-limit:]
}
