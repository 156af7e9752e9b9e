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
	// ErrUnsafePath means a path in the patch is absolute, empty, or climbs out of the tree with "..",
	// or that the tree reaches it through a symbolic link (see SymlinkError).
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

// SymlinkError reports a path of the patch whose parent directory in the tree is a symbolic link.
// ssr never writes, deletes or reads through one: the link may point outside the tree. It wraps
// ErrUnsafePath.
type SymlinkError struct {
	Path string // the path in the patch
	Link string // its parent that is a symbolic link, relative to the tree
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("%v: its parent %s is a symbolic link, and ssr never writes through one (it may point outside the tree): replace the link with a real directory", ErrUnsafePath, e.Link)
}

func (e *SymlinkError) Unwrap() error { return ErrUnsafePath }

// crlfHint adds to an error from applying a patch whose headers ended in "\r\n" that its line
// endings are the likely cause.
func crlfHint(p *Patch, err error) error {
	if !p.crlf {
		return err
	}
	var ae *ApplyError
	if errors.As(err, &ae) {
		c := *ae
		c.Err = fmt.Errorf("%w (the diff's line endings are CRLF, \\r\\n, and the file's are not: convert the diff to LF, e.g. with dos2unix)", ae.Err)
		return &c
	}
	return fmt.Errorf("%w (the diff's line endings are CRLF: convert it to LF, e.g. with dos2unix)", err)
}
