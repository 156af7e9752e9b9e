package arena

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// Where a test run's own files go inside a sandbox: outside /repo, so that nothing an agent does to the
// repository can replace the test script or the parser.
const (
	runDir        = "/opt/ssr"
	runScriptPath = runDir + "/test_script.sh"
	runOutputPath = runDir + "/test_output"
)

// TestRun is one run of an artifact's test script and its parsed results. Output is kept whole (up to the
// sandbox's cap) so verdicts can be recomputed later without containers.
type TestRun struct {
	Kind     string            `json:"kind"` // original, bug, weaken, inverse, eval, solver
	Output   []byte            `json:"-"`
	ExitCode int               `json:"exit_code"`
	Duration time.Duration     `json:"duration"`
	Timeout  time.Duration     `json:"timeout"` // the limit it ran under
	TimedOut bool              `json:"timed_out"`
	Results  map[string]string `json:"results"`               // what the parser reported; a test absent from it did not run
	Files    map[string]string `json:"-"`                     // test id → defining file, where the parser knows it
	ParseErr string            `json:"parse_error,omitempty"` // the parser failed: a rejection, not an error

	End    string   `json:"end"`              // how the run ended: plugin.RunCompleted, RunTimedOut, RunBuildFailed, RunCrashed
	Broken []string `json:"broken,omitempty"` // what did not build or collect, as the parser names it
	Detail string   `json:"detail,omitempty"` // one line on an abnormal end
}

// Status is a test's outcome in the run: what the parser reported, or plugin.StatusNotRun for a test the
// run did not report (it timed out or crashed before it, its package did not build, or it no longer exists).
func (r *TestRun) Status(id string) string {
	if s, ok := r.Results[id]; ok {
		return s
	}
	return plugin.StatusNotRun
}

// Completed reports whether the run finished and built: every test it was to run reported.
func (r *TestRun) Completed() bool { return r.End == plugin.RunCompleted && r.ParseErr == "" }

// Ending describes how the run ended in a few words that name the time limit of a killed run, e.g.
// "timed out after 1m10s (limit 1m10s)" or "did not build: example.com/m/pkg".
func (r *TestRun) Ending() string {
	var s string
	switch r.End {
	case plugin.RunTimedOut:
		s = fmt.Sprintf("timed out after %s (limit %s)", r.Duration.Round(100*time.Millisecond), r.Timeout)
	case plugin.RunBuildFailed:
		s = "did not build or collect"
		if len(r.Broken) > 0 {
			s += ": " + preview(r.Broken, 3)
		}
	case plugin.RunCrashed:
		s = fmt.Sprintf("crashed (exit %d)", r.ExitCode)
	default:
		s = "completed"
	}
	if r.Detail != "" {
		s += " — " + r.Detail
	}
	return s
}

// classifyEnd decides how a run ended: the time limit first, then what the parser read from the output,
// then the exit status (a runner killed by a signal crashed).
func classifyEnd(timedOut bool, exitCode int, parserEnd string) string {
	switch {
	case timedOut:
		return plugin.RunTimedOut
	case parserEnd != "":
		return parserEnd
	case exitCode < 0 || exitCode >= 128:
		return plugin.RunCrashed
	}
	return plugin.RunCompleted
}

// runTests runs the artifact's test script once, from /repo, in a fresh sandbox from the repo image with the
// overlay applied (one exec: see testBox), parses what it printed and closes the sandbox. The error is for
// infrastructure failures only.
func (a *Arena) runTests(ctx context.Context, repo *Repo, kind string, ov *overlay, art *artifact.Artifact) (*TestRun, error) {
	return a.runTestsFor(ctx, repo, kind, ov, art, a.timeoutFor(repo, art))
}

// runTestsFor is runTests with an explicit time limit.
func (a *Arena) runTestsFor(ctx context.Context, repo *Repo, kind string, ov *overlay, art *artifact.Artifact, timeout time.Duration) (*TestRun, error) {
	box, err := a.startBox(ctx, repo, false)
	if err != nil {
		return nil, fmt.Errorf("%s run: %w", kind, err)
	}
	defer a.release(box.sb)
	return a.runIn(ctx, box, repo, kind, ov, art, timeout)
}

// scriptFile is the artifact's test script as it is installed in a sandbox, outside /repo.
func scriptFile(art *artifact.Artifact) sandbox.File {
	return sandbox.File{Path: runScriptPath, Data: []byte(art.TestScript), Mode: 0o755}
}

// maxInlineScript bounds a test script that travels in the command that runs it, as bash's -c argument:
// Linux takes at most 128 KiB in one argument.
const maxInlineScript = 64 << 10

// inlineScript reports whether art's test script travels in its command (scriptCommand) instead of a file.
func inlineScript(art *artifact.Artifact) bool {
	return len(art.TestScript) <= maxInlineScript && !strings.ContainsRune(art.TestScript, 0)
}

// scriptCommand is the command of a run of art's test script. The script travels in it, as bash's -c
// argument with runScriptPath as $0, so that no transfer through the engine installs it, and the code under
// test can no more change it than it could root's file; a script too large for an argument is run from
// that file (scriptFiles).
func scriptCommand(art *artifact.Artifact) []string {
	if inlineScript(art) {
		return []string{"bash", "-c", art.TestScript, runScriptPath}
	}
	return []string{"bash", runScriptPath}
}

// isTestRun reports whether cmd is a scriptCommand.
func isTestRun(cmd []string) bool {
	return len(cmd) >= 2 && cmd[0] == "bash" && (cmd[1] == runScriptPath || cmd[1] == "-c" && len(cmd) == 4 && cmd[3] == runScriptPath)
}

// scriptFiles are the files a sandbox needs before it runs art's test script: the script's file when it
// does not travel in the command; none otherwise. A script parser is installed when it is used
// (parseInSandbox).
func scriptFiles(art *artifact.Artifact) []sandbox.File {
	if inlineScript(art) {
		return nil
	}
	return []sandbox.File{scriptFile(art)}
}

// parserFile is a script parser as it is installed in a sandbox, outside /repo.
func parserFile(p artifact.Parser) sandbox.File {
	name := cmp.Or(p.ScriptName, artifact.ScriptParserPrefix)
	return sandbox.File{Path: path.Join(runDir, path.Base(name)), Data: []byte(p.Script), Mode: 0o755}
}

// installScript writes the artifact's test script into a sandbox that runs it several times, when it does
// not travel in the command (scriptFiles).
func installScript(ctx context.Context, sb sandbox.Sandbox, art *artifact.Artifact) error {
	files := scriptFiles(art)
	if len(files) == 0 {
		return nil
	}
	if err := sb.WriteFiles(ctx, files...); err != nil {
		return fmt.Errorf("write test script: %w", err)
	}
	return nil
}

// runScriptFor runs the installed test script in a sandbox that is in the state to test, under timeout, and
// parses its output.
func (a *Arena) runScriptFor(ctx context.Context, sb sandbox.Sandbox, repo *Repo, kind string, art *artifact.Artifact, timeout time.Duration) (*TestRun, error) {
	res, err := sb.Exec(ctx, sandbox.ExecRequest{
		Cmd:     scriptCommand(art),
		Dir:     sandbox.DefaultWorkdir,
		Timeout: timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("%s run: %w", kind, err)
	}
	return a.parseRun(ctx, sb, nil, repo, kind, art, res, timeout)
}

// parseRun makes a TestRun of the test script's exec: the parser's results and how the run ended. box is
// the test box the run was made in (it holds a script parser already), or nil.
func (a *Arena) parseRun(ctx context.Context, sb sandbox.Sandbox, box *testBox, repo *Repo, kind string, art *artifact.Artifact, res sandbox.ExecResult, timeout time.Duration) (*TestRun, error) {
	out := append(append([]byte{}, res.Stdout...), res.Stderr...)
	run := &TestRun{Kind: kind, Output: out, ExitCode: res.ExitCode, Duration: res.Duration, Timeout: timeout, TimedOut: res.TimedOut}
	a.metrics.addTest(res.Duration)
	var parserEnd string
	var err error
	if art.Parser.IsScript() {
		run.Results, run.ParseErr, err = a.parseInSandbox(ctx, sb, box, art.Parser, out)
	} else {
		var parsed *parsedOutput
		parsed, err = parseBuiltin(ctx, repo.Lang, art.Parser.Builtin, out)
		if parsed != nil {
			run.Results, run.Files, run.Broken, run.Detail, parserEnd = parsed.results, parsed.files, parsed.broken, parsed.detail, parsed.end
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s run: %w", kind, err)
	}
	run.End = classifyEnd(run.TimedOut, run.ExitCode, parserEnd)
	if res.OOMKilled && run.End == plugin.RunCompleted {
		run.End, run.Detail = plugin.RunCrashed, "killed: out of memory (the sandbox's memory limit)"
	}
	if run.TimedOut && run.Detail == "" {
		run.Detail = fmt.Sprintf("killed at the %s limit", timeout)
	}
	if res.Flooded {
		run.End, run.Detail = plugin.RunCrashed, "its output was cut at the sandbox's cap and the script killed for flooding it"
	}
	return run, nil
}

// parserTimeout bounds a script parser's run.
const parserTimeout = time.Minute

// execEnding says how a command that did not succeed ended, in words: the time limit, the output flood
// guard and the memory limit are named rather than left as exit status 137.
func execEnding(res sandbox.ExecResult, timeout time.Duration) string {
	switch {
	case res.TimedOut:
		return fmt.Sprintf("timed out after %s (limit %s) and was killed", res.Duration.Round(100*time.Millisecond), timeout)
	case res.Flooded:
		return "was killed for flooding its output (cut at the sandbox's cap)"
	case res.OOMKilled:
		return "was killed: out of memory (the sandbox's memory limit)"
	}
	return fmt.Sprintf("failed (exit %d)", res.ExitCode)
}

// parsedOutput is what a builtin parser read from one run's output.
type parsedOutput struct {
	results, files map[string]string // test id → status; test id → defining file, where the parser knows it
	end, detail    string
	broken         []string
}

// parseBuiltin asks the language plugin, on the host, to parse output.
func parseBuiltin(ctx context.Context, lang plugin.Language, parser string, out []byte) (*parsedOutput, error) {
	resp, err := lang.ParseTestOutput(ctx, &plugin.ParseTestOutputRequest{Parser: parser, Output: out})
	if err != nil {
		return nil, fmt.Errorf("parser %s: %w", parser, err)
	}
	switch resp.End {
	case "", plugin.RunCompleted, plugin.RunBuildFailed, plugin.RunCrashed:
	default:
		return nil, fmt.Errorf("parser %s: unknown run end %q (want completed, build_failed or crashed): update the plugin", parser, resp.End)
	}
	p := &parsedOutput{results: make(map[string]string, len(resp.Tests)), files: map[string]string{},
		end: resp.End, detail: resp.Detail, broken: resp.Broken}
	for _, t := range resp.Tests {
		if t.Status == plugin.StatusNotRun {
			continue // started and never finished: absent, as a test the run did not reach
		}
		p.results[t.ID] = t.Status
		if t.File != "" {
			p.files[t.ID] = t.File
		}
	}
	return p, nil
}

// parseInSandbox runs a script parser inside the sandbox with the test output on stdin: in a test box that
// holds the parser already, one exec; elsewhere the parser and the output are written first. A parser that
// crashes or prints anything but a JSON object of known statuses is reported in the second result: the
// artifact is at fault, not ssr.
func (a *Arena) parseInSandbox(ctx context.Context, sb sandbox.Sandbox, box *testBox, p artifact.Parser, out []byte) (map[string]string, string, error) {
	pf := parserFile(p)
	name := cmp.Or(p.ScriptName, artifact.ScriptParserPrefix)
	cmd := []string{pf.Path}
	if strings.HasSuffix(name, ".py") {
		cmd = []string{"python3", pf.Path}
	} else if strings.HasSuffix(name, ".sh") {
		cmd = []string{"bash", pf.Path}
	}
	req := sandbox.ExecRequest{Cmd: cmd, Dir: sandbox.DefaultWorkdir, Timeout: parserTimeout, Stdin: out}
	if box == nil || box.installed[pf.Path] != contentHash(pf.Data) {
		if err := sb.WriteFiles(ctx, pf, sandbox.File{Path: runOutputPath, Data: out}); err != nil {
			return nil, "", fmt.Errorf("write parser: %w", err)
		}
		req.Cmd, req.Stdin = append([]string{"sh", "-c", `exec "$@" < ` + runOutputPath, "parser"}, cmd...), nil
	}
	res, err := sb.Exec(ctx, req)
	if err != nil {
		return nil, "", err
	}
	if !res.OK() {
		return nil, fmt.Sprintf("script parser %s %s: %s", name, execEnding(res, parserTimeout), tail(res.Stderr, 300)), nil
	}
	return decodeParserJSON(name, res.Stdout)
}

// decodeParserJSON reads a script parser's stdout: one JSON object mapping test ids to statuses.
func decodeParserJSON(name string, stdout []byte) (map[string]string, string, error) {
	var raw map[string]string
	if err := json.Unmarshal(bytes.TrimSpace(stdout), &raw); err != nil {
		return nil, fmt.Sprintf("script parser %s printed no JSON object of test id → status: %v (output starts %q)", name, err, head(stdout, 120)), nil
	}
	for id, s := range raw {
		switch s {
		case plugin.StatusPassed, plugin.StatusFailed, plugin.StatusSkipped, plugin.StatusError:
		case plugin.StatusNotRun:
			delete(raw, id) // started and never finished: absent, as a test the run did not reach
		default:
			return nil, fmt.Sprintf("script parser %s gave test %q the unknown status %q (want passed, failed, skipped, error or not_run)", name, id, s), nil
		}
	}
	return raw, "", nil
}

func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.ReplaceAll(string(b), "\n", " | ")
}

func head(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}
