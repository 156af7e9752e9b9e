package patches

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
)

// DiffOption changes how diffs are made.
type DiffOption func(*diffConfig)

type diffConfig struct {
	context int
}

func collectDiffOptions(opts []DiffOption) diffConfig {
	c := diffConfig{context: 3}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithContextLines sets how many unchanged lines surround each change (default 3, as git).
func WithContextLines(n int) DiffOption {
	return func(c *diffConfig) {
		if n >= 0 {
			c.context = n
		}
	}
}

// Diff compares two versions of the file at path and returns a patch with one file diff, or no
// file diff when they are equal. A nil old means the file is new; a nil new means it is deleted
// (an empty non-nil slice is an empty file). Content containing a NUL byte in its first 8000
// bytes is binary, as git judges it, and is refused with ErrBinary.
func Diff(path string, old, new []byte, opts ...DiffOption) (*Patch, error) {
	cfg := collectDiffOptions(opts)
	oldMode, newMode := ModeRegular, ModeRegular
	if old == nil {
		oldMode = 0
	}
	if new == nil {
		newMode = 0
	}
	fd, err := diffFile(path, path, old, new, oldMode, newMode, cfg)
	if err != nil {
		return nil, err
	}
	p := &Patch{}
	if fd != nil {
		p.Files = append(p.Files, fd)
	}
	return p, nil
}

// diffFile makes the file diff from (oldPath, old, oldMode) to (newPath, new, newMode); a zero
// mode marks a missing side. It returns nil when nothing changes.
func diffFile(oldPath, newPath string, old, new []byte, oldMode, newMode Mode, cfg diffConfig) (*FileDiff, error) {
	if oldMode == 0 && newMode == 0 {
		return nil, nil
	}
	fd := &FileDiff{OldPath: oldPath, NewPath: newPath, OldMode: oldMode, NewMode: newMode}
	switch {
	case oldMode == 0:
		fd.Op, fd.OldPath = OpAdd, ""
	case newMode == 0:
		fd.Op, fd.NewPath = OpDelete, ""
	case oldPath != newPath:
		fd.Op = OpRename
	default:
		if oldMode == newMode && bytes.Equal(old, new) {
			return nil, nil
		}
		fd.Op = OpModify
	}
	for _, c := range []struct {
		data []byte
		mode Mode
		path string
	}{{old, oldMode, oldPath}, {new, newMode, newPath}} {
		if c.mode != 0 && isBinary(c.data) {
			return nil, fmt.Errorf("diff %s: %w: it holds a NUL byte", c.path, ErrBinary)
		}
	}
	if oldMode != 0 {
		fd.OldHash = blobHash(old)
	} else {
		fd.OldHash = zeroHash
	}
	if newMode != 0 {
		fd.NewHash = blobHash(new)
	} else {
		fd.NewHash = zeroHash
	}
	fd.Hunks = makeHunks(old, new, cfg.context)
	if fd.Op == OpRename {
		fd.Similarity = 100
		if len(fd.Hunks) > 0 {
			fd.Similarity = similarity(old, fd)
		}
	}
	return fd, nil
}

const zeroHash = "0000000"

// blobHash is git's abbreviated blob id of data.
func blobHash(data []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))[:7]
}

func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// similarity estimates git's similarity index: the share of the old content that survives.
func similarity(old []byte, fd *FileDiff) int {
	if len(old) == 0 {
		return 0
	}
	removed := 0
	for _, h := range fd.Hunks {
		for _, l := range h.Lines {
			if l.Kind == Delete {
				removed += len(l.Text)
			}
		}
	}
	return max(0, 100*(len(old)-removed)/len(old))
}

// op is one line of the edit script.
type op struct {
	kind LineKind
	text string
}

// makeHunks diffs old against new line by line and groups the changes into hunks with ctx lines
// of context; changes separated by at most 2*ctx unchanged lines share a hunk, as in git.
func makeHunks(old, new []byte, ctx int) []*Hunk {
	a, b := splitLines(old), splitLines(new)
	ids := make(map[string]int, len(a)+len(b))
	intern := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	del, ins := lineDiff(intern(a), intern(b))

	var script []op
	for i, j := 0, 0; i < len(a) || j < len(b); {
		switch {
		case i < len(a) && del[i]:
			script = append(script, op{Delete, a[i]})
			i++
		case j < len(b) && ins[j]:
			script = append(script, op{Add, b[j]})
			j++
		default:
			script = append(script, op{Context, a[i]})
			i, j = i+1, j+1
		}
	}

	var hunks []*Hunk
	oldLine, newLine := 0, 0 // lines of each side before script[k]
	for k := 0; k < len(script); {
		if script[k].kind == Context {
			oldLine, newLine, k = oldLine+1, newLine+1, k+1
			continue
		}
		// A hunk starts ctx lines before this change and grows while the next change is close.
		start := max(0, k-ctx)
		for s := start; s < k; s++ {
			oldLine, newLine = oldLine-1, newLine-1
		}
		end := k
		for {
			for end < len(script) && script[end].kind != Context {
				end++
			}
			next := end
			for next < len(script) && script[next].kind == Context {
				next++
			}
			if next == len(script) || next-end > 2*ctx {
				end = min(len(script), end+ctx)
				break
			}
			end = next
		}
		h := &Hunk{}
		for _, o := range script[start:end] {
			h.Lines = append(h.Lines, Line{Kind: o.kind, Text: o.text})
			if o.kind != Add {
				h.OldLines++
			}
			if o.kind != Delete {
				h.NewLines++
			}
		}
		h.OldStart, h.NewStart = oldLine, newLine
		if h.OldLines > 0 {
			h.OldStart++
		}
		if h.NewLines > 0 {
			h.NewStart++
		}
		hunks = append(hunks, h)
		oldLine += h.OldLines
		newLine += h.NewLines
		k = end
	}
	return hunks
}
