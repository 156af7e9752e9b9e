package patches

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// String renders p in git's diff format (see Render).
func (p *Patch) String() string {
	var b bytes.Buffer
	p.render(&b)
	return b.String()
}

// Bytes renders p in git's diff format (see Render).
func (p *Patch) Bytes() []byte {
	var b bytes.Buffer
	p.render(&b)
	return b.Bytes()
}

// Render writes p in the format `git diff` prints and `git apply` accepts: a "diff --git" header
// per file, mode lines, "similarity index" / "rename from" / "rename to" (or copy), the "index"
// line when the blob ids are known, "---"/"+++" with /dev/null for a missing side, hunks with
// git's "@@ -l,s +l,s @@" headers (",1" left out), and "\ No newline at end of file" markers.
// Names are quoted as git quotes them (core.quotepath on).
func Render(w io.Writer, p *Patch) error {
	var b bytes.Buffer
	p.render(&b)
	_, err := w.Write(b.Bytes())
	return err
}

func (p *Patch) render(b *bytes.Buffer) {
	for _, f := range p.Files {
		f.render(b)
	}
}

// String renders one file diff in git's format.
func (f *FileDiff) String() string {
	var b bytes.Buffer
	f.render(&b)
	return b.String()
}

func (f *FileDiff) render(b *bytes.Buffer) {
	oldName, newName := f.OldPath, f.NewPath
	switch f.Op {
	case OpAdd:
		oldName = newName
	case OpDelete:
		newName = oldName
	}
	b.WriteString("diff --git ")
	b.WriteString(quoteName("a/" + oldName))
	b.WriteByte(' ')
	b.WriteString(quoteName("b/" + newName))
	b.WriteByte('\n')

	switch f.Op {
	case OpAdd:
		fmt.Fprintf(b, "new file mode %o\n", orRegular(f.NewMode))
	case OpDelete:
		fmt.Fprintf(b, "deleted file mode %o\n", orRegular(f.OldMode))
	default:
		if f.OldMode != 0 && f.NewMode != 0 && f.OldMode != f.NewMode {
			fmt.Fprintf(b, "old mode %o\nnew mode %o\n", f.OldMode, f.NewMode)
		}
	}
	if f.Op == OpRename || f.Op == OpCopy {
		verb := "rename"
		if f.Op == OpCopy {
			verb = "copy"
		}
		if f.Similarity > 0 {
			fmt.Fprintf(b, "similarity index %d%%\n", f.Similarity)
		}
		fmt.Fprintf(b, "%s from %s\n%s to %s\n", verb, quoteName(f.OldPath), verb, quoteName(f.NewPath))
	}
	if f.OldHash != "" && f.NewHash != "" {
		fmt.Fprintf(b, "index %s..%s", f.OldHash, f.NewHash)
		if f.Op != OpAdd && f.Op != OpDelete && f.OldMode != 0 && f.OldMode == f.NewMode {
			fmt.Fprintf(b, " %o", f.OldMode)
		}
		b.WriteByte('\n')
	}
	if len(f.Hunks) == 0 {
		return
	}
	writeFileLine(b, "--- ", "a/", f.OldPath)
	writeFileLine(b, "+++ ", "b/", f.NewPath)
	for _, h := range f.Hunks {
		h.render(b)
	}
}

func orRegular(m Mode) Mode {
	if m == 0 {
		return ModeRegular
	}
	return m
}

// writeFileLine writes a "--- a/x" or "+++ b/x" line; like git it ends a name containing a
// space with a tab, so that the name's end is unambiguous.
func writeFileLine(b *bytes.Buffer, marker, prefix, name string) {
	b.WriteString(marker)
	if name == "" {
		b.WriteString("/dev/null\n")
		return
	}
	b.WriteString(quoteName(prefix + name))
	if bytes.IndexByte([]byte(name), ' ') >= 0 {
		b.WriteByte('\t')
	}
	b.WriteByte('\n')
}

func (h *Hunk) render(b *bytes.Buffer) {
	b.WriteString("@@ -")
	writeRange(b, h.OldStart, h.OldLines)
	b.WriteString(" +")
	writeRange(b, h.NewStart, h.NewLines)
	b.WriteString(" @@")
	if h.Section != "" {
		b.WriteByte(' ')
		b.WriteString(h.Section)
	}
	b.WriteByte('\n')
	for _, l := range h.Lines {
		b.WriteByte(byte(l.Kind))
		b.WriteString(l.Text)
		if l.NoEOL() {
			b.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

func writeRange(b *bytes.Buffer, start, n int) {
	b.WriteString(strconv.Itoa(start))
	if n != 1 {
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(n))
	}
}

// quoteName quotes a path the way git does when it holds control characters, a double quote,
// a backslash or non-ASCII bytes: C-style, in double quotes, with octal escapes.
func quoteName(s string) string {
	need := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b bytes.Buffer
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\v':
			b.WriteString(`\v`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
