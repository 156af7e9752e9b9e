package patches

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
)

// This file builds random trees and edits from real Go source text, and drives the real git
// binary, for the property test and the benchmark.

func needGit(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git is not installed; the comparison with git apply needs it")
	}
}

// git runs git in dir with the user's and system configuration shut out.
func git(tb testing.TB, dir string, stdin []byte, args ...string) []byte {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv(dir)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.Bytes())
	}
	return out
}

func gitEnv(dir string) []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_CEILING_DIRECTORIES="+filepath.Dir(dir),
		"GIT_AUTHOR_NAME=ssr", "GIT_AUTHOR_EMAIL=ssr@example.invalid",
		"GIT_COMMITTER_NAME=ssr", "GIT_COMMITTER_EMAIL=ssr@example.invalid",
		"LC_ALL=C")
}

var (
	sourceOnce  sync.Once
	sourceTexts []string
)

// goSources returns the text of some files of the Go standard library, cut to at most 150 lines.
func goSources(tb testing.TB) []string {
	sourceOnce.Do(func() {
		root := runtime.GOROOT()
		if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
			root = strings.TrimSpace(string(out))
		}
		for _, pkg := range []string{"strings", "bytes", "bufio", "sort", "errors", "path", "unicode/utf8", "container/list"} {
			matches, _ := filepath.Glob(filepath.Join(root, "src", pkg, "*.go"))
			sort.Strings(matches)
			for _, m := range matches {
				data, err := os.ReadFile(m)
				if err != nil || bytes.IndexByte(data, 0) >= 0 {
					continue
				}
				lines := strings.SplitAfter(string(data), "\n")
				if len(lines) > 150 {
					lines = lines[:150]
				}
				sourceTexts = append(sourceTexts, strings.Join(lines, ""))
			}
		}
	})
	if len(sourceTexts) < 10 {
		tb.Skip("Go standard library sources not found under GOROOT")
	}
	return sourceTexts
}

// scenario makes a random old tree and an edited new tree: modified files (inserted, deleted and
// changed lines), new files, deleted files, renamed files (some also edited), executable-bit
// changes, and final newlines removed or added.
func scenario(tb testing.TB, rng *rand.Rand) (old, new map[string]entry) {
	src := goSources(tb)
	dirs := []string{"", "a/", "a/b/", "c/", "c/d/e/"}
	old, new = map[string]entry{}, map[string]entry{}
	used := map[string]bool{}
	name := func(prefix string) string {
		for {
			p := fmt.Sprintf("%s%s%d.go", dirs[rng.IntN(len(dirs))], prefix, rng.IntN(1000))
			if !used[p] {
				used[p] = true
				return p
			}
		}
	}
	text := func() string { return src[rng.IntN(len(src))] }
	for range 3 + rng.IntN(5) {
		mode := ModeRegular
		if rng.IntN(6) == 0 {
			mode = ModeExecutable
		}
		old[name("f")] = entry{data: []byte(text()), mode: mode}
	}
	changed := false
	for _, p := range sortedKeys(old) {
		e := old[p]
		switch r := rng.IntN(100); {
		case r < 12:
			changed = true // deleted
		case r < 27:
			to := name("moved")
			data := e.data
			if rng.IntN(2) == 0 {
				data = []byte(editText(rng, string(data), 1+rng.IntN(2)))
			}
			new[to] = entry{data: data, mode: e.mode}
			changed = true
		case r < 75:
			data := editText(rng, string(e.data), 1+rng.IntN(5))
			mode := e.mode
			if rng.IntN(8) == 0 {
				mode ^= ModeRegular ^ ModeExecutable
			}
			new[p] = entry{data: []byte(data), mode: mode}
			changed = true
		case r < 82:
			new[p] = entry{data: e.data, mode: e.mode ^ ModeRegular ^ ModeExecutable}
			changed = true
		default:
			new[p] = e
		}
	}
	for range rng.IntN(3) {
		data := text()
		switch rng.IntN(6) {
		case 0:
			data = strings.TrimSuffix(data, "\n")
		case 1:
			data = ""
		}
		new[name("new")] = entry{data: []byte(data), mode: ModeRegular}
		changed = true
	}
	if !changed {
		p := sortedKeys(old)[0]
		new[p] = entry{data: []byte(editText(rng, string(old[p].data), 2)), mode: old[p].mode}
	}
	return old, new
}

// editText applies n random line edits and sometimes drops or restores the final newline.
func editText(rng *rand.Rand, s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for range n {
		if len(lines) == 0 {
			lines = append(lines, "// filler\n")
		}
		i := rng.IntN(len(lines))
		switch rng.IntN(4) {
		case 0: // insert a few lines copied from elsewhere
			k := 1 + rng.IntN(3)
			ins := make([]string, 0, k)
			for range k {
				l := lines[rng.IntN(len(lines))]
				if !strings.HasSuffix(l, "\n") {
					l += "\n"
				}
				ins = append(ins, l)
			}
			lines = append(lines[:i], append(ins, lines[i:]...)...)
		case 1: // delete a short run
			j := min(len(lines), i+1+rng.IntN(3))
			lines = append(lines[:i], lines[j:]...)
		default: // change a line
			nl := ""
			if strings.HasSuffix(lines[i], "\n") {
				nl = "\n"
			}
			lines[i] = fmt.Sprintf("\t// edited %d: %s%s", rng.IntN(1000), strings.TrimSpace(lines[i]), nl)
		}
	}
	out := strings.Join(lines, "")
	switch rng.IntN(8) {
	case 0:
		out = strings.TrimRight(out, "\n")
	case 1:
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeTree creates dir holding the files of t.
func writeTree(tb testing.TB, dir string, t map[string]entry) {
	tb.Helper()
	for p, e := range t {
		fp := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			tb.Fatal(err)
		}
		perm := fs.FileMode(0o644)
		if e.mode == ModeExecutable {
			perm = 0o755
		}
		if err := os.WriteFile(fp, e.data, perm); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chmod(fp, perm); err != nil {
			tb.Fatal(err)
		}
	}
}

// snapshot describes a directory tree: every file with its executable bit and content, and
// every directory (so that leftover empty directories show), .git excluded.
func snapshot(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			out[rel+"/"] = "dir"
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = fmt.Sprintf("%v\n%s", info.Mode().Perm()&0o100 != 0, data)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// diffSnapshots explains the first differences between two snapshots ("" when equal).
func diffSnapshots(got, want map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(want) {
		if g, ok := got[k]; !ok {
			fmt.Fprintf(&b, "missing %s\n", k)
		} else if g != want[k] {
			fmt.Fprintf(&b, "differs %s\n", k)
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "extra %s\n", k)
		}
	}
	return b.String()
}

// gitDiff commits old in a fresh repository under dir, replaces the work tree with new and
// returns `git diff -M HEAD`.
func gitDiff(tb testing.TB, dir string, old, new map[string]entry) []byte {
	tb.Helper()
	repo := filepath.Join(dir, "repo")
	writeTree(tb, repo, old)
	git(tb, repo, nil, "init", "-q", ".")
	git(tb, repo, nil, "add", "-A")
	git(tb, repo, nil, "commit", "-q", "-m", "old")
	entries, err := os.ReadDir(repo)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != ".git" {
			os.RemoveAll(filepath.Join(repo, e.Name()))
		}
	}
	writeTree(tb, repo, new)
	git(tb, repo, nil, "add", "-A")
	return git(tb, repo, nil, "-c", "core.quotepath=off", "diff", "--no-color", "--no-ext-diff", "-M", "HEAD")
}

// gitApply runs `git apply` on dir (not a repository) with the patch on stdin.
func gitApply(tb testing.TB, dir string, patch []byte) {
	tb.Helper()
	git(tb, dir, patch, "apply", "-")
}

func gitApplyCmd(dir string, patch []byte) *exec.Cmd {
	cmd := exec.Command("git", "apply", "-")
	cmd.Dir = dir
	cmd.Env = gitEnv(dir)
	cmd.Stdin = bytes.NewReader(patch)
	return cmd
}

// snapshotOf writes t to a fresh directory under parent and snapshots it.
func snapshotOf(tb testing.TB, parent string, t map[string]entry) map[string]string {
	dir, err := os.MkdirTemp(parent, "snap")
	if err != nil {
		tb.Fatal(err)
	}
	writeTree(tb, dir, t)
	return snapshot(tb, dir)
}

func joinLines(lines []string) string { return strings.Join(lines, "") }
