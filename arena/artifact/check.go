package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/patches"
)

// DefaultParsers are the builtin parser names the first-party plugins provide; a job passes the names its
// plugins describe instead.
var DefaultParsers = []string{"pytest", "gotest-json"}

// Rejection is an artifact that fails validation, with the part at fault and a reason a user can act on.
// Validation steps after the static check reuse it.
type Rejection struct {
	Step   string // "static", "parser", "original", "bug", "weaken", "inverse"
	Part   string // the part at fault, e.g. "bug_inject.diff"; empty when not about one part
	Reason string
}

func (r *Rejection) Error() string {
	if r.Part == "" {
		return r.Reason
	}
	return r.Part + ": " + r.Reason
}

// IsRejection reports whether err is a rejection (as opposed to a failure to check at all), returning it.
func IsRejection(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}

// CheckOptions tune the static check.
type CheckOptions struct {
	MinChangedFiles int      // source files the bug diff must touch; default 1
	Parsers         []string // builtin parser names known here; default DefaultParsers
	// IsTestFile is the language plugin's test-file rule (test files and test-runner configuration; see
	// arena.Repo.IsTestFile); required: which files are tests is language knowledge, which lives in plugins.
	IsTestFile func(path string) bool
}

func (o CheckOptions) withDefaults() CheckOptions {
	if o.MinChangedFiles <= 0 {
		o.MinChangedFiles = 1
	}
	if len(o.Parsers) == 0 {
		o.Parsers = DefaultParsers
	}
	return o
}

// Diffs are an artifact's two diffs, parsed.
type Diffs struct {
	Bug, Weaken *patches.Patch
}

// Check runs validation step 1 (static) against the repository checked out at repoDir: both diffs parse and
// apply to the repository, the bug diff touches at least MinChangedFiles source files and no test file, the
// weakening diff touches only files listed in test_files.txt, every listed file exists, the test script is
// not empty and the parser is known. The first failure is returned as a *Rejection; any other error means
// the check itself could not run (an unreadable repository). On success it returns the parsed diffs.
func Check(a *Artifact, repoDir string, opts CheckOptions) (*Diffs, error) {
	opts = opts.withDefaults()
	if opts.IsTestFile == nil {
		return nil, errors.New("static check: no test-file rule (CheckOptions.IsTestFile): it comes from the repository's language plugin")
	}
	reject := func(part, format string, args ...any) (*Diffs, error) {
		return nil, &Rejection{Step: "static", Part: part, Reason: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(a.TestScript) == "" {
		return reject(TestScriptFile, "the test script is empty: it must run the oracle tests from /repo")
	}
	switch {
	case a.Parser.Builtin != "" && a.Parser.IsScript():
		return reject("parser", "both a builtin parser (%s) and a script (%s) are given: keep one", a.Parser.Builtin, a.Parser.ScriptName)
	case a.Parser.Builtin != "":
		if !slices.Contains(opts.Parsers, a.Parser.Builtin) {
			return reject("parser", "unknown builtin parser %q (known: %s)", a.Parser.Builtin, strings.Join(opts.Parsers, ", "))
		}
	case strings.TrimSpace(a.Parser.Script) == "":
		return reject("parser", "no parser: name a builtin (%s) or give a %s script", strings.Join(opts.Parsers, ", "), ScriptParserPrefix+".py")
	}

	if len(a.TestFiles) == 0 {
		return reject(TestFilesFile, "no oracle test files are listed")
	}
	for _, f := range a.TestFiles {
		if !cleanRelative(f) {
			return reject(TestFilesFile, "%q is not a clean repo-relative path", f)
		}
		st, err := os.Stat(filepath.Join(repoDir, filepath.FromSlash(f)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return reject(TestFilesFile, "listed test file %s does not exist in the repository", f)
		case err != nil:
			return nil, fmt.Errorf("check artifact: %w", err)
		case !st.Mode().IsRegular():
			return reject(TestFilesFile, "listed test file %s is not a regular file", f)
		}
	}

	bug, err := parseDiff(BugDiffFile, a.BugDiff)
	if err != nil {
		return nil, err
	}
	sources := 0
	for _, p := range bug.Paths() {
		if a.IsListedTestFile(p) || opts.IsTestFile(p) {
			return reject(BugDiffFile, "touches test file %s: the bug diff may change source files only", p)
		}
		sources++
	}
	if sources < opts.MinChangedFiles {
		return reject(BugDiffFile, "touches %d source file(s), fewer than the %d required", sources, opts.MinChangedFiles)
	}
	weaken, err := parseDiff(WeakenDiffFile, a.WeakenDiff)
	if err != nil {
		return nil, err
	}
	for _, p := range weaken.Paths() {
		if !a.IsListedTestFile(p) {
			return reject(WeakenDiffFile, "touches %s, which is not listed in %s", p, TestFilesFile)
		}
	}
	for _, d := range []struct {
		part string
		p    *patches.Patch
	}{{BugDiffFile, bug}, {WeakenDiffFile, weaken}} {
		if err := appliesTo(repoDir, d.part, d.p); err != nil {
			return nil, err
		}
	}
	return &Diffs{Bug: bug, Weaken: weaken}, nil
}

func parseDiff(part, text string) (*patches.Patch, error) {
	if strings.TrimSpace(text) == "" {
		return nil, &Rejection{Step: "static", Part: part, Reason: "the diff is empty"}
	}
	p, err := patches.ParseBytes([]byte(text))
	if err != nil {
		return nil, &Rejection{Step: "static", Part: part, Reason: "does not parse: " + err.Error()}
	}
	if len(p.Files) == 0 {
		return nil, &Rejection{Step: "static", Part: part, Reason: "holds no file diff (is it a git-style diff?)"}
	}
	return p, nil
}

// appliesTo checks that p applies to the repository without writing anything.
func appliesTo(repoDir, part string, p *patches.Patch) error {
	tree, err := ReadTree(repoDir, p.Paths())
	if err != nil {
		return err
	}
	if _, err := patches.ApplyMap(tree, p); err != nil {
		return &Rejection{Step: "static", Part: part, Reason: "does not apply to the repository: " + err.Error()}
	}
	return nil
}

// ReadTree reads the given repo-relative paths under dir into a map; paths that do not exist are left out
// (a diff may create them).
func ReadTree(dir string, paths []string) (map[string][]byte, error) {
	tree := make(map[string][]byte, len(paths))
	for _, p := range paths {
		if !cleanRelative(p) {
			continue // patches rejects the unsafe path with its own error
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		tree[p] = data
	}
	return tree, nil
}

func cleanRelative(p string) bool {
	return p != "" && !path.IsAbs(p) && path.Clean(p) == p && p != "." && !strings.HasPrefix(p, "../") && p != ".."
}
