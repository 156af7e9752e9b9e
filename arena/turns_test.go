package arena

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/store"
)

// TestNextRepoTakesTurns: the repository with the fewest injector episodes goes next, config order breaking
// ties, from the counts a resumed job starts with; order-2 work waits for every repository's first turn.
func TestNextRepoTakesTurns(t *testing.T) {
	for name, tc := range map[string]struct {
		turns map[string]int
		want  []string
	}{
		"fresh job":           {turns: map[string]int{}, want: []string{"a", "b", "c", "a", "b", "c"}},
		"resumed unevenly":    {turns: map[string]int{"a": 3, "b": 1}, want: []string{"c", "b", "c", "b", "c", "a"}},
		"one repo far behind": {turns: map[string]int{"a": 5, "b": 5}, want: []string{"c", "c", "c", "c", "c", "a"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := &Runner{Repos: []*Repo{{Name: "a"}, {Name: "b"}, {Name: "c"}}, turns: tc.turns}
			var got []string
			for range tc.want {
				got = append(got, r.nextRepo().Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("turns %v, want %v", got, tc.want)
			}
			if !r.everyRepoHadATurn() {
				t.Fatal("every repository had a turn, but order-2 work is still held back")
			}
		})
	}
	r := &Runner{Repos: []*Repo{{Name: "a"}, {Name: "b"}}, turns: map[string]int{"a": 2}}
	if r.everyRepoHadATurn() {
		t.Fatal("order-2 work allowed before b had an injector episode")
	}
}

// TestWallTimeBoundsTheJob: limits.wall_time stops work in flight at the limit (not at the end of the unit
// of work), every repository gets an injector episode before any gets a second bug, and what the limit cut
// short is finished by the next run of the job, nothing lost.
func TestWallTimeBoundsTheJob(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job")
	}
	f := withExamples(t)
	cfg := e2eConfig()
	cfg.Limits = Limits{WallTime: 25 * time.Second}
	cfg.Arena.Order2Share = 1
	st := openStore(t, filepath.Join(t.TempDir(), "jobs.db"), f.job, cfg)
	ctx := context.Background()
	start := time.Now()
	err := newRunner(f.arena(cfg.Arena), st, f.repos, cfg).Run(ctx)
	took := time.Since(start)
	if err != nil && !errors.Is(err, ErrWallTime) {
		t.Fatalf("run: %v", err)
	}
	if took > cfg.Limits.WallTime+20*time.Second {
		t.Fatalf("a 25s wall_time ran %s", took)
	}
	eps, err := st.ListEpisodes(ctx, f.job, store.EpisodeFilter{Role: store.RoleInjector})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range eps {
		seen[e.Repo] = true
	}
	if len(eps) >= len(f.repos) && len(seen) != len(f.repos) {
		t.Fatalf("%d injector episodes on %v: every repository should have had one", len(eps), seen)
	}
	// The next run (--resume) finishes what the limit cut: nothing pending is left behind.
	cfg.Limits = Limits{Proposed: len(eps) + 1, WallTime: 10 * time.Minute}
	if err := newRunner(f.arena(cfg.Arena), st, f.repos, cfg).Run(ctx); err != nil {
		t.Fatalf("resume: %v", err)
	}
	checkBookkeeping(t, st, f.job, cfg.Arena.NAttempts)
}
