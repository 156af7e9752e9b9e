package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/store"
	"github.com/selfplay-swe/ssr/repos/docker"
)

func testStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSettleJob: every way a run ends is recorded, except losing the lease, which leaves the job to the
// process that took it (issue 11, items 3 and 6).
func TestSettleJob(t *testing.T) {
	cancelled := func() context.Context { ctx, cancel := context.WithCancel(context.Background()); cancel(); return ctx }
	lost := func() context.Context {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(fmt.Errorf("%w: 1@other@2 took it over", errLeaseLost))
		return ctx
	}
	for name, tc := range map[string]struct {
		ctx        context.Context
		runErr     error
		wantStatus store.JobStatus
		wantReason string
		wantErr    bool
	}{
		"finished":   {context.Background(), nil, store.JobFinished, "", false},
		"stopped":    {cancelled(), context.Canceled, store.JobStopped, "", false},
		"failed":     {context.Background(), errors.New("build far: clone: repository not found"), store.JobFailed, "build far: clone: repository not found", true},
		"lease lost": {lost(), context.Canceled, store.JobRunning, "", true},
	} {
		t.Run(name, func(t *testing.T) {
			st := testStore(t)
			ctx := context.Background()
			if err := st.CreateJob(ctx, store.Job{ID: "job-1", Name: "n", Owner: "1@h@1"}); err != nil {
				t.Fatal(err)
			}
			err := settleJob(tc.ctx, io.Discard, st, "job-1", "2@h@2", "jobs.db", tc.runErr)
			if (err != nil) != tc.wantErr {
				t.Errorf("settleJob = %v, want error %v", err, tc.wantErr)
			}
			j, _ := st.GetJob(ctx, "job-1")
			if j.Status != tc.wantStatus || j.Reason != tc.wantReason {
				t.Errorf("job %s %q, want %s %q", j.Status, j.Reason, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

// TestHoldLease: a live holder refuses a second process in one line naming it; a holder that is dead on
// this host is taken over at once.
func TestHoldLease(t *testing.T) {
	st := testStore(t)
	ctx := context.Background()
	self, err := docker.Self()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AcquireLease(ctx, "job-live", self.String(), leaseTTL); err != nil {
		t.Fatal(err)
	}
	other := self
	other.Host = self.Host + "-elsewhere" // a process on another host: alive as far as this host can tell
	_, _, err = holdLease(ctx, st, "job-live", other, io.Discard)
	if !errors.Is(err, store.ErrLeased) || !strings.HasPrefix(err.Error(), fmt.Sprintf("job job-live is already running in process %d on %s (last heartbeat ", self.PID, self.Host)) {
		t.Errorf("second process: %v, want one line naming the holder", err)
	}

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := docker.Owner{PID: gone.Process.Pid, Host: self.Host, Start: 1}
	if err := st.AcquireLease(ctx, "job-dead", dead.String(), leaseTTL); err != nil {
		t.Fatal(err)
	}
	l, jobCtx, err := holdLease(ctx, st, "job-dead", self, io.Discard)
	if err != nil {
		t.Fatalf("taking over from a dead holder: %v", err)
	}
	if got, _ := st.GetLease(ctx, "job-dead"); got.Owner != self.String() || jobCtx.Err() != nil {
		t.Errorf("lease %+v after take-over, want held by %s", got, self)
	}
	l.release()
	if _, err := st.GetLease(ctx, "job-dead"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("lease after release: %v, want none", err)
	}
}

// TestSettleJobWriteFails: a final status write that keeps failing is retried, then reported in one line
// that says the job shows as running until resumed.
func TestSettleJobWriteFails(t *testing.T) {
	defer func(b time.Duration) { statusBackoff = b }(statusBackoff)
	statusBackoff = time.Millisecond
	st := testStore(t)
	if err := st.CreateJob(context.Background(), store.Job{ID: "job-1", Name: "n", Owner: "1@h@1"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	err := settleJob(context.Background(), io.Discard, st, "job-1", "2@h@2", "jobs.db", nil)
	if err == nil || !strings.Contains(err.Error(), "record job job-1 as finished in jobs.db") || strings.Contains(err.Error(), "\n") {
		t.Errorf("settleJob on a closed store = %v, want one line saying the status was not recorded", err)
	}
}
