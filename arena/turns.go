package arena

import (
	"context"
	"errors"
	"fmt"

	"github.com/selfplay-swe/ssr/arena/store"
)

// ErrWallTime is returned by Runner.Run when limits.wall_time ended a run of the job with work still open
// (an artifact without a verdict, a bug missing attempts): nothing is lost, `ssr run --resume` finishes it.
var ErrWallTime = errors.New("the job's wall_time ran out with work open")

// Wall time. limits.wall_time bounds each run of the job (ssr run, and each --resume) as a context deadline,
// so work in flight at the limit stops at once, the way SIGTERM stops it: an injector episode or a solver
// attempt cut short records nothing and is played again; a proposed artifact keeps waiting for its verdict,
// a bug for its missing attempts, and the next run (--resume) does them first.

// wallTimeEnd says how a run whose ctx (with the wall-time deadline) ended stops: parent's error when the
// job was stopped from outside, nil when the wall time came with no work open, ErrWallTime otherwise.
func (r *Runner) wallTimeEnd(parent context.Context, ctx context.Context) error {
	if parent.Err() != nil || !errors.Is(context.Cause(ctx), errWallTimeCause) {
		return ctx.Err()
	}
	bg := context.WithoutCancel(parent)
	pending, err := r.Store.PendingArtifacts(bg, r.job())
	if err != nil {
		return err
	}
	needs, err := r.Store.BugsNeedingAttempts(bg, r.job(), r.Arena.cfg.NAttempts)
	if err != nil {
		return err
	}
	finish, err := r.Store.BugsToFinish(bg, r.job(), r.Arena.cfg.NAttempts)
	if err != nil {
		return err
	}
	if n := len(pending) + len(needs) + len(finish); n > 0 {
		return fmt.Errorf("%w: %d artifact(s) without a verdict, %d bug(s) missing attempts, %d bug(s) without rewards", ErrWallTime,
			len(pending), len(needs), len(finish))
	}
	return nil
}

// errWallTimeCause is the cause of the wall-time deadline, telling it from a stop from outside.
var errWallTimeCause = errors.New("limits.wall_time reached")

// Fair turns. Repositories take turns at injector episodes: the next episode goes to the repository with the
// fewest injector episodes in the job so far (the store's count, so a resumed job goes on fairly), the
// config's order breaking ties; and order-2 work waits until every repository has had an injector episode,
// so that no repository gets a second bug before every one has had its first chance.

// loadTurns counts the job's injector episodes per repository.
func (r *Runner) loadTurns(ctx context.Context) error {
	eps, err := r.Store.ListEpisodes(ctx, r.job(), store.EpisodeFilter{Role: store.RoleInjector})
	if err != nil {
		return err
	}
	r.turns = map[string]int{}
	for _, e := range eps {
		r.turns[e.Repo]++
	}
	return nil
}

// nextRepo is the repository whose turn it is, counted as having had it.
func (r *Runner) nextRepo() *Repo {
	next := r.Repos[0]
	for _, repo := range r.Repos[1:] {
		if r.turns[repo.Name] < r.turns[next.Name] {
			next = repo
		}
	}
	r.turns[next.Name]++
	return next
}

// everyRepoHadATurn reports whether every repository has had an injector episode.
func (r *Runner) everyRepoHadATurn() bool {
	for _, repo := range r.Repos {
		if r.turns[repo.Name] == 0 {
			return false
		}
	}
	return true
}
