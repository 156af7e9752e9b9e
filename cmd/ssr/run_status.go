package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/selfplay-swe/ssr/arena"
	"github.com/selfplay-swe/ssr/arena/store"
)

// jobOutcome is the status a run of a job ends with: stopped when ctx was cancelled (SIGINT, SIGTERM) or
// limits.wall_time cut work that is still open (arena.ErrWallTime),
// failed when err says why, finished otherwise. lost reports that the job's lease was taken over: then
// this process records nothing.
func jobOutcome(ctx context.Context, err error) (status store.JobStatus, lost bool) {
	switch {
	case errors.Is(context.Cause(ctx), errLeaseLost):
		return store.JobRunning, true
	case err != nil && ctx.Err() != nil, errors.Is(err, arena.ErrWallTime):
		return store.JobStopped, false
	case err != nil:
		return store.JobFailed, false
	}
	return store.JobFinished, false
}

// statusTries and statusBackoff bound how hard the final status write is retried (beyond the store's own
// busy retry): a job whose status is never written stays "running" forever.
var (
	statusTries   = 4
	statusBackoff = 500 * time.Millisecond
)

// settleJob records how a run of the job ended, whatever the exit path once the job row exists, and
// returns the error the command exits with: nil for a clean stop, the run's error otherwise.
func settleJob(ctx context.Context, out io.Writer, st *store.Store, job, owner, dbPath string, runErr error) error {
	status, lost := jobOutcome(ctx, runErr)
	if lost {
		fmt.Fprintf(out, "job %s: %v; leaving it to that process\n", job, context.Cause(ctx))
		return context.Cause(ctx)
	}
	bg := context.WithoutCancel(ctx)
	write := func() error { return st.SetJobStatus(bg, job, status, owner) }
	switch status {
	case store.JobStopped:
		if errors.Is(runErr, arena.ErrWallTime) {
			fmt.Fprintf(out, "%v\n", runErr)
		}
		fmt.Fprintf(out, "stopped; continue with: ssr run --resume %s --db %s\n", job, dbPath)
		runErr = nil
	case store.JobFailed:
		write = func() error { return st.FailJob(bg, job, owner, runErr.Error()) }
	}
	var err error
	for try := range statusTries {
		if err = write(); err == nil {
			return runErr
		}
		time.Sleep(statusBackoff << try)
	}
	err = fmt.Errorf("record job %s as %s in %s: %w (it shows as running until resumed)", job, status, dbPath, err)
	if runErr != nil {
		return fmt.Errorf("%w; and %v", runErr, err)
	}
	return err
}
