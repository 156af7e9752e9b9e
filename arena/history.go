package arena

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// maxHistoryChanges bounds how many past changes the history strategy offers.
const maxHistoryChanges = 200

// historyCandidates offers reverting one source file's change from a past commit (a commit with one
// parent), applied to the file as the episode has it.
func historyCandidates(ctx context.Context, repo *Repo) ([]candidate, error) {
	r, err := git.PlainOpen(repo.Dir)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", repo.Name, err)
	}
	iter, err := r.Log(&git.LogOptions{})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", repo.Name, err)
	}
	sources := map[string]bool{}
	for _, f := range repo.sources() {
		sources[f] = true
	}
	var out []candidate
	err = iter.ForEach(func(c *object.Commit) error {
		if c.NumParents() != 1 || len(out) > maxHistoryChanges {
			return nil
		}
		parent, err := c.Parent(0)
		if err != nil {
			return err
		}
		pt, err1 := parent.Tree()
		ct, err2 := c.Tree()
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		diffs, err := object.DiffTreeWithOptions(ctx, pt, ct, nil)
		if err != nil {
			return err
		}
		for _, d := range diffs {
			if d.From.Name == "" || d.To.Name == "" || d.From.Name != d.To.Name || !sources[d.To.Name] {
				continue
			}
			before, err1 := blobText(pt, d.From.Name)
			after, err2 := blobText(ct, d.To.Name)
			if errors.Join(err1, err2) != nil {
				continue
			}
			fwd, err := patches.Diff(d.To.Name, []byte(before), []byte(after))
			if err != nil || len(fwd.Files) == 0 {
				continue
			}
			hash, file := c.Hash.String(), d.To.Name
			out = append(out, candidate{
				Candidate: agent.Candidate{Kind: StrategyHistory, File: file, Commit: hash,
					Description: fmt.Sprintf("revert %s's change to %s", hash[:12], file)},
				change: revertChange(file, hash, fwd),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", repo.Name, err)
	}
	return out, nil
}

// revertChange undoes a commit's change to one file; the file may have moved on since, and then it refuses.
func revertChange(file, hash string, fwd *patches.Patch) func(context.Context, []byte) ([]byte, string, string, error) {
	return func(_ context.Context, src []byte) ([]byte, string, string, error) {
		out, err := patches.ApplyMap(map[string][]byte{file: src}, patches.Reverse(fwd))
		if err != nil {
			return nil, "", fmt.Sprintf("%s's change to %s no longer applies in reverse: %v", hash[:12], file, err), nil
		}
		return out[file], fmt.Sprintf("reverted %s's change to %s", hash[:12], file), "", nil
	}
}

func blobText(t *object.Tree, name string) (string, error) {
	f, err := t.File(name)
	if err != nil {
		return "", err
	}
	r, err := f.Reader()
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

// pruneScript leaves the repository in the work directory with the history up to commit $1 and nothing
// later: every ref that does not lead to an ancestor of it (branches, tags, remotes, stash) is deleted, the
// reflogs are emptied, and what is unreachable then is pruned, so that no later commit (the fix of a bug
// the injector might reintroduce, say) can be found with git log --all or in the reflog.
const pruneScript = `set -e
c=$(git rev-parse --verify "$1^{commit}")
pruned=0
for ref in $(git for-each-ref --format='%(refname)'); do
  if ! git merge-base --is-ancestor "$ref" "$c" 2>/dev/null; then
    git update-ref -d "$ref"
    pruned=1
  fi
done
rm -f .git/FETCH_HEAD .git/ORIG_HEAD .git/MERGE_HEAD .git/CHERRY_PICK_HEAD
git reflog expire --expire=now --expire-unreachable=now --all
rm -rf .git/logs
if [ "$pruned" = 1 ]; then git gc -q --prune=now; fi`

// writableMark is what pruneHistory's exec prints when the directory it checks is the user's to write.
const writableMark = "ssr: writable"

// pruneHistory applies pruneScript in a sandbox's repository and, in the same exec, reports whether dir
// (when not "") is a directory the sandbox's user can write.
func pruneHistory(ctx context.Context, sb sandbox.Sandbox, commit, dir string) (writable bool, err error) {
	if commit == "" {
		commit = "HEAD"
	}
	script := pruneScript + "\nif [ -n \"$2\" ] && [ -d \"$2\" ] && [ -w \"$2\" ]; then echo '" + writableMark + "'; fi"
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", script, "prune", commit, dir}, Dir: sandbox.DefaultWorkdir})
	if err != nil {
		return false, fmt.Errorf("history up to %s: %w", commit, err)
	}
	if !res.OK() {
		return false, fmt.Errorf("history up to %s: exit %d: %s", commit, res.ExitCode, tail(res.Stderr, 300))
	}
	return strings.TrimSpace(string(res.Stdout)) == writableMark, nil
}
