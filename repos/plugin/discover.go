package plugin

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Program is one plugin program found on the search path.
type Program struct {
	Name string // the plugin's short name: "go" for ssr-lang-go
	Path string // absolute path of the executable
}

// ProgramName gives the executable name for a plugin name: "go" → "ssr-lang-go". A name that already has
// the prefix is returned as is.
func ProgramName(name string) string {
	if strings.HasPrefix(name, ProgramPrefix) {
		return name
	}
	return ProgramPrefix + name
}

// SearchPath is the list of directories the host searches, in order: each entry of $SSR_PLUGIN_DIR
// (colon-separated), the directory of the running executable, then each entry of $PATH.
func SearchPath() []string {
	var dirs []string
	dirs = append(dirs, filepath.SplitList(os.Getenv("SSR_PLUGIN_DIR"))...)
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)
	return dirs
}

// discover lists the plugin programs in dirs; the first directory that holds a name wins. The result is
// sorted by name.
func discover(dirs []string) []Program {
	seen := map[string]bool{}
	var out []Program
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue // a missing or unreadable directory on a search path is normal
		}
		for _, e := range entries {
			name, ok := strings.CutPrefix(e.Name(), ProgramPrefix)
			if !ok || name == "" || seen[name] {
				continue
			}
			path, err := filepath.Abs(filepath.Join(dir, e.Name()))
			if err != nil || !isExecutable(path) {
				continue
			}
			seen[name] = true
			out = append(out, Program{Name: name, Path: path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// isExecutable reports whether path is a regular file (after links) with an execute bit.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
