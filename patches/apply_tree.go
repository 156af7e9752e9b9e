package patches

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// ApplyDir applies p to the tree rooted at dir, atomically: it first computes every resulting
// file in memory from the originals, and only when every file diff applies cleanly does it write
// anything. On a conflict nothing is written and the *ApplyError names the file, the hunk and the
// line. File diffs apply in order, each seeing the result of the earlier ones.
//
// Writes go to temporary files beside their targets that are then renamed into place, so a crash
// never leaves half a file; deletions (and the old side of renames) happen before creations, and a
// directory left empty by a deletion is removed, as `git apply` does. A file keeps its permission
// bits unless the patch changes its mode (then 0755 or 0644); new files get 0644 or 0755.
// ctx is checked between files and before the first write.
func ApplyDir(ctx context.Context, dir string, p *Patch, opts ...ApplyOption) error {
	cfg := collectApplyOptions(opts)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("apply patch: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("apply patch: %s is not a directory", dir)
	}
	res, err := plan(ctx, dirTree(dir), p, cfg)
	if err != nil {
		return err
	}
	if cfg.dryRun {
		return nil
	}
	return commit(ctx, dir, res)
}

// ApplyMap applies p to a tree held in memory (path -> content, slash-separated paths) and returns
// the new tree; files is not modified and unchanged contents are shared. Modes are not tracked,
// so mode changes have no effect. Errors are as for ApplyDir.
func ApplyMap(files map[string][]byte, p *Patch, opts ...ApplyOption) (map[string][]byte, error) {
	res, err := plan(context.Background(), mapTree(files), p, collectApplyOptions(opts))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(files)+len(res.order))
	for k, v := range files {
		out[k] = v
	}
	for _, name := range res.order {
		r := res.files[name]
		if r.deleted {
			delete(out, name)
		} else {
			out[name] = r.data
		}
	}
	return out, nil
}

// tree is what planning needs from a tree: a file's content and permission bits.
type tree interface {
	// read returns the file at name; exists is false when there is none. A directory or a symlink
	// at name is an error.
	read(name string) (data []byte, perm fs.FileMode, exists bool, err error)
	// isDir reports whether a directory exists at name.
	isDir(name string) bool
	// within refuses a name that would be reached through a symbolic link (a directory of the
	// tree that is a link may point anywhere, outside the tree included).
	within(name string) error
}

// result is the planned final state of one path.
type result struct {
	data    []byte
	perm    fs.FileMode
	deleted bool
}

type planResult struct {
	files map[string]*result
	order []string // paths in the order first touched
}

func plan(ctx context.Context, t tree, p *Patch, cfg applyConfig) (*planResult, error) {
	res := &planResult{files: map[string]*result{}}
	set := func(name string, r *result) {
		if _, ok := res.files[name]; !ok {
			res.order = append(res.order, name)
		}
		res.files[name] = r
	}
	// Paths that some file diff deletes or renames away may be created by another one.
	leaving := map[string]bool{}
	for _, f := range p.Files {
		if f.Op == OpDelete || f.Op == OpRename {
			leaving[f.OldPath] = true
		}
	}
	// current returns the content of name as the earlier file diffs left it.
	current := func(f *FileDiff, name string) (*result, error) {
		if r, ok := res.files[name]; ok {
			if r.deleted {
				return nil, &ApplyError{Path: name, Err: fmt.Errorf("%w: an earlier file diff in this patch deleted or renamed it", ErrMissing)}
			}
			return r, nil
		}
		data, perm, ok, err := t.read(name)
		if err != nil {
			return nil, &ApplyError{Path: name, Err: err}
		}
		if !ok {
			return nil, &ApplyError{Path: name, Err: fmt.Errorf("%w: the patch %ss it (is it for another tree or directory?)", ErrMissing, verbOf(f.Op))}
		}
		return &result{data: data, perm: perm}, nil
	}
	// creatable checks that name may be created.
	creatable := func(name string) error {
		if r, ok := res.files[name]; ok {
			if !r.deleted {
				return &ApplyError{Path: name, Err: fmt.Errorf("%w: an earlier file diff in this patch created it", ErrExists)}
			}
		} else if !leaving[name] {
			_, _, ok, err := t.read(name)
			if err != nil {
				return &ApplyError{Path: name, Err: fmt.Errorf("%w: %w", ErrExists, err)}
			}
			if ok {
				return &ApplyError{Path: name, Err: fmt.Errorf("%w: the patch creates it but it is already in the tree", ErrExists)}
			}
		}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if r, ok := res.files[d]; ok && !r.deleted {
				return &ApplyError{Path: name, Err: fmt.Errorf("%w: its parent %s is a file", ErrExists, d)}
			}
			if _, ok := res.files[d]; ok {
				continue
			}
			if t.isDir(d) {
				break
			}
			if _, _, ok, _ := t.read(d); ok && !leaving[d] {
				return &ApplyError{Path: name, Err: fmt.Errorf("%w: its parent %s is a file", ErrExists, d)}
			}
		}
		return nil
	}

	for _, f := range p.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := checkFile(f); err != nil {
			return nil, err
		}
		for _, name := range []string{f.OldPath, f.NewPath} {
			if name == "" {
				continue
			}
			if err := t.within(name); err != nil {
				return nil, &ApplyError{Path: name, Err: err}
			}
		}
		var cur *result
		var err error
		if f.Op == OpAdd {
			cur = &result{}
		} else if cur, err = current(f, f.OldPath); err != nil {
			return nil, err
		}
		if f.NewPath != "" && f.NewPath != f.OldPath {
			if err := creatable(f.NewPath); err != nil {
				return nil, err
			}
		}
		out, err := ApplyFile(cur.data, f, optsOf(cfg)...)
		if err != nil {
			return nil, crlfHint(p, err)
		}
		switch f.Op {
		case OpDelete:
			set(f.OldPath, &result{deleted: true})
			continue
		case OpRename:
			set(f.OldPath, &result{deleted: true})
		}
		set(f.NewPath, &result{data: out, perm: newPerm(f, cur.perm)})
	}
	return res, nil
}

func optsOf(cfg applyConfig) []ApplyOption {
	if cfg.exact {
		return []ApplyOption{WithExactPositions()}
	}
	return nil
}

func verbOf(op Op) string {
	switch op {
	case OpDelete:
		return "delete"
	case OpRename:
		return "rename"
	case OpCopy:
		return "copie"
	}
	return "change"
}

// newPerm picks the permission bits of the file a diff produces from its old ones.
func newPerm(f *FileDiff, old fs.FileMode) fs.FileMode {
	switch {
	case f.Op == OpAdd || old == 0:
		if f.NewMode == ModeExecutable {
			return 0o755
		}
		return 0o644
	case f.NewMode != 0 && f.OldMode != 0 && f.NewMode != f.OldMode:
		if f.NewMode == ModeExecutable {
			return 0o755
		}
		return 0o644
	}
	return old
}

// checkFile refuses paths that leave the tree and modes this package cannot apply.
func checkFile(f *FileDiff) error {
	for _, name := range []string{f.OldPath, f.NewPath} {
		if name == "" {
			continue
		}
		if err := checkPath(name); err != nil {
			return &ApplyError{Path: name, Err: err}
		}
	}
	for _, m := range []Mode{f.OldMode, f.NewMode} {
		switch m {
		case ModeSymlink:
			return &ApplyError{Path: f.Path(), Err: fmt.Errorf("%w: symbolic link (mode 120000)", ErrUnsupported)}
		case ModeGitlink:
			return &ApplyError{Path: f.Path(), Err: fmt.Errorf("%w: submodule (mode 160000)", ErrUnsupported)}
		}
	}
	return nil
}

func checkPath(name string) error {
	if strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return fmt.Errorf("%w: paths in a patch must be relative to the tree", ErrUnsafePath)
	}
	for _, c := range strings.Split(name, "/") {
		switch {
		case c == "" || c == "." || c == "..":
			return fmt.Errorf("%w: path has an empty, \".\" or \"..\" component", ErrUnsafePath)
		case strings.EqualFold(c, ".git"):
			return fmt.Errorf("%w: path is inside .git", ErrUnsafePath)
		}
	}
	return nil
}

// dirTree reads files under a directory.
type dirTree string

func (d dirTree) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d dirTree) read(name string) ([]byte, fs.FileMode, bool, error) {
	fp := d.path(name)
	st, err := os.Lstat(fp)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	switch {
	case st.IsDir():
		return nil, 0, true, fmt.Errorf("%s is a directory", name)
	case st.Mode()&fs.ModeSymlink != 0:
		return nil, 0, true, fmt.Errorf("%w: %s is a symbolic link", ErrUnsupported, name)
	case !st.Mode().IsRegular():
		return nil, 0, true, fmt.Errorf("%w: %s is not a regular file", ErrUnsupported, name)
	}
	data, err := os.ReadFile(fp)
	if err != nil {
		return nil, 0, false, err
	}
	return data, st.Mode().Perm(), true, nil
}

func (d dirTree) isDir(name string) bool {
	st, err := os.Lstat(d.path(name))
	return err == nil && st.IsDir()
}

// within checks every parent directory of name, from the top: none may be a symbolic link.
// A missing parent ends the walk (it will be created as a real directory).
func (d dirTree) within(name string) error {
	parts := strings.Split(name, "/")
	for i := 1; i < len(parts); i++ {
		parent := strings.Join(parts[:i], "/")
		st, err := os.Lstat(d.path(parent))
		if err != nil || !st.IsDir() && st.Mode()&fs.ModeSymlink == 0 {
			return nil // missing, or a file: planning reports that
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return &SymlinkError{Path: name, Link: parent}
		}
	}
	return nil
}

// mapTree reads files from a map; directories are implied by the paths.
type mapTree map[string][]byte

func (m mapTree) read(name string) ([]byte, fs.FileMode, bool, error) {
	data, ok := m[name]
	return data, 0o644, ok, nil
}

func (m mapTree) within(string) error { return nil }

func (m mapTree) isDir(name string) bool {
	prefix := name + "/"
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// commit writes a planned result under dir: every new content goes to a temporary file first;
// only when all are written are deletions done and the temporary files renamed into place. Every
// file operation goes through an os.Root opened on dir, so even a link swapped in after planning
// cannot lead a write outside the tree.
func commit(ctx context.Context, dir string, res *planResult) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("apply patch: %w", err)
	}
	defer root.Close()
	names := append([]string(nil), res.order...)
	sort.Strings(names)
	type pending struct{ tmp, target string }
	var todo []pending
	cleanup := func() {
		for _, p := range todo {
			root.Remove(p.tmp)
		}
	}
	for _, name := range names {
		r := res.files[name]
		if r.deleted {
			continue
		}
		tmpDir := path.Dir(name)
		if st, err := root.Lstat(tmpDir); err != nil || !st.IsDir() {
			tmpDir = "." // the parent is created at rename time; rename within one file system
		}
		tmp, err := writeTemp(root, tmpDir, r.data, r.perm)
		if err != nil {
			cleanup()
			return fmt.Errorf("apply patch: write %s: %w", name, err)
		}
		todo = append(todo, pending{tmp, name})
	}
	if err := ctx.Err(); err != nil {
		cleanup()
		return err
	}
	// From here on the tree changes; an error is an I/O failure, reported with the file.
	for _, name := range names {
		if !res.files[name].deleted {
			continue
		}
		if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			cleanup()
			return fmt.Errorf("apply patch: delete %s: %w", name, err)
		}
		removeEmptyParents(root, path.Dir(name))
	}
	for i, p := range todo {
		if err := root.MkdirAll(path.Dir(p.target), 0o755); err != nil {
			cleanup()
			return fmt.Errorf("apply patch: create directory for %s: %w", p.target, err)
		}
		if err := root.Rename(p.tmp, p.target); err != nil {
			todo = todo[i:]
			cleanup()
			return fmt.Errorf("apply patch: replace %s: %w", p.target, err)
		}
	}
	return nil
}

// writeTemp writes data to a new temporary file in dir (relative to root) and returns its name.
func writeTemp(root *os.Root, dir string, data []byte, perm fs.FileMode) (string, error) {
	name := path.Join(dir, ".ssr-patch-"+rand.Text())
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(name)
		return "", err
	}
	return name, nil
}

// removeEmptyParents removes d (relative to root) and its parents, below the root, while they
// are empty.
func removeEmptyParents(root *os.Root, d string) {
	for ; d != "." && d != "/" && d != ""; d = path.Dir(d) {
		if root.Remove(d) != nil { // fails on a non-empty directory
			return
		}
	}
}
