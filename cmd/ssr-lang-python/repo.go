package main

import (
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxConfigBytes bounds how much of one configuration file (pyproject.toml, setup.cfg, …) is read.
const maxConfigBytes = 1 << 20

// repoView is a repository as Detect and Recipe see it: its tracked files and, when readable, their content.
type repoView struct {
	root  string
	files []string
	set   map[string]bool
}

func newRepoView(root string, files []string) *repoView {
	v := &repoView{root: root, files: files, set: make(map[string]bool, len(files))}
	for _, f := range files {
		v.set[path.Clean(f)] = true
	}
	return v
}

// has reports whether rel is one of the tracked files.
func (v *repoView) has(rel string) bool { return v.set[rel] }

// read returns a tracked file's content, or nil when it is not tracked or cannot be read (a missing root is
// not an error: detection then works from file names alone).
func (v *repoView) read(rel string) []byte {
	if !v.has(rel) || v.root == "" {
		return nil
	}
	f, err := os.Open(filepath.Join(v.root, filepath.FromSlash(rel)))
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes))
	if err != nil {
		return nil
	}
	return b
}

// iniSections returns the section names of an INI-style file (setup.cfg, tox.ini, pytest.ini), in order.
func iniSections(b []byte) []string {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			out = append(out, strings.TrimSpace(line[1:len(line)-1]))
		}
	}
	return out
}

// iniValue returns the value of key in section of an INI-style file, continuation lines joined by "\n", and
// whether it was there. Comments (lines starting with # or ;) are dropped.
func iniValue(b []byte, section, key string) (string, bool) {
	var (
		cur   string
		found bool
		vals  []string
	)
	for _, raw := range strings.Split(string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))), "\n") {
		line := strings.TrimRight(raw, " \t")
		trimmed := strings.TrimSpace(line)
		if found {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";") {
				continue
			}
			if line[0] == ' ' || line[0] == '\t' {
				vals = append(vals, trimmed)
				continue
			}
			break
		}
		if strings.HasPrefix(trimmed, "[") && strings.HasSuffix(trimmed, "]") {
			cur = strings.TrimSpace(trimmed[1 : len(trimmed)-1])
			continue
		}
		if cur != section || line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(trimmed, "=")
		if !ok {
			k, v, ok = strings.Cut(trimmed, ":")
		}
		if ok && strings.TrimSpace(k) == key {
			found = true
			if v = strings.TrimSpace(v); v != "" {
				vals = append(vals, v)
			}
		}
	}
	return strings.Join(vals, "\n"), found
}
