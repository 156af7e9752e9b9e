package repos

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// needGitTransport skips when the git binary that go-git's file transport runs (git-upload-pack) is missing.
func needGitTransport(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: go-git clones local repositories through git-upload-pack")
	}
}

// sourceRepo is a git repository on disk that a test commits to.
type sourceRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	n    int
}

func newSourceRepo(t *testing.T) *sourceRepo {
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &sourceRepo{t: t, dir: dir, repo: repo}
}

func (s *sourceRepo) commit(files map[string]string) string {
	s.t.Helper()
	wt, err := s.repo.Worktree()
	if err != nil {
		s.t.Fatal(err)
	}
	for name, content := range files {
		full := filepath.Join(s.dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			s.t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			s.t.Fatal(err)
		}
	}
	s.n++
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Date(2024, 1, s.n, 0, 0, 0, 0, time.UTC)}
	h, err := wt.Commit("commit", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		s.t.Fatal(err)
	}
	return h.String()
}

func (s *sourceRepo) branch(name, from string) {
	s.t.Helper()
	ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName(name), plumbing.NewHash(from))
	if err := s.repo.Storer.SetReference(ref); err != nil {
		s.t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestCloneGit(t *testing.T) {
	needGitTransport(t)
	ctx := context.Background()
	src := newSourceRepo(t)
	c1 := src.commit(map[string]string{"a.txt": "one\n", "pkg/b.txt": "b\n"})
	c2 := src.commit(map[string]string{"a.txt": "two\n"})
	src.branch("feature", c1)
	cache := t.TempDir()

	for _, url := range []string{src.dir, "file://" + src.dir} {
		t.Run(url, func(t *testing.T) {
			co, err := Clone(ctx, Source{Git: url}, WithCacheDir(cache))
			if err != nil {
				t.Fatal(err)
			}
			if co.Commit != c2 || readFile(t, filepath.Join(co.Dir, "a.txt")) != "two\n" {
				t.Fatalf("default branch: commit %s, want %s", co.Commit, c2)
			}
			if want := []string{"a.txt", "pkg/b.txt"}; !reflect.DeepEqual(co.Files, want) {
				t.Fatalf("Files = %v, want %v", co.Files, want)
			}
			// Full history is kept: the first commit is reachable from HEAD.
			repo, err := git.PlainOpen(co.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := repo.CommitObject(plumbing.NewHash(c1)); err != nil {
				t.Fatalf("first commit missing from the clone: %v", err)
			}

			co, err = Clone(ctx, Source{Git: url, Commit: c1[:10]}, WithCacheDir(cache))
			if err != nil {
				t.Fatal(err)
			}
			if co.Commit != c1 || readFile(t, filepath.Join(co.Dir, "a.txt")) != "one\n" {
				t.Fatalf("pinned short commit: got %s, want %s", co.Commit, c1)
			}

			co, err = Clone(ctx, Source{Git: url, Branch: "feature"}, WithCacheDir(cache))
			if err != nil || co.Commit != c1 {
				t.Fatalf("branch feature: %v, %v; want %s", co, err, c1)
			}
		})
	}

	// A later commit in the source is fetched on the next call (the cache is reused, not re-cloned).
	dir := filepath.Join(cache, "git", cacheKey(src.dir))
	marker := filepath.Join(dir, ".git", "ssr-test-marker")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c3 := src.commit(map[string]string{"c.txt": "three\n"})
	co, err := Clone(ctx, Source{Git: src.dir}, WithCacheDir(cache))
	if err != nil || co.Commit != c3 {
		t.Fatalf("after a new commit: %v, %v; want %s", co, err, c3)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the cached clone was replaced instead of fetched into: %v", err)
	}
	co, err = Clone(ctx, Source{Git: src.dir, Commit: c2}, WithCacheDir(cache))
	if err != nil || co.Commit != c2 {
		t.Fatalf("pinned full commit: %v, %v", co, err)
	}
	if _, err := os.Stat(filepath.Join(co.Dir, "c.txt")); !os.IsNotExist(err) {
		t.Fatalf("c.txt from a later commit is still in the work tree: %v", err)
	}
}

func TestCloneGitErrors(t *testing.T) {
	needGitTransport(t)
	ctx := context.Background()
	src := newSourceRepo(t)
	src.commit(map[string]string{"a.txt": "a"})
	cache := t.TempDir()
	missing := "0123456789abcdef0123456789abcdef01234567"
	_, err := Clone(ctx, Source{Git: src.dir, Commit: missing}, WithCacheDir(cache))
	if !errors.Is(err, ErrCommitNotFound) || !containsAll(err.Error(), missing, src.dir) {
		t.Errorf("missing commit: %v; want ErrCommitNotFound naming the commit and the source", err)
	}
	_, err = Clone(ctx, Source{Git: src.dir, Branch: "nope"}, WithCacheDir(cache))
	if !errors.Is(err, ErrBranchNotFound) || !containsAll(err.Error(), "nope", "main") {
		t.Errorf("missing branch: %v; want ErrBranchNotFound naming it and the branches there are", err)
	}
	_, err = Clone(ctx, Source{Git: filepath.Join(t.TempDir(), "absent")}, WithCacheDir(cache))
	if err == nil {
		t.Error("cloning a missing repository succeeded")
	}
	_, err = Clone(ctx, Source{Image: "acme/app:1"}, WithCacheDir(cache))
	if !errors.Is(err, ErrNoCheckout) {
		t.Errorf("image source: %v, want ErrNoCheckout", err)
	}
	_, err = Clone(ctx, Source{Path: filepath.Join(t.TempDir(), "absent")}, WithCacheDir(cache))
	if err == nil {
		t.Error("a missing path source succeeded")
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestClonePlainDirectory(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	write := func(name, content string, perm os.FileMode) {
		full := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
	}
	write("main.py", "print('hi')\n", 0o644)
	write("bin/run.sh", "#!/bin/sh\necho run\n", 0o755)
	write("nested/.git/HEAD", "ref: refs/heads/main\n", 0o644) // a nested repository's metadata is not code
	cache := t.TempDir()

	a, err := Clone(ctx, Source{Path: src}, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bin/run.sh", "main.py"}; !reflect.DeepEqual(a.Files, want) {
		t.Fatalf("Files = %v, want %v", a.Files, want)
	}
	st, err := os.Stat(filepath.Join(a.Dir, "bin/run.sh"))
	if err != nil || st.Mode()&0o100 == 0 {
		t.Fatalf("bin/run.sh lost its executable bit: %v %v", st, err)
	}
	repo, err := git.PlainOpen(a.Dir)
	if err != nil {
		t.Fatalf("snapshot is not a git work tree: %v", err)
	}
	if head, _ := repo.Head(); head == nil || head.Hash().String() != a.Commit {
		t.Fatalf("HEAD %v, want %s", head, a.Commit)
	}

	// Same content (even from another directory) gives the same commit; new content another one.
	other := t.TempDir()
	if err := copyTree(ctx, src, other); err != nil {
		t.Fatal(err)
	}
	b, err := Clone(ctx, Source{Path: other}, WithCacheDir(cache))
	if err != nil || b.Commit != a.Commit {
		t.Fatalf("same content: commit %v (%v), want %s", b, err, a.Commit)
	}
	write("main.py", "print('changed')\n", 0o644)
	c, err := Clone(ctx, Source{Path: src}, WithCacheDir(cache))
	if err != nil || c.Commit == a.Commit || readFile(t, filepath.Join(c.Dir, "main.py")) != "print('changed')\n" {
		t.Fatalf("changed content: %v (%v), want a new commit with the new content", c, err)
	}
}

func TestClonePathThatIsAGitRepository(t *testing.T) {
	needGitTransport(t)
	src := newSourceRepo(t)
	c1 := src.commit(map[string]string{"x.go": "package x\n"})
	co, err := Clone(context.Background(), Source{Path: src.dir}, WithCacheDir(t.TempDir()))
	if err != nil || co.Commit != c1 {
		t.Fatalf("git path: %v, %v; want commit %s", co, err, c1)
	}
}

func TestCloneExample(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	a, err := Clone(ctx, Source{Example: "pyledger"}, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	// Dirty the work tree; the next Clone puts it back at the commit.
	if err := os.WriteFile(filepath.Join(a.Dir, "ledger", "money.py"), []byte("broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Clone(ctx, Source{Example: "pyledger"}, WithCacheDir(cache))
	if err != nil || b.Commit != a.Commit || b.Dir != a.Dir {
		t.Fatalf("second clone: %v, %v; want %s in %s", b, err, a.Commit, a.Dir)
	}
	if readFile(t, filepath.Join(b.Dir, "ledger", "money.py")) == "broken" {
		t.Fatal("the work tree was not reset to the commit")
	}
	if _, err := Clone(ctx, Source{Example: "nope"}, WithCacheDir(cache)); err == nil {
		t.Fatal("an unknown example was cloned")
	}
}

func TestCloneHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Clone(ctx, Source{Path: t.TempDir()}, WithCacheDir(t.TempDir())); !errors.Is(err, context.Canceled) {
		t.Fatalf("Clone with a cancelled context: %v, want context.Canceled", err)
	}
}
