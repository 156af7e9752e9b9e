package store

import (
	"context"
	"testing"
)

// TestRecentSolves: only the last n attempts count, newest first, and a job without attempts has none.
func TestRecentSolves(t *testing.T) {
	s := openTest(t)
	seedJob(t, s)
	ctx := context.Background()
	if n, k, err := s.RecentSolves(ctx, "job-1", 4); err != nil || n != 0 || k != 0 {
		t.Fatalf("RecentSolves on a job without attempts = %d, %d, %v; want 0, 0, nil", n, k, err)
	}
	seedBug(t, s, "bug-1", "r1")
	// Oldest first: two failures, then three successes.
	for i, ok := range []bool{false, false, true, true, true} {
		a, ep := attempt("bug-1", i, ok)
		if err := s.RecordAttempt(ctx, a, ep); err != nil {
			t.Fatal(err)
		}
	}
	tests := map[string]struct{ n, wantN, wantSolved int }{
		"the last three":      {3, 3, 3},
		"the last four":       {4, 4, 3},
		"more than there are": {10, 5, 3},
		"none asked":          {0, 0, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			n, k, err := s.RecentSolves(ctx, "job-1", tc.n)
			if err != nil || n != tc.wantN || k != tc.wantSolved {
				t.Errorf("RecentSolves(%d) = %d, %d, %v; want %d, %d", tc.n, n, k, err, tc.wantN, tc.wantSolved)
			}
		})
	}
	if n, _, err := s.RecentSolves(ctx, "job-other", 10); err != nil || n != 0 {
		t.Errorf("another job's attempts = %d, %v; want 0", n, err)
	}
}
