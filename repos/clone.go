package repos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/selfplay-swe/ssr/repos/examples"
)

// Sentinel errors of cloning.
var (
	// ErrCommitNotFound means a pinned commit is not in the source repository, even after a fetch.
	ErrCommitNotFound = errors.New("commit not found")
	// ErrBranchNotFound means the source repository has no such branch.
	ErrBranchNotFound = errors.New("branch not found")
	// ErrNoCheckout means the source has no code on the host (an image source).
	ErrNoCheckout = errors.New("no checkout for this source")
)

// Checkout is a repository's code on the host: a git work tree at one commit, with full history.
type Checkout struct {
	Dir    string   `json:"dir"`    // the work tree, inside the cache directory
	Commit string   `json:"commit"` // full hash of the checked-out commit
	Files  []string `json:"files"`  // tracked files, slash-separated, sorted
}

// snapshotSignature is the author and committer of snapshot commits: fixed, so that the same content gives
// the same commit hash.
var snapshotSignature = object.Signature{Name: "ssr", Email: "ssr@localhost", When: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}

// Clone makes src's code available as a git work tree in the cache directory and checks out the commit the
// source names (its pinned commit, its branch's tip, or the remote's default branch).
//
// Git sources are cloned once per URL with full history and fetched on later calls (a pinned commit already
// present is used without fetching). A local directory that is a git repository is cloned like a URL (its
// uncommitted changes are not included); any other directory is copied into a fresh repository with one commit
// whose hash depends only on the content. Example sources are materialised from the built-in archives. Image
// sources have no checkout (ErrNoCheckout).
//
// Clones of one source are serialised with a lock file, across processes too; the returned Dir stays at the
// commit until the next Clone of the same source.
func Clone(ctx context.Context, src Source, opts ...Option) (*Checkout, error) {
	c := newConfig(opts)
	switch src.Kind() {
	case SourceGit:
		return c.cloneGit(ctx, src.Git, src.Commit, src.Branch)
	case SourcePath:
		abs, err := filepath.Abs(src.Path)
		if err != nil {
			return nil, fmt.Errorf("clone path %s: %w", src.Path, err)
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("clone path %s: %w (check the manifest's path)", src.Path, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("clone path %s: not a directory (path sources are directories)", src.Path)
		}
		if _, err := os.Stat(filepath.Join(abs, ".git")); err == nil {
			return c.cloneGit(ctx, abs, "", "")
		}
		return c.snapshot(ctx, abs)
	case SourceExample:
		return c.example(ctx, src.Example)
	case SourceImage:
		return nil, fmt.Errorf("%w: %s (the code is inside the image)", ErrNoCheckout, src)
	}
	return nil, fmt.Errorf("%w: the source is empty", ErrNoCheckout)
}

func cacheKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// cloneGit clones or fetches url into the cache and checks out commit, branch or the default branch.
func (c *config) cloneGit(ctx context.Context, url, commit, branch string) (*Checkout, error) {
	key := cacheKey(url)
	dir := filepath.Join(c.cacheDir, "git", key)
	unlock, err := lockPath(ctx, filepath.Join(c.cacheDir, "locks", "git-"+key))
	if err != nil {
		return nil, fmt.Errorf("clone %s: %w", url, err)
	}
	defer unlock()

	repo, err := git.PlainOpen(dir)
	fresh := false
	if err != nil {
		fmt.Fprintf(c.progress, "cloning %s\n", url)
		if repo, err = cloneInto(ctx, url, dir); err != nil {
			return nil, sourceError("clone", url, err)
		}
		fresh = true
	}

	var target plumbing.Hash
	switch {
	case commit != "":
		h, err := resolveCommit(repo, commit)
		if err != nil && !fresh {
			fmt.Fprintf(c.progress, "fetching %s for commit %s\n", url, commit)
			if ferr := fetch(ctx, repo); ferr != nil {
				return nil, sourceError("fetch", url, ferr)
			}
			h, err = resolveCommit(repo, commit)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not in %s (check the hash, or push it)", ErrCommitNotFound, commit, url)
		}
		target = h
	default:
		if !fresh {
			fmt.Fprintf(c.progress, "fetching %s\n", url)
			if err := fetch(ctx, repo); err != nil {
				return nil, sourceError("fetch", url, err)
			}
		}
		name := branch
		if name == "" {
			if name, err = defaultBranch(repo); err != nil {
				return nil, fmt.Errorf("clone %s: %w", url, err)
			}
		}
		ref, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", name), true)
		if err != nil {
			return nil, fmt.Errorf("%w: %q in %s (it has %s)", ErrBranchNotFound, name, url, strings.Join(remoteBranches(repo), ", "))
		}
		target = ref.Hash()
	}
	return checkout(repo, dir, target)
}

// cloneInto clones url with full history into dir through a temporary directory, so that an interrupted clone
// never leaves a half-made cache entry.
func cloneInto(ctx context.Context, url, dir string) (*git.Repository, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	repo, err := git.PlainCloneContext(ctx, tmp, false, &git.CloneOptions{URL: url, NoCheckout: true, Tags: git.AllTags})
	if err != nil {
		return nil, err
	}
	// Remember the remote's default branch as git does, in refs/remotes/origin/HEAD.
	if head, err := repo.Head(); err == nil && head.Name().IsBranch() {
		sym := plumbing.NewSymbolicReference(plumbing.NewRemoteHEADReferenceName("origin"),
			plumbing.NewRemoteReferenceName("origin", head.Name().Short()))
		if err := repo.Storer.SetReference(sym); err != nil {
			return nil, err
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return git.PlainOpen(dir)
}

func fetch(ctx context.Context, repo *git.Repository) error {
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []gitconfig.RefSpec{"+refs/heads/*:refs/remotes/origin/*"},
		Tags:       git.AllTags,
		Force:      true,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

func resolveCommit(repo *git.Repository, commit string) (plumbing.Hash, error) {
	if len(commit) == 40 {
		h := plumbing.NewHash(commit)
		if _, err := repo.CommitObject(h); err != nil {
			return plumbing.ZeroHash, err
		}
		return h, nil
	}
	h, err := repo.ResolveRevision(plumbing.Revision(commit))
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return *h, nil
}

// defaultBranch is the branch refs/remotes/origin/HEAD points to, or main/master when it is missing.
func defaultBranch(repo *git.Repository) (string, error) {
	if ref, err := repo.Reference(plumbing.NewRemoteHEADReferenceName("origin"), false); err == nil && ref.Type() == plumbing.SymbolicReference {
		return strings.TrimPrefix(ref.Target().String(), "refs/remotes/origin/"), nil
	}
	for _, b := range []string{"main", "master"} {
		if _, err := repo.Reference(plumbing.NewRemoteReferenceName("origin", b), false); err == nil {
			return b, nil
		}
	}
	return "", errors.New("the remote has no default branch (name a branch or a commit in the manifest)")
}

func remoteBranches(repo *git.Repository) []string {
	var out []string
	refs, err := repo.References()
	if err != nil {
		return nil
	}
	_ = refs.ForEach(func(r *plumbing.Reference) error {
		if r.Name().IsRemote() && r.Type() == plumbing.HashReference {
			out = append(out, strings.TrimPrefix(r.Name().String(), "refs/remotes/origin/"))
		}
		return nil
	})
	if len(out) == 0 {
		return []string{"no branches"}
	}
	sort.Strings(out)
	return out
}

// checkout forces the work tree at dir to commit h (detached HEAD), removes untracked files and lists the
// tracked ones.
func checkout(repo *git.Repository, dir string, h plumbing.Hash) (*Checkout, error) {
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: h, Force: true}); err != nil {
		return nil, fmt.Errorf("check out %s in %s: %w", h, dir, err)
	}
	if err := wt.Clean(&git.CleanOptions{Dir: true}); err != nil {
		return nil, fmt.Errorf("clean %s: %w", dir, err)
	}
	files, err := trackedFiles(repo, h)
	if err != nil {
		return nil, err
	}
	return &Checkout{Dir: dir, Commit: h.String(), Files: files}, nil
}

func trackedFiles(repo *git.Repository, h plumbing.Hash) ([]string, error) {
	cm, err := repo.CommitObject(h)
	if err != nil {
		return nil, err
	}
	tree, err := cm.Tree()
	if err != nil {
		return nil, err
	}
	var files []string
	err = tree.Files().ForEach(func(f *object.File) error {
		files = append(files, f.Name)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list files of %s: %w", h, err)
	}
	sort.Strings(files)
	return files, nil
}

// snapshot copies a plain directory into a fresh repository with one commit.
func (c *config) snapshot(ctx context.Context, src string) (*Checkout, error) {
	key := cacheKey("path:" + src)
	dir := filepath.Join(c.cacheDir, "snapshots", key)
	unlock, err := lockPath(ctx, filepath.Join(c.cacheDir, "locks", "snapshot-"+key))
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", src, err)
	}
	defer unlock()
	fmt.Fprintf(c.progress, "snapshotting %s\n", src)

	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".snapshot-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := copyTree(ctx, src, tmp); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", src, err)
	}
	repo, err := git.PlainInit(tmp, false)
	if err != nil {
		return nil, err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return nil, fmt.Errorf("snapshot %s: stage files: %w", src, err)
	}
	sig := snapshotSignature
	h, err := wt.Commit("ssr snapshot\n", &git.CommitOptions{Author: &sig, Committer: &sig, AllowEmptyCommits: true})
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: commit: %w", src, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	repo, err = git.PlainOpen(dir)
	if err != nil {
		return nil, err
	}
	files, err := trackedFiles(repo, h)
	if err != nil {
		return nil, err
	}
	return &Checkout{Dir: dir, Commit: h.String(), Files: files}, nil
}

// copyTree copies regular files, directories and symbolic links from src to dst, skipping .git directories.
func copyTree(ctx context.Context, src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			perm := fs.FileMode(0o644)
			if info.Mode()&0o111 != 0 {
				perm = 0o755
			}
			return os.WriteFile(target, data, perm)
		}
		return nil // sockets, devices and pipes are not code
	})
}

// example materialises a built-in example into the cache, once per archive content.
func (c *config) example(ctx context.Context, name string) (*Checkout, error) {
	digest, err := examples.Digest(name)
	if err != nil {
		return nil, err
	}
	key := name + "-" + digest[:12]
	dir := filepath.Join(c.cacheDir, "examples", key)
	unlock, err := lockPath(ctx, filepath.Join(c.cacheDir, "locks", "example-"+key))
	if err != nil {
		return nil, fmt.Errorf("example %s: %w", name, err)
	}
	defer unlock()

	repo, err := git.PlainOpen(dir)
	if err != nil {
		fmt.Fprintf(c.progress, "materialising example %s\n", name)
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, err
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), ".example-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		if _, err := examples.Materialize(name, tmp); err != nil {
			return nil, err
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, dir); err != nil {
			return nil, err
		}
		if repo, err = git.PlainOpen(dir); err != nil {
			return nil, err
		}
	}
	head, err := repo.Reference(plumbing.NewBranchReferenceName(examples.Branch), true)
	if err != nil {
		return nil, fmt.Errorf("example %s: %w", name, err)
	}
	return checkout(repo, dir, head.Hash())
}
