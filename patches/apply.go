package patches

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// ApplyFile applies the hunks of one file diff to orig and returns the new content. orig is the
// file's current content (empty for a new file). Mode and path changes are not its concern: see
// ApplyDir and ApplyMap. On failure it returns an *ApplyError naming the hunk and the line where
// the hunk was expected, wrapping ErrConflict (or ErrMalformed for a hunk whose line counts
// disagree with its header).
func ApplyFile(orig []byte, fd *FileDiff, opts ...ApplyOption) ([]byte, error) {
	cfg := collectApplyOptions(opts)
	out, err := applyHunks(orig, fd, cfg)
	if err != nil {
		return nil, err
	}
	if fd.Op == OpDelete && len(out) > 0 {
		return nil, &ApplyError{Path: fd.Path(), Err: fmt.Errorf("%w: deleted file still has %d bytes the patch does not remove", ErrConflict, len(out))}
	}
	return out, nil
}

func applyHunks(orig []byte, fd *FileDiff, cfg applyConfig) ([]byte, error) {
	if len(fd.Hunks) == 0 {
		return bytes.Clone(orig), nil
	}
	lines := splitLines(orig)
	frags := make([]*gitdiff.TextFragment, len(fd.Hunks))
	lo, shift := 0, 0
	for i, h := range fd.Hunks {
		frag, pre, err := toFragment(h)
		if err != nil {
			return nil, &ApplyError{Path: fd.Path(), Hunk: i + 1, Line: h.OldStart, Err: err}
		}
		nominal := h.OldStart
		if h.OldLines > 0 {
			nominal--
		}
		at := findHunk(lines, pre, nominal+shift, lo, h, cfg.exact)
		if at < 0 {
			return nil, conflictError(orig, lines, pre, fd, i, frag, nominal)
		}
		shift = at - nominal
		lo = at + len(pre)
		frag.OldPosition = int64(at + 1)
		if fd.Op == OpAdd && h.OldLines == 0 && at == 0 {
			frag.OldPosition = 0 // a new file: go-gitdiff checks that the source is empty
		}
		if frag.NewPosition == 0 && frag.NewLines == 0 && fd.Op != OpDelete {
			// "+0,0" makes go-gitdiff demand that nothing follows the hunk, which is wrong for
			// a zero-context hunk that removes the first lines; ApplyFile checks deletions itself.
			frag.NewPosition = 1
		}
		frags[i] = frag
	}
	var buf bytes.Buffer
	buf.Grow(len(orig) + len(orig)/8)
	a := gitdiff.NewTextApplier(&buf, bytes.NewReader(orig))
	for i, frag := range frags {
		if err := a.ApplyFragment(frag); err != nil {
			return nil, wrapGitdiffApply(fd, i, err)
		}
	}
	if err := a.Close(); err != nil {
		return nil, &ApplyError{Path: fd.Path(), Err: err}
	}
	return buf.Bytes(), nil
}

// toFragment converts a hunk into a go-gitdiff fragment (position still as in the header) and
// returns the hunk's preimage: its context and removed lines.
func toFragment(h *Hunk) (*gitdiff.TextFragment, []string, error) {
	frag := &gitdiff.TextFragment{
		Comment:     h.Section,
		OldPosition: int64(h.OldStart), OldLines: int64(h.OldLines),
		NewPosition: int64(h.NewStart), NewLines: int64(h.NewLines),
		Lines: make([]gitdiff.Line, len(h.Lines)),
	}
	var pre []string
	leading := true
	for i, l := range h.Lines {
		var op gitdiff.LineOp
		switch l.Kind {
		case Context:
			op = gitdiff.OpContext
			pre = append(pre, l.Text)
			if leading {
				frag.LeadingContext++
			}
			frag.TrailingContext++
		case Delete:
			op = gitdiff.OpDelete
			pre = append(pre, l.Text)
			frag.LinesDeleted++
			leading, frag.TrailingContext = false, 0
		case Add:
			op = gitdiff.OpAdd
			frag.LinesAdded++
			leading, frag.TrailingContext = false, 0
		default:
			return nil, nil, fmt.Errorf("%w: hunk line %d has kind %q", ErrMalformed, i+1, byte(l.Kind))
		}
		frag.Lines[i] = gitdiff.Line{Op: op, Line: l.Text}
	}
	if frag.LinesAdded == 0 && frag.LinesDeleted == 0 {
		frag.LeadingContext, frag.TrailingContext = int64(len(pre)), 0
	}
	if err := frag.Validate(); err != nil {
		return nil, nil, &causeError{msg: err.Error(), sentinel: ErrMalformed, cause: err}
	}
	return frag, pre, nil
}

// findHunk returns the 0-based line where pre occurs in lines, trying want first and then, unless
// exact, the nearest positions above and below it, never before lo. As in `git apply`, a hunk
// that starts at line 1 may only match at the top of the file, and a hunk with no trailing context
// only at the end.
func findHunk(lines []string, pre []string, want, lo int, h *Hunk, exact bool) int {
	maxStart := len(lines) - len(pre)
	if maxStart < lo {
		return -1
	}
	if want >= lo && want <= maxStart && matchAt(lines, pre, want) {
		return want
	}
	if exact {
		return -1
	}
	if h.OldStart <= 1 {
		if lo == 0 && matchAt(lines, pre, 0) {
			return 0
		}
		return -1
	}
	if len(h.Lines) > 0 && h.Lines[len(h.Lines)-1].Kind != Context && h.OldLines > 0 {
		if matchAt(lines, pre, maxStart) {
			return maxStart
		}
		return -1
	}
	for d := 1; ; d++ {
		below, above := want-d, want+d
		if below < lo && above > maxStart {
			return -1
		}
		if below >= lo && below <= maxStart && matchAt(lines, pre, below) {
			return below
		}
		if above >= lo && above <= maxStart && matchAt(lines, pre, above) {
			return above
		}
	}
}

func matchAt(lines, pre []string, at int) bool {
	for i, l := range pre {
		if lines[at+i] != l {
			return false
		}
	}
	return true
}

// conflictError explains why hunk i was not found: it names the first line at the expected
// position that differs from the hunk, and wraps go-gitdiff's own error for that position.
func conflictError(orig []byte, lines, pre []string, fd *FileDiff, i int, frag *gitdiff.TextFragment, nominal int) error {
	e := &ApplyError{Path: fd.Path(), Hunk: i + 1, Line: nominal + 1}
	detail := ""
	for j, want := range pre {
		at := nominal + j
		if at >= len(lines) {
			e.Line = at + 1
			detail = fmt.Sprintf("the file has %d lines, the hunk needs %d from line %d", len(lines), len(pre), nominal+1)
			break
		}
		if lines[at] != want {
			e.Line = at + 1
			detail = fmt.Sprintf("line %d is %s, the hunk expects %s", at+1, clip(lines[at]), clip(want))
			break
		}
	}
	// go-gitdiff's verdict at the nominal position, kept as the cause.
	var cause error = errors.New("context not found")
	probe := *frag
	probe.OldPosition = int64(nominal + 1)
	if frag.OldLines == 0 && frag.OldPosition == 0 {
		probe.OldPosition = 0
	}
	if err := gitdiff.NewTextApplier(io.Discard, bytes.NewReader(orig)).ApplyFragment(&probe); err != nil {
		cause = err
	}
	if detail == "" {
		detail = cause.Error()
	}
	e.Err = &causeError{msg: detail, sentinel: ErrConflict, cause: cause}
	return e
}

func wrapGitdiffApply(fd *FileDiff, i int, err error) error {
	e := &ApplyError{Path: fd.Path(), Hunk: i + 1}
	var ge *gitdiff.ApplyError
	if errors.As(err, &ge) {
		e.Line = int(ge.Line)
	}
	sentinel := ErrMalformed
	if errors.Is(err, &gitdiff.Conflict{}) {
		sentinel = ErrConflict
	}
	e.Err = &causeError{msg: err.Error(), sentinel: sentinel, cause: err}
	return e
}

func clip(s string) string {
	const max = 60
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}

// splitLines cuts data into lines that keep their "\n"; a last line without one is kept as is.
func splitLines(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	n := bytes.Count(data, []byte{'\n'})
	lines := make([]string, 0, n+1)
	s := string(data)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		lines = append(lines, s[:i])
		s = s[i:]
	}
	return lines
}
