package patches

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// DiffMaps compares two trees held in memory (slash-separated path -> content) and returns the
// patch from old to new: one file diff per changed, added or deleted path, sorted by path. A
// deleted file whose exact non-empty content reappears at exactly one added path becomes a rename
// (similarity 100%). Modes are not tracked: every file is 100644.
func DiffMaps(old, new map[string][]byte, opts ...DiffOption) (*Patch, error) {
	conv := func(m map[string][]byte) map[string]entry {
		out := make(map[string]entry, len(m))
		for k, v := range m {
			out[k] = entry{data: v, mode: ModeRegular}
		}
		return out
	}
	return diffEntries(conv(old), conv(new), collectDiffOptions(opts))
}

// DiffTrees compares two directory trees and returns the patch from oldDir to newDir, as
// DiffMaps does, also recording executable-bit changes (100644 / 100755). A ".git" directory is
// skipped. A symbolic link or other non-regular file is refused with ErrUnsupported, and a binary
// file (a NUL byte in its first 8000 bytes) with ErrBinary; either error names the file.
func DiffTrees(oldDir, newDir string, opts ...DiffOption) (*Patch, error) {
	old, err := readTree(oldDir)
	if err != nil {
		return nil, err
	}
	new, err := readTree(newDir)
	if err != nil {
		return nil, err
	}
	return diffEntries(old, new, collectDiffOptions(opts))
}

type entry struct {
	data []byte
	mode Mode
}

func readTree(root string) (map[string]entry, error) {
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != root {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			return fmt.Errorf("diff %s: %w: %s is not a regular file (symbolic links are not handled)", root, ErrUnsupported, rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := ModeRegular
		if info.Mode().Perm()&0o100 != 0 {
			mode = ModeExecutable
		}
		out[rel] = entry{data: data, mode: mode}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func diffEntries(old, new map[string]entry, cfg diffConfig) (*Patch, error) {
	var deleted, added []string
	for k := range old {
		if _, ok := new[k]; !ok {
			deleted = append(deleted, k)
		}
	}
	for k := range new {
		if _, ok := old[k]; !ok {
			added = append(added, k)
		}
	}
	sort.Strings(deleted)
	sort.Strings(added)

	// Exact renames: a deleted file whose content appears at exactly one added path, and no
	// other deleted file has the same content.
	renamedTo := map[string]string{} // old path -> new path
	renamedFrom := map[string]bool{} // new paths used by renames
	byContent := map[string][]string{}
	for _, k := range added {
		if len(new[k].data) > 0 {
			byContent[string(new[k].data)] = append(byContent[string(new[k].data)], k)
		}
	}
	delByContent := map[string]int{}
	for _, k := range deleted {
		delByContent[string(old[k].data)]++
	}
	for _, k := range deleted {
		c := string(old[k].data)
		if targets := byContent[c]; len(c) > 0 && len(targets) == 1 && delByContent[c] == 1 {
			renamedTo[k] = targets[0]
			renamedFrom[targets[0]] = true
		}
	}

	type item struct {
		key string
		fd  *FileDiff
	}
	var items []item
	add := func(key string) func(*FileDiff, error) error {
		return func(fd *FileDiff, err error) error {
			if err != nil {
				return err
			}
			if fd != nil {
				items = append(items, item{key, fd})
			}
			return nil
		}
	}
	for k, o := range old {
		var err error
		switch n, ok := new[k]; {
		case ok:
			err = add(k)(diffModified(k, o, n, cfg))
		case renamedTo[k] != "":
			to := renamedTo[k]
			err = add(to)(diffFile(k, to, o.data, new[to].data, o.mode, new[to].mode, cfg))
		default:
			err = add(k)(diffFile(k, k, o.data, nil, o.mode, 0, cfg))
		}
		if err != nil {
			return nil, err
		}
	}
	for _, k := range added {
		if renamedFrom[k] {
			continue
		}
		if err := add(k)(diffFile(k, k, nil, new[k].data, 0, new[k].mode, cfg)); err != nil {
			return nil, err
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	p := &Patch{Files: make([]*FileDiff, len(items))}
	for i, it := range items {
		p.Files[i] = it.fd
	}
	return p, nil
}

func diffModified(name string, o, n entry, cfg diffConfig) (*FileDiff, error) {
	if o.mode == n.mode && bytes.Equal(o.data, n.data) {
		return nil, nil
	}
	return diffFile(name, name, o.data, n.data, o.mode, n.mode, cfg)
}
