package examples

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/rogpeppe/go-internal/txtar"
)

//go:embed gokit/*.txtar pyledger/*.txtar
var archives embed.FS

// ErrUnknownExample is returned for a name that is not a built-in example.
var ErrUnknownExample = errors.New("unknown example")

// Branch is the branch Materialize creates and leaves checked out.
const Branch = "main"

// deleteEntry is the txtar entry that lists the paths a commit deletes.
const deleteEntry = ".ssr-delete"

// The author and committer of every example commit, and the date of the first one; each later commit is
// dated a day and two hours after the one before it.
var (
	signatureName  = "ssr examples"
	signatureEmail = "examples@ssr.invalid"
	firstDate      = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	commitInterval = 26 * time.Hour
)

// Commit is one step of an example's history.
type Commit struct {
	Message string            // full message: subject line, blank line, body
	Files   map[string][]byte // slash-separated path → full content, for files added or changed
	Deleted []string          // paths removed
}

// Subject is the message's first line.
func (c Commit) Subject() string {
	s, _, _ := strings.Cut(c.Message, "\n")
	return s
}

// IsFix reports whether the commit fixes a bug (its subject starts with "Fix").
func (c Commit) IsFix() bool { return strings.HasPrefix(c.Subject(), "Fix ") }

// Names lists the built-in examples, sorted.
func Names() []string {
	entries, err := archives.ReadDir(".")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func archivePaths(name string) ([]string, error) {
	paths, err := fs.Glob(archives, name+"/*.txtar")
	if err != nil || len(paths) == 0 || strings.ContainsAny(name, "/*?[\\") {
		return nil, fmt.Errorf("%w %q (built-in examples: %s)", ErrUnknownExample, name, strings.Join(Names(), ", "))
	}
	sort.Strings(paths)
	return paths, nil
}

// History returns an example's commits, oldest first.
func History(name string) ([]Commit, error) {
	paths, err := archivePaths(name)
	if err != nil {
		return nil, err
	}
	commits := make([]Commit, 0, len(paths))
	for _, p := range paths {
		data, err := archives.ReadFile(p)
		if err != nil {
			return nil, err
		}
		a := txtar.Parse(data)
		c := Commit{Message: strings.TrimSpace(string(a.Comment)) + "\n", Files: map[string][]byte{}}
		if c.Message == "\n" {
			return nil, fmt.Errorf("example archive %s has no commit message", p)
		}
		for _, f := range a.Files {
			if f.Name == deleteEntry {
				for _, line := range strings.Split(string(f.Data), "\n") {
					if line = strings.TrimSpace(line); line != "" {
						c.Deleted = append(c.Deleted, line)
					}
				}
				continue
			}
			if !fs.ValidPath(f.Name) {
				return nil, fmt.Errorf("example archive %s: bad path %q", p, f.Name)
			}
			c.Files[f.Name] = f.Data
		}
		commits = append(commits, c)
	}
	return commits, nil
}

// Digest is a hash of an example's archives: it changes exactly when Materialize would give another history.
func Digest(name string) (string, error) {
	paths, err := archivePaths(name)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, p := range paths {
		data, err := archives.ReadFile(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", path.Base(p), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Materialize writes the example's history into a new git repository at dir (which must not exist or be
// empty), leaves branch main checked out at the last commit, and returns that commit's full hash.
func Materialize(name, dir string) (commit string, err error) {
	commits, err := History(name)
	if err != nil {
		return "", err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return "", fmt.Errorf("materialize example %s: %s is not empty (choose an empty or new directory)", name, dir)
	}
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(Branch)},
	})
	if err != nil {
		return "", fmt.Errorf("materialize example %s: %w", name, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	var head plumbing.Hash
	for i, c := range commits {
		if err := apply(wt, dir, c); err != nil {
			return "", fmt.Errorf("materialize example %s, commit %d (%s): %w", name, i+1, c.Subject(), err)
		}
		sig := &object.Signature{Name: signatureName, Email: signatureEmail, When: firstDate.Add(time.Duration(i) * commitInterval)}
		head, err = wt.Commit(c.Message, &git.CommitOptions{Author: sig, Committer: sig})
		if err != nil {
			return "", fmt.Errorf("materialize example %s, commit %d (%s): %w", name, i+1, c.Subject(), err)
		}
	}
	return head.String(), nil
}

// apply writes and stages one commit's changes in sorted path order.
func apply(wt *git.Worktree, dir string, c Commit) error {
	paths := make([]string, 0, len(c.Files))
	for p := range c.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, c.Files[p], 0o644); err != nil {
			return err
		}
		if _, err := wt.Add(p); err != nil {
			return fmt.Errorf("stage %s: %w", p, err)
		}
	}
	for _, p := range c.Deleted {
		if _, err := wt.Remove(p); err != nil {
			return fmt.Errorf("delete %s: %w", p, err)
		}
	}
	return nil
}
