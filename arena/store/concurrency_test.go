package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/sourcegraph/conc/pool"
)

// TestConcurrentAttempts records every attempt of many bugs twice, from many goroutines at once,
// while readers take counts: each attempt lands exactly once and every snapshot is consistent.
func TestConcurrentAttempts(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	const bugs, n = 20, 8
	for b := range bugs {
		seedBug(t, s, fmt.Sprintf("b%02d", b), "r1")
	}
	log := make([]byte, 4<<10)
	for i := range log {
		log[i] = "passed failed\n"[i%14]
	}

	var recorded, duplicates atomic.Int64
	done := make(chan struct{})
	readers := pool.New().WithErrors().WithMaxGoroutines(2)
	for range 2 {
		readers.Go(func() error {
			for snapshots := 0; ; snapshots++ {
				select {
				case <-done:
					if snapshots == 0 {
						return errors.New("reader took no snapshot")
					}
					return nil
				default:
				}
				c, err := s.Counts(ctx, "job-1")
				if err != nil {
					return err
				}
				if c.Attempts != c.Roles[RoleSolver].Episodes || c.Attempts > bugs*n {
					return fmt.Errorf("inconsistent snapshot: %d attempts, %d solver episodes", c.Attempts, c.Roles[RoleSolver].Episodes)
				}
			}
		})
	}

	writers := pool.New().WithErrors().WithMaxGoroutines(16)
	for round := range 2 {
		for b := range bugs {
			for i := range n {
				writers.Go(func() error {
					a, e := attempt(fmt.Sprintf("b%02d", b), i, (b+i)%3 == 0)
					a.ID += fmt.Sprint("-r", round)
					e.ID += fmt.Sprint("-r", round)
					err := s.RecordAttempt(ctx, a, e, RawLog{Kind: LogEval, Output: log})
					switch {
					case err == nil:
						recorded.Add(1)
					case errors.Is(err, ErrDuplicate):
						duplicates.Add(1)
					default:
						return err
					}
					return nil
				})
			}
		}
	}
	if err := writers.Wait(); err != nil {
		t.Fatal(err)
	}
	close(done)
	if err := readers.Wait(); err != nil {
		t.Fatal(err)
	}

	if recorded.Load() != bugs*n || duplicates.Load() != bugs*n {
		t.Errorf("recorded %d, duplicates %d; want %d each", recorded.Load(), duplicates.Load(), bugs*n)
	}
	c, err := s.Counts(ctx, "job-1")
	if err != nil {
		t.Fatal(err)
	}
	solved := 0
	for b := range bugs {
		for i := range n {
			if (b+i)%3 == 0 {
				solved++
			}
		}
	}
	if c.Attempts != bugs*n || c.Solved != solved || c.Roles[RoleSolver].Episodes != bugs*n {
		t.Errorf("counts %+v; want %d attempts, %d solved", c, bugs*n, solved)
	}
	var logs int
	s.r.QueryRow(`SELECT count(*) FROM raw_logs WHERE kind = 'eval'`).Scan(&logs)
	if logs != bugs*n {
		t.Errorf("%d eval logs, want %d (a duplicate's log leaked)", logs, bugs*n)
	}
	if needs, _ := s.BugsNeedingAttempts(ctx, "job-1", n); len(needs) != 0 {
		t.Errorf("%d bugs still need attempts", len(needs))
	}
}
