package patches

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestAgainstGit checks, on random trees built from Go source text, that
//   - ApplyDir of `git diff` output gives the same tree as `git apply` (and the expected new tree),
//   - applying the Reverse of that patch restores the original tree,
//   - a patch made by DiffTrees is accepted by `git apply` and yields the new tree,
//   - rendering a parsed patch gives text that `git apply` accepts.
func TestAgainstGit(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	for i := range 30 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 0x55a))
			old, new := scenario(t, rng)
			dir := t.TempDir()
			patchText := gitDiff(t, dir, old, new)
			p, err := ParseBytes(patchText)
			if err != nil {
				t.Fatalf("parse git diff: %v\n%s", err, patchText)
			}

			want := filepath.Join(dir, "want")
			writeTree(t, want, new)
			oldDir := filepath.Join(dir, "old")
			writeTree(t, oldDir, old)
			wantSnap, oldSnap := snapshot(t, want), snapshot(t, oldDir)

			ours := filepath.Join(dir, "ours")
			writeTree(t, ours, old)
			if err := ApplyDir(ctx, ours, p); err != nil {
				t.Fatalf("ApplyDir: %v\n%s", err, patchText)
			}
			theirs := filepath.Join(dir, "theirs")
			writeTree(t, theirs, old)
			gitApply(t, theirs, patchText)
			if d := diffSnapshots(snapshot(t, ours), snapshot(t, theirs)); d != "" {
				t.Fatalf("ApplyDir and git apply differ:\n%s\npatch:\n%s", d, patchText)
			}
			if d := diffSnapshots(snapshot(t, ours), wantSnap); d != "" {
				t.Fatalf("ApplyDir result differs from the new tree:\n%s", d)
			}

			if err := ApplyDir(ctx, ours, Reverse(p)); err != nil {
				t.Fatalf("ApplyDir(Reverse): %v\nreverse:\n%s", err, Reverse(p))
			}
			if d := diffSnapshots(snapshot(t, ours), oldSnap); d != "" {
				t.Fatalf("Reverse did not restore the tree:\n%s", d)
			}

			mine, err := DiffTrees(oldDir, want)
			if err != nil {
				t.Fatal(err)
			}
			viaGit := filepath.Join(dir, "viagit")
			writeTree(t, viaGit, old)
			gitApply(t, viaGit, mine.Bytes())
			if d := diffSnapshots(snapshot(t, viaGit), wantSnap); d != "" {
				t.Fatalf("git apply of DiffTrees output differs from the new tree:\n%s\npatch:\n%s", d, mine)
			}

			rendered := filepath.Join(dir, "rendered")
			writeTree(t, rendered, old)
			gitApply(t, rendered, p.Bytes())
			if d := diffSnapshots(snapshot(t, rendered), wantSnap); d != "" {
				t.Fatalf("git apply of the re-rendered patch differs:\n%s", d)
			}
		})
	}
}

// TestOffsetAgainstGit shifts the files a `git diff` was made against (lines inserted or removed
// near the top) and checks that ApplyDir finds the hunks where `git apply` does, or fails where
// it fails.
func TestOffsetAgainstGit(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 0x0ff5))
			old, new := scenario(t, rng)
			dir := t.TempDir()
			patchText := gitDiff(t, dir, old, new)
			p, err := ParseBytes(patchText)
			if err != nil {
				t.Fatal(err)
			}
			shifted := map[string]entry{}
			for k, e := range old {
				lines := splitLines(e.data)
				if len(lines) > 20 && rng.IntN(2) == 0 {
					at := 5 + rng.IntN(10)
					if rng.IntN(3) == 0 {
						lines = append(lines[:at:at], lines[at+1+rng.IntN(3):]...)
					} else {
						lines = append(lines[:at:at], append([]string{"// shifted 1\n", "// shifted 2\n"}, lines[at:]...)...)
					}
				}
				shifted[k] = entry{data: []byte(joinLines(lines)), mode: e.mode}
			}
			ours := filepath.Join(dir, "ours")
			writeTree(t, ours, shifted)
			ourErr := ApplyDir(ctx, ours, p)
			theirs := filepath.Join(dir, "theirs")
			writeTree(t, theirs, shifted)
			cmd := gitApplyCmd(theirs, patchText)
			out, gitErr := cmd.CombinedOutput()
			if (ourErr == nil) != (gitErr == nil) {
				t.Fatalf("ApplyDir error %v, git apply error %v %s\npatch:\n%s", ourErr, gitErr, out, patchText)
			}
			if ourErr == nil {
				if d := diffSnapshots(snapshot(t, ours), snapshot(t, theirs)); d != "" {
					t.Fatalf("ApplyDir and git apply differ:\n%s", d)
				}
			} else if d := diffSnapshots(snapshot(t, ours), snapshotOf(t, dir, shifted)); d != "" {
				t.Fatalf("failed ApplyDir changed the tree:\n%s", d)
			}
		})
	}
}
