package plugin

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Conditions a caller may branch on with errors.Is.
var (
	// ErrNotFound: no plugin program of that name is on the search path.
	ErrNotFound = errors.New("plugin not found")
	// ErrCrashed: the plugin process exited or broke the connection during a call.
	ErrCrashed = errors.New("plugin crashed")
	// ErrTimeout: the plugin did not answer a call within the host's per-call timeout.
	ErrTimeout = errors.New("plugin did not answer in time")
	// ErrStart: the plugin program could not be started or did not complete the handshake.
	ErrStart = errors.New("plugin did not start")
	// ErrGaveUp: the plugin crashed too often and the host no longer restarts it.
	ErrGaveUp = errors.New("plugin crashed too often")
	// ErrClosed: the Host or Client was closed.
	ErrClosed = errors.New("plugin host closed")
	// ErrUnimplemented: the plugin does not implement the call (it was built against an older protocol,
	// before the call existed). Optional calls (CoverageCommand) are skipped; the rest are errors.
	ErrUnimplemented = errors.New("plugin does not implement the call")
	// ErrNoMatch: Detect found no plugin confident enough about a repository.
	ErrNoMatch = errors.New("no plugin recognises the repository")
)

// Error is what a Client returns when a call fails: which plugin, which call, what kind of failure (one of
// the sentinel errors above, or nil when the plugin itself returned an error) and the cause.
type Error struct {
	Plugin  string        // program name, e.g. "ssr-lang-go"
	Op      string        // the call, e.g. "ParseTestOutput"
	Kind    error         // ErrCrashed, ErrTimeout, ErrStart, ErrGaveUp, ErrClosed, or nil
	Err     error         // the cause
	Stderr  string        // the last lines the plugin wrote to stderr, for crashes and failed starts
	Timeout time.Duration // the limit that ran out, for ErrTimeout
}

func (e *Error) Error() string {
	var b strings.Builder
	switch e.Kind {
	case ErrCrashed:
		fmt.Fprintf(&b, "plugin %s crashed during %s", e.Plugin, e.Op)
	case ErrTimeout:
		fmt.Fprintf(&b, "plugin %s did not answer %s within %s; it was stopped and the next call restarts it (raise the timeout if the work is legitimately slow)", e.Plugin, e.Op, e.Timeout)
	case ErrStart:
		fmt.Fprintf(&b, "plugin %s did not start for %s", e.Plugin, e.Op)
	case ErrGaveUp:
		fmt.Fprintf(&b, "plugin %s is not restarted for %s: it crashed too often", e.Plugin, e.Op)
	case ErrClosed:
		fmt.Fprintf(&b, "plugin %s: %s called after Close", e.Plugin, e.Op)
	case ErrUnimplemented:
		fmt.Fprintf(&b, "plugin %s does not implement %s (built before the call existed: rebuild or update it)", e.Plugin, e.Op)
	default:
		fmt.Fprintf(&b, "plugin %s: %s failed", e.Plugin, e.Op)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if tail := strings.TrimSpace(e.Stderr); tail != "" {
		fmt.Fprintf(&b, "; its stderr tail: %s", tail)
	}
	return b.String()
}

// Unwrap gives both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
