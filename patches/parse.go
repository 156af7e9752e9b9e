package patches

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Parse reads a git-style diff (the output of `git diff`, `git format-patch` or a plain unified
// diff) and returns its file diffs. Input with no file diff at all (empty, or only blank lines)
// gives a Patch with no files; other text before the first file diff (a commit message) is ignored,
// but text that contains no file diff is an error, as in `git apply`.
//
// A binary file change is refused with a *ParseError wrapping ErrBinary and naming the file; a
// syntax error gives a *ParseError with the line number, wrapping ErrMalformed and go-gitdiff's error.
func Parse(r io.Reader) (*Patch, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("parse patch: read: %w", err)
	}
	return ParseBytes(data)
}

// ParseBytes is Parse over a byte slice.
func ParseBytes(data []byte) (*Patch, error) {
	files, preamble, err := gitdiff.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, newSyntaxError(data, err)
	}
	if len(files) == 0 {
		if strings.TrimSpace(preamble) != "" || len(bytes.TrimSpace(data)) != 0 {
			return nil, &ParseError{Line: 1, Err: fmt.Errorf("%w: no file diff found (expected a line starting with \"diff --git\" or \"--- \")", ErrMalformed)}
		}
		return &Patch{}, nil
	}
	headers := gitHeaderLines(data)
	traditional := len(headers) == 0
	if len(headers) != len(files) {
		headers = nil // mixed or unusual input: positions of file headers are unknown
	}
	p := &Patch{Files: make([]*FileDiff, 0, len(files))}
	for i, f := range files {
		line := 0
		if headers != nil {
			line = headers[i]
		}
		if strings.HasSuffix(f.OldName, "\r") || strings.HasSuffix(f.NewName, "\r") {
			p.crlf = true
			f.OldName, f.NewName = strings.TrimSuffix(f.OldName, "\r"), strings.TrimSuffix(f.NewName, "\r")
		}
		if traditional {
			f.OldName, f.NewName = stripComponent(f.OldName), stripComponent(f.NewName)
		}
		fd, err := fromGitdiff(f)
		if err != nil {
			return nil, &ParseError{Line: line, File: fileName(f), Err: err}
		}
		p.Files = append(p.Files, fd)
	}
	return p, nil
}

func fileName(f *gitdiff.File) string {
	if f.NewName != "" {
		return f.NewName
	}
	return f.OldName
}

// fromGitdiff converts one go-gitdiff file into a FileDiff, refusing binary changes.
func fromGitdiff(f *gitdiff.File) (*FileDiff, error) {
	if f.IsBinary {
		return nil, fmt.Errorf("%w (leave binary files out of the diff)", ErrBinary)
	}
	fd := &FileDiff{
		OldMode: Mode(f.OldMode),
		NewMode: Mode(f.NewMode),
		OldHash: f.OldOIDPrefix,
		NewHash: f.NewOIDPrefix,
	}
	switch {
	case f.IsNew:
		fd.Op, fd.NewPath = OpAdd, f.NewName
		fd.OldMode = 0
	case f.IsDelete:
		fd.Op, fd.OldPath = OpDelete, f.OldName
		fd.NewMode = 0
	case f.IsRename:
		fd.Op, fd.OldPath, fd.NewPath, fd.Similarity = OpRename, f.OldName, f.NewName, f.Score
	case f.IsCopy:
		fd.Op, fd.OldPath, fd.NewPath, fd.Similarity = OpCopy, f.OldName, f.NewName, f.Score
	default:
		fd.Op, fd.OldPath, fd.NewPath = OpModify, f.OldName, f.NewName
	}
	if fd.Op != OpAdd && fd.Op != OpDelete && fd.NewMode == 0 {
		fd.NewMode = fd.OldMode // only the index line gave a mode: it is unchanged
	}
	for _, name := range []string{fd.OldPath, fd.NewPath} {
		if name == "/dev/null" {
			return nil, fmt.Errorf("%w: /dev/null on a side that must name a file", ErrMalformed)
		}
	}
	if (fd.Op != OpAdd && fd.OldPath == "") || (fd.Op != OpDelete && fd.NewPath == "") {
		return nil, fmt.Errorf("%w: missing file name", ErrMalformed)
	}
	if fd.Op == OpModify && fd.OldPath != fd.NewPath {
		return nil, fmt.Errorf("%w: old name %q and new name %q differ without a rename or copy header", ErrMalformed, fd.OldPath, fd.NewPath)
	}
	for _, name := range []string{fd.OldPath, fd.NewPath} {
		if name == "" {
			continue
		}
		if err := checkPath(name); err != nil {
			return nil, fmt.Errorf("%q: %w", name, err)
		}
	}
	for _, frag := range f.TextFragments {
		h := &Hunk{
			OldStart: int(frag.OldPosition), OldLines: int(frag.OldLines),
			NewStart: int(frag.NewPosition), NewLines: int(frag.NewLines),
			Section: frag.Comment,
			Lines:   make([]Line, len(frag.Lines)),
		}
		for i, l := range frag.Lines {
			h.Lines[i] = Line{Kind: kindOf(l.Op), Text: l.Line}
		}
		fd.Hunks = append(fd.Hunks, h)
	}
	return fd, nil
}

func kindOf(op gitdiff.LineOp) LineKind {
	switch op {
	case gitdiff.OpAdd:
		return Add
	case gitdiff.OpDelete:
		return Delete
	}
	return Context
}

// gitHeaderLines returns the one-based line numbers of every "diff --git " line.
func gitHeaderLines(data []byte) []int {
	var out []int
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if bytes.HasPrefix(line, []byte("diff --git ")) {
			out = append(out, n)
		}
	}
	return out
}

// stripComponent drops the first directory of a name from a traditional unified diff
// ("a/x.go" -> "x.go"), as `git apply` does by default (-p1).
func stripComponent(name string) string {
	if i := strings.IndexByte(name, '/'); i >= 0 && name != "/dev/null" {
		return name[i+1:]
	}
	return name
}

var gitdiffLineErr = regexp.MustCompile(`^gitdiff: line (\d+): (.*)$`)

// newSyntaxError turns a go-gitdiff parse error into a *ParseError with the line number and the
// file whose header precedes that line.
func newSyntaxError(data []byte, err error) *ParseError {
	pe := &ParseError{Err: &causeError{msg: err.Error(), sentinel: ErrMalformed, cause: err}}
	m := gitdiffLineErr.FindStringSubmatch(err.Error())
	if m == nil {
		return pe
	}
	pe.Line, _ = strconv.Atoi(m[1])
	pe.Err.(*causeError).msg = m[2]
	if strings.Contains(m[2], "fragment") {
		pe.Err.(*causeError).msg += " (the counts in the @@ header must match the hunk's ' ', '-' and '+' lines)"
	}
	lines := strings.Split(string(data), "\n")
	for i := min(pe.Line, len(lines)) - 1; i >= 0; i-- {
		if name, ok := strings.CutPrefix(lines[i], "diff --git "); ok {
			pe.File = headerName(name)
			break
		}
	}
	return pe
}

// headerName picks the new name out of "a/x b/y" for error messages.
func headerName(s string) string {
	if i := strings.LastIndex(s, " b/"); i >= 0 {
		return s[i+3:]
	}
	return s
}

// causeError is a sentinel plus the library error that caused it, printed as a single message.
type causeError struct {
	msg             string
	sentinel, cause error
}

func (e *causeError) Error() string   { return e.sentinel.Error() + ": " + e.msg }
func (e *causeError) Unwrap() []error { return []error{e.sentinel, e.cause} }
