package patches

import "strings"

// Patch is a parsed git-style diff: an ordered list of file diffs. A Patch with no files is valid
// (an empty diff); callers decide whether that is an error.
type Patch struct {
	Files []*FileDiff
	// crlf records that the diff's header lines ended in "\r\n" (a diff converted to Windows line
	// endings): its names were cleaned, and an apply failure says the line endings are the cause.
	crlf bool
}

// Op is what a file diff does to its file.
type Op int

const (
	OpModify Op = iota // change content and/or mode in place
	OpAdd              // create a new file
	OpDelete           // delete a file
	OpRename           // move a file, possibly changing it
	OpCopy             // copy a file, possibly changing the copy
)

var opNames = [...]string{"modify", "add", "delete", "rename", "copy"}

func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return "unknown"
	}
	return opNames[o]
}

// Mode is a git file mode as written in diffs (octal 100644, 100755, ...). Zero means unknown:
// the diff did not say, and the file keeps the mode it has.
type Mode uint32

const (
	ModeRegular    Mode = 0o100644
	ModeExecutable Mode = 0o100755
	ModeSymlink    Mode = 0o120000
	ModeGitlink    Mode = 0o160000
)

// FileDiff is the change to one file. OldPath is "" for a new file and NewPath is "" for a
// deleted one; otherwise both are set (equal unless the file is renamed or copied). Paths are
// slash-separated and relative to the tree root, without git's a/ and b/ prefixes.
type FileDiff struct {
	Op               Op
	OldPath, NewPath string
	// OldMode and NewMode are equal when the mode does not change; either may be 0 when unknown.
	OldMode, NewMode Mode
	// Similarity is the "similarity index" percentage of a rename or copy (0 when absent).
	Similarity int
	// OldHash and NewHash are the abbreviated blob ids of the "index" line ("" when absent).
	OldHash, NewHash string
	Hunks            []*Hunk
}

// Hunk is one "@@ -OldStart,OldLines +NewStart,NewLines @@ Section" block. Starts are one-based;
// a side with zero lines has its start on the line before (0 at the top of the file), as in git.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	// Section is the text after the closing "@@" (git puts the enclosing function there).
	Section string
	Lines   []Line
}

// LineKind says whether a hunk line is context, added or removed.
type LineKind byte

const (
	Context LineKind = ' '
	Add     LineKind = '+'
	Delete  LineKind = '-'
)

// Line is one line of a hunk. Text holds the line's bytes with its trailing "\n"; a line without
// one is the last line of its side and was followed by "\ No newline at end of file".
type Line struct {
	Kind LineKind
	Text string
}

// NoEOL reports whether the line lacks its final newline.
func (l Line) NoEOL() bool { return !strings.HasSuffix(l.Text, "\n") }

// Path is the path the file has after the patch, or its old path for a deletion.
func (f *FileDiff) Path() string {
	if f.NewPath != "" {
		return f.NewPath
	}
	return f.OldPath
}

// Stat counts the lines the file diff adds and removes.
func (f *FileDiff) Stat() (added, removed int) {
	for _, h := range f.Hunks {
		for _, l := range h.Lines {
			switch l.Kind {
			case Add:
				added++
			case Delete:
				removed++
			}
		}
	}
	return added, removed
}

// FileStat summarises one file diff.
type FileStat struct {
	Path    string // the path after the patch (the old path for a deletion)
	OldPath string // the path before the patch ("" for a new file)
	Op      Op
	Added   int
	Removed int
}

// Files lists what each file diff of p does, in patch order.
func Files(p *Patch) []FileStat {
	if p == nil {
		return nil
	}
	out := make([]FileStat, 0, len(p.Files))
	for _, f := range p.Files {
		a, r := f.Stat()
		out = append(out, FileStat{Path: f.Path(), OldPath: f.OldPath, Op: f.Op, Added: a, Removed: r})
	}
	return out
}

// Paths returns every path p reads or writes (old and new paths), in patch order, without duplicates.
func (p *Patch) Paths() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range p.Files {
		for _, s := range []string{f.OldPath, f.NewPath} {
			if s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
