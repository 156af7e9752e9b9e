package sandbox

import (
	"fmt"
	"time"
)

// ExecRequest is one command to run in a sandbox.
type ExecRequest struct {
	Cmd       []string      // argv; required
	Stdin     []byte        // nil: no standard input
	Env       []string      // KEY=VALUE added to the sandbox's
	Dir       string        // working directory; default the sandbox's workdir
	User      string        // default the sandbox's user
	Timeout   time.Duration // default Limits.ExecTimeout; the whole process tree is killed when it passes
	MaxOutput int64         // bytes kept per stream; default Limits.MaxOutput

	// Setup is a shell script that the same exec runs before Cmd, so that preparing a command and running
	// it take one round trip to the backend (a test run resets the tree, unpacks its files and runs the
	// script in one exec). It runs in Dir with the request's user and environment, and it reads Stdin
	// (Cmd then reads nothing). What it prints is not in the result; Duration, and Timeout, count from its
	// end (it has a Timeout of its own). When it fails, Cmd does not run: the result has SetupFailed, the
	// Setup's exit status, and what it printed in Stderr.
	Setup string
}

// Validate reports what makes the request unrunnable.
func (r ExecRequest) Validate() error {
	switch {
	case len(r.Cmd) == 0 || r.Cmd[0] == "":
		return fmt.Errorf("%w: exec without a command: give argv, e.g. [\"sh\", \"-c\", \"...\"]", ErrInvalidSpec)
	case r.Timeout < 0:
		return fmt.Errorf("%w: exec timeout %v is negative", ErrInvalidSpec, r.Timeout)
	case r.MaxOutput < 0:
		return fmt.Errorf("%w: exec max output %d is negative", ErrInvalidSpec, r.MaxOutput)
	}
	return validateEnv(r.Env)
}

// ExecResult is what a command did.
type ExecResult struct {
	ExitCode  int           // the command's status; 128+n when killed by signal n (137 for a kill)
	Stdout    []byte        // at most MaxOutput bytes, then TruncationMarker when Truncated
	Stderr    []byte        // likewise
	Duration  time.Duration // wall time of the command as the host saw it
	TimedOut  bool          // the timeout passed and the process tree was killed
	Truncated bool          // stdout or stderr went past MaxOutput
	OOMKilled bool          // the sandbox's memory limit killed a process of this command
	Flooded   bool          // it printed far past MaxOutput, so its process tree was killed (FloodMarker ends Stderr)
	// SetupFailed: the request's Setup failed (ExitCode and Stderr are the Setup's, TimedOut says it ran
	// past its limit) and Cmd did not run.
	SetupFailed bool
}

// OK reports whether the command exited 0 within its limits.
func (r ExecResult) OK() bool {
	return r.ExitCode == 0 && !r.TimedOut && !r.OOMKilled && !r.SetupFailed
}

// FloodMarker ends the stderr of a command killed for printing far past its output cap: limit bytes
// were kept, and the command printed at least printed bytes before it was killed.
func FloodMarker(limit, printed int64) string {
	return fmt.Sprintf("\n[ssr: output cut at %d bytes; the command was killed for flooding its output (it printed more than %d bytes)]\n", limit, printed)
}

// TruncationMarker is appended to a stream that was cut at limit bytes.
func TruncationMarker(limit int64) string {
	return fmt.Sprintf("\n[ssr: output truncated at %d bytes]\n", limit)
}
