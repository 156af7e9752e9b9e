package arena

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// overlay is a state of the repository expressed as the files that differ from its commit: computed on the
// host by applying diffs in memory, then written into a sandbox made from the repo image.
type overlay struct {
	write  map[string][]byte // path → new content (new or changed files)
	remove []string          // paths deleted
	orig   map[string][]byte // original content of every path involved (absent: did not exist)
}

// overlayOf applies ps in order to the repository's original files.
func (r *Repo) overlayOf(ps ...*patches.Patch) (*overlay, error) {
	var paths []string
	for _, p := range ps {
		if p != nil {
			paths = append(paths, p.Paths()...)
		}
	}
	orig, err := artifact.ReadTree(r.Dir, paths)
	if err != nil {
		return nil, err
	}
	tree := orig
	for i, p := range ps {
		if p == nil {
			continue
		}
		if tree, err = patches.ApplyMap(tree, p); err != nil {
			return nil, fmt.Errorf("diff %d of %d: %w", i+1, len(ps), err)
		}
	}
	o := &overlay{write: map[string][]byte{}, orig: orig}
	for path, data := range tree {
		if old, ok := orig[path]; !ok || !bytes.Equal(old, data) {
			o.write[path] = data
		}
	}
	for path := range orig {
		if _, ok := tree[path]; !ok {
			o.remove = append(o.remove, path)
		}
	}
	sort.Strings(o.remove)
	return o, nil
}

// restore puts the given files back to their content at the repository's commit (removing those that did
// not exist), whatever the overlay did to them: the oracle test files before any scoring run.
func (o *overlay) restore(r *Repo, files []string) error {
	orig, err := artifact.ReadTree(r.Dir, files)
	if err != nil {
		return err
	}
	for _, f := range files {
		delete(o.write, f)
		o.remove = slices.DeleteFunc(o.remove, func(p string) bool { return p == f })
		if _, ok := orig[f]; !ok {
			o.remove = append(o.remove, f) // a listed file that the commit lacks cannot exist at scoring time
		}
	}
	sort.Strings(o.remove)
	return nil
}

// applyTo writes the overlay into a sandbox started from the repo image, with any extra files (outside the
// repository, such as the test script) in the same transfer.
func (o *overlay) applyTo(ctx context.Context, sb sandbox.Sandbox, extra ...sandbox.File) error {
	if len(o.write)+len(extra) > 0 {
		files := make([]sandbox.File, 0, len(o.write)+len(extra))
		for p, data := range o.write {
			files = append(files, sandbox.File{Path: p, Data: data})
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
		files = append(files, extra...)
		if err := sb.WriteFiles(ctx, files...); err != nil {
			return fmt.Errorf("write %d files into sandbox %s: %w", len(files), sb.ID(), err)
		}
	}
	if len(o.remove) > 0 {
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: append([]string{"rm", "-f", "--"}, o.remove...)})
		if err != nil {
			return fmt.Errorf("remove %d files in sandbox %s: %w", len(o.remove), sb.ID(), err)
		}
		if !res.OK() {
			return fmt.Errorf("remove files in sandbox %s: exit %d: %s", sb.ID(), res.ExitCode, bytes.TrimSpace(res.Stderr))
		}
	}
	return nil
}
