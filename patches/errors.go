package patches

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors: callers branch on them with errors.Is. The typed errors below wrap them together
// with the position (patch line, file, hunk) where the problem was found.
var (
	// ErrBinary means the patch carries a binary file change ("Binary files differ" or a
	// "GIT binary patch" block, or a binary file met while making a diff); this package handles text only.
	ErrBinary = errors.New("binary patches are not supported")
	// ErrMalformed means the input is not a well-formed git-style diff (a bad hunk header,
	// a hunk whose line counts disagree with its header, a missing file name, ...).
	ErrMalformed = errors.New("malformed patch")
	// ErrConflict means a hunk's context or removed lines are not found in the file being patched,
	// or a deleted file still has content the patch does not remove.
	ErrConflict = errors.New("patch does not apply")
	// ErrMissing means the patch changes, deletes, renames or copies a file that does not exist
	// (or that an earlier file in the same patch already deleted or renamed away).
	ErrMissing = errors.New("file does not exist")
	// ErrExists means the patch creates a file, or renames or copies onto a path, that already exists.
	ErrExists = errors.New("file already exists")
	// ErrUnsafePath means a path in the patch is absolute, empty, or climbs out of the tree with "..".
	ErrUnsafePath = errors.New("unsafe path")
	// ErrUnsupported means the patch needs something this package does not do: symlinks
	// (mode 120000) and submodules (mode 160000).
	ErrUnsupported = errors.New("unsupported change")
)

// ParseError reports where parsing a patch failed. Line is the one-based line of the patch text
// (0 when unknown); File names the file diff involved when known. Err wraps a sentinel
// (ErrMalformed or ErrBinary) and, for syntax errors, go-gitdiff's own error.
type ParseError struct {
	Line int
	File string
	Err  error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("parse patch")
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.File != "" {
		fmt.Fprintf(&b, ": %s", e.File)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// ApplyError reports which file of a patch failed to apply and where. Hunk is the one-based hunk
// number in that file's diff and Line the one-based line of the file where the hunk was expected
// (both 0 when the failure is not about a hunk, for example a missing file). Err wraps a sentinel
// (ErrConflict, ErrMissing, ErrExists, ...) and, for conflicts, go-gitdiff's error.
type ApplyError struct {
	Path string
	Hunk int
	Line int
	Err  error
}

func (e *ApplyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apply patch to %s", e.Path)
	if e.Hunk > 0 {
		fmt.Fprintf(&b, ": hunk #%d", e.Hunk)
		if e.Line > 0 {
			fmt.Fprintf(&b, " at line %d", e.Line)
		}
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *ApplyError) Unwrap() error { return e.Err }
