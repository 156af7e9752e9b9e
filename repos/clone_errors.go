package repos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// ErrSourceUnavailable marks a git source that could not be cloned or fetched: unreachable, not a git
// repository, not found, or needing credentials. The *SourceError that wraps it says which, and what to do.
var ErrSourceUnavailable = errors.New("source unavailable")

// SourceError is a git source that could not be read. Its message is one line: the source, what went wrong
// and what to do, e.g. `clone https://x/y.git: cannot reach the host (no such host): check the URL and this
// machine's network`.
type SourceError struct {
	Op     string // "clone" or "fetch"
	Source string // the URL or path from the manifest
	Reason string // what went wrong, in words
	Hint   string // what to do
	Err    error  // the cause
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Op, e.Source, e.Reason, e.Hint)
}

// Unwrap returns ErrSourceUnavailable and the cause.
func (e *SourceError) Unwrap() []error { return []error{ErrSourceUnavailable, e.Err} }

// sourceError explains why op on the git source src failed; a cancelled context is returned as it is.
func sourceError(op, src string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: %w", op, src, err)
	}
	e := &SourceError{Op: op, Source: src, Err: err}
	var dnsErr *net.DNSError
	var netErr *net.OpError
	switch {
	case isLocalGit(src):
		st, serr := os.Stat(src)
		switch {
		case serr != nil:
			e.Reason, e.Hint = "no such directory", "check the manifest's git: path (relative paths are relative to the manifest)"
		case !st.IsDir():
			e.Reason, e.Hint = "not a directory", "git: names a repository's directory or URL"
		case !exists(filepath.Join(src, ".git")) && !exists(filepath.Join(src, "HEAD")):
			e.Reason, e.Hint = "not a git repository", "use path: for a plain directory, or run git init and commit in it"
		default:
			e.Reason, e.Hint = "cannot read it as a git repository ("+oneLine(err)+")", "check that git status works in it"
		}
	case errors.As(err, &dnsErr):
		e.Reason, e.Hint = "cannot reach the host ("+dnsErr.Err+" for "+dnsErr.Name+")", "check the URL and this machine's network"
	case errors.As(err, &netErr):
		e.Reason, e.Hint = "cannot reach the host ("+oneLine(netErr.Err)+")", "check the URL and this machine's network"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		e.Reason, e.Hint = "repository not found", "check the URL (a private repository also needs credentials)"
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		e.Reason, e.Hint = "the server asks for credentials", "use a public URL, or clone it yourself and give its local path"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		e.Reason, e.Hint = "the repository is empty", "push a commit to it first"
	case strings.Contains(err.Error(), "SSH_AUTH_SOCK"), strings.Contains(err.Error(), "ssh: handshake"):
		e.Reason, e.Hint = "SSH needs an agent with a key ("+oneLine(err)+")", "use the https URL, or start ssh-agent and add a key"
	case strings.Contains(err.Error(), "pkt-len"), strings.Contains(err.Error(), "unexpected client error"):
		e.Reason, e.Hint = "the server did not answer as a git repository ("+oneLine(err)+")", "check the URL (it should be the one git clone takes)"
	default:
		e.Reason, e.Hint = oneLine(err), "check the URL, or clone it yourself and give its local path"
	}
	return e
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// oneLine is err's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
