package patches

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkApply applies the same 20 diffs (random edits of Go source trees, made by `git diff`)
// with ApplyDir and with one `git apply` process per diff, as a harness would, and reports the
// time per diff of each and the ratio. Copying the tree before each apply is not timed.
// Run it with -benchtime 1x.
func BenchmarkApply(b *testing.B) {
	needGit(b)
	type item struct {
		old   map[string]entry
		text  []byte
		patch *Patch
	}
	var items []item
	for i := range 20 {
		rng := rand.New(rand.NewPCG(uint64(i), 0xbe4c))
		old, new := scenario(b, rng)
		text := gitDiff(b, b.TempDir(), old, new)
		p, err := ParseBytes(text)
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, item{old, text, p})
	}
	ctx := context.Background()
	var ours, theirs time.Duration
	n := 0
	b.ResetTimer()
	for range b.N {
		for i, it := range items {
			b.StopTimer()
			dir := b.TempDir()
			a, g := filepath.Join(dir, "ours"), filepath.Join(dir, "git")
			writeTree(b, a, it.old)
			writeTree(b, g, it.old)
			b.StartTimer()

			start := time.Now()
			if err := ApplyDir(ctx, a, it.patch); err != nil {
				b.Fatalf("diff %d: %v", i, err)
			}
			ours += time.Since(start)

			start = time.Now()
			if out, err := gitApplyCmd(g, it.text).CombinedOutput(); err != nil {
				b.Fatalf("git apply diff %d: %v %s", i, err, out)
			}
			theirs += time.Since(start)
			n++
		}
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "ns/diff-ApplyDir")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(n), "ns/diff-git-apply")
	b.ReportMetric(float64(theirs)/float64(ours), "x-faster-than-git")
}

// BenchmarkDiff measures DiffMaps on a pair of trees like those of BenchmarkApply.
func BenchmarkDiff(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	old, new := scenario(b, rng)
	om, nm := map[string][]byte{}, map[string][]byte{}
	for k, v := range old {
		om[k] = v.data
	}
	for k, v := range new {
		nm[k] = v.data
	}
	b.ResetTimer()
	for range b.N {
		if _, err := DiffMaps(om, nm); err != nil {
			b.Fatal(err)
		}
	}
}
