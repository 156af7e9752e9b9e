package patches

// Reverse returns the patch that undoes p: old and new sides swap, added lines become removed
// ones and back, a new file becomes a deletion and back, a rename goes back to its old path and a
// mode change goes back to the old mode. Applying p and then Reverse(p) restores the tree.
// The files come in reverse order so that a later file diff is undone first. A copy cannot be
// undone by moving a file back, so its reverse is the deletion of the copy (hunks dropped: the
// copy's content after p is not known to p). p is not modified.
func Reverse(p *Patch) *Patch {
	if p == nil {
		return nil
	}
	out := &Patch{Files: make([]*FileDiff, 0, len(p.Files))}
	for i := len(p.Files) - 1; i >= 0; i-- {
		out.Files = append(out.Files, reverseFile(p.Files[i]))
	}
	return out
}

func reverseFile(f *FileDiff) *FileDiff {
	r := &FileDiff{
		Op:         f.Op,
		OldPath:    f.NewPath,
		NewPath:    f.OldPath,
		OldMode:    f.NewMode,
		NewMode:    f.OldMode,
		Similarity: f.Similarity,
		OldHash:    f.NewHash,
		NewHash:    f.OldHash,
	}
	switch f.Op {
	case OpAdd:
		r.Op = OpDelete
	case OpDelete:
		r.Op = OpAdd
	case OpCopy:
		return &FileDiff{Op: OpDelete, OldPath: f.NewPath, OldMode: f.NewMode}
	}
	r.Hunks = reverseHunks(f.Hunks)
	return r
}

func reverseHunks(hs []*Hunk) []*Hunk {
	out := make([]*Hunk, 0, len(hs))
	for _, h := range hs {
		out = append(out, reverseHunk(h))
	}
	return out
}

// reverseHunk swaps the sides of h; within each run of changed lines the removals come first,
// as git writes them.
func reverseHunk(h *Hunk) *Hunk {
	r := &Hunk{
		OldStart: h.NewStart, OldLines: h.NewLines,
		NewStart: h.OldStart, NewLines: h.OldLines,
		Section: h.Section,
		Lines:   make([]Line, 0, len(h.Lines)),
	}
	var dels, adds []Line
	flush := func() {
		r.Lines = append(r.Lines, dels...)
		r.Lines = append(r.Lines, adds...)
		dels, adds = dels[:0], adds[:0]
	}
	for _, l := range h.Lines {
		switch l.Kind {
		case Add:
			dels = append(dels, Line{Kind: Delete, Text: l.Text})
		case Delete:
			adds = append(adds, Line{Kind: Add, Text: l.Text})
		default:
			flush()
			r.Lines = append(r.Lines, l)
		}
	}
	flush()
	return r
}

// Split divides p into the file diffs whose path matches pred and the rest, keeping their order.
// A file diff matches when pred is true for its new path or its old path (so a rename out of or
// into a matched path is matched). The file diffs are shared with p, not copied.
func Split(p *Patch, pred func(path string) bool) (matched, rest *Patch) {
	matched, rest = &Patch{}, &Patch{}
	if p == nil {
		return matched, rest
	}
	for _, f := range p.Files {
		if (f.NewPath != "" && pred(f.NewPath)) || (f.OldPath != "" && pred(f.OldPath)) {
			matched.Files = append(matched.Files, f)
		} else {
			rest.Files = append(rest.Files, f)
		}
	}
	return matched, rest
}
