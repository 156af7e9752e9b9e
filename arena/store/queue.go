package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// The queries in this file derive what a job still has to do from what it has recorded, so that
// a job killed at any point and resumed neither loses nor repeats a unit of work.

// PendingArtifacts returns a job's artifacts that were proposed but have no validation report,
// oldest first.
func (s *Store) PendingArtifacts(ctx context.Context, job string) ([]Artifact, error) {
	return queryAll(ctx, s, "pending artifacts of job "+job, scanArtifact,
		`SELECT `+artifactCols+` FROM artifacts a WHERE a.job = ?
		 AND NOT EXISTS (SELECT 1 FROM validations v WHERE v.artifact_id = a.id)
		 ORDER BY a.created, a.id`, job)
}

// BugNeed is a bug that lacks some of its attempts.
type BugNeed struct {
	Bug     Bug   `json:"bug"`
	Missing []int `json:"missing"` // attempt indexes in 0..n-1 not yet recorded, ascending
}

// BugsNeedingAttempts returns a job's unfinished bugs that have fewer than n attempts recorded,
// with the attempt indexes still missing, oldest bug first.
func (s *Store) BugsNeedingAttempts(ctx context.Context, job string, n int) ([]BugNeed, error) {
	all, err := s.unfinishedBugs(ctx, job, n)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, b := range all {
		if len(b.Missing) > 0 {
			out = append(out, b)
		}
	}
	return out, nil
}

// BugsToFinish returns a job's bugs that have all n attempts recorded but are not yet done
// (the job stopped before [Store.FinishBug]), oldest first.
func (s *Store) BugsToFinish(ctx context.Context, job string, n int) ([]Bug, error) {
	all, err := s.unfinishedBugs(ctx, job, n)
	if err != nil {
		return nil, err
	}
	var out []Bug
	for _, b := range all {
		if len(b.Missing) == 0 {
			out = append(out, b.Bug)
		}
	}
	return out, nil
}

func (s *Store) unfinishedBugs(ctx context.Context, job string, n int) ([]BugNeed, error) {
	if n < 1 {
		return nil, fmt.Errorf("store: bugs of job %s: %w: %d attempts per bug (want at least 1)", job, ErrInvalid, n)
	}
	return queryAll(ctx, s, "unfinished bugs of job "+job, func(r rowScanner) (BugNeed, error) {
		var x bugRow
		var have string
		if err := r.Scan(append(x.dest(), &have)...); err != nil {
			return BugNeed{}, err
		}
		b, err := x.bug()
		if err != nil {
			return BugNeed{}, err
		}
		var idx []int
		if err := json.Unmarshal([]byte(have), &idx); err != nil {
			return BugNeed{}, err
		}
		seen := make(map[int]bool, len(idx))
		for _, i := range idx {
			seen[i] = true
		}
		need := BugNeed{Bug: b}
		for i := range n {
			if !seen[i] {
				need.Missing = append(need.Missing, i)
			}
		}
		return need, nil
	}, `SELECT `+bugCols+`, (SELECT json_group_array(t.idx) FROM attempts t WHERE t.bug_id = b.id)
		FROM bugs b WHERE b.job = ? AND b.status != 'done' ORDER BY b.created, b.id`, job)
}

// Order2Candidate is a failed first-order attempt that changed the code: with its prediction
// applied on top of the bug it may become an order-2 bug.
type Order2Candidate struct {
	Bug     Bug     `json:"bug"`
	Attempt Attempt `json:"attempt"`
}

// Order2Candidates returns a job's failed first-order attempts with a non-empty prediction that
// no artifact has been built from yet (an artifact names its source in ParentAttempt), in the
// order they finished.
func (s *Store) Order2Candidates(ctx context.Context, job string) ([]Order2Candidate, error) {
	return queryAll(ctx, s, "order-2 candidates of job "+job, func(r rowScanner) (Order2Candidate, error) {
		var b bugRow
		var t attemptRow
		if err := r.Scan(append(b.dest(), t.dest()...)...); err != nil {
			return Order2Candidate{}, err
		}
		bug, err1 := b.bug()
		att, err2 := t.attempt()
		return Order2Candidate{Bug: bug, Attempt: att}, errors.Join(err1, err2)
	}, `SELECT `+bugCols+`, `+attemptCols+` FROM attempts t JOIN bugs b ON b.id = t.bug_id
		WHERE b.job = ? AND b.ord = 1 AND t.success = 0 AND t.prediction != ''
		AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.parent_attempt = t.id)
		ORDER BY t.finished, t.id`, job)
}

// Counts summarises a job.
type Counts struct {
	Artifacts int                 `json:"artifacts"` // proposed
	Pending   int                 `json:"pending"`   // proposed, not yet validated
	Valid     int                 `json:"valid"`
	Rejected  int                 `json:"rejected"`
	Bugs      int                 `json:"bugs"`
	Order2    int                 `json:"order2"` // bugs of order 2
	BugsDone  int                 `json:"bugs_done"`
	Attempts  int                 `json:"attempts"`
	Solved    int                 `json:"solved"` // successful attempts
	Roles     map[Role]RoleCounts `json:"roles"`
}

// RoleCounts summarises a job's episodes in one role.
type RoleCounts struct {
	Episodes   int     `json:"episodes"`
	Rewarded   int     `json:"rewarded"`    // episodes with a reward so far
	MeanReward float64 `json:"mean_reward"` // over the rewarded episodes; 0 when none
}

// Counts summarises a job from one consistent snapshot of the database.
func (s *Store) Counts(ctx context.Context, job string) (Counts, error) {
	var c Counts
	err := s.read(ctx, "counts of job "+job, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM artifacts WHERE job = ?1),
			(SELECT count(*) FROM artifacts a WHERE job = ?1 AND NOT EXISTS (SELECT 1 FROM validations v WHERE v.artifact_id = a.id)),
			(SELECT count(*) FROM validations v JOIN artifacts a ON a.id = v.artifact_id WHERE a.job = ?1 AND v.valid),
			(SELECT count(*) FROM validations v JOIN artifacts a ON a.id = v.artifact_id WHERE a.job = ?1 AND NOT v.valid),
			(SELECT count(*) FROM bugs WHERE job = ?1),
			(SELECT count(*) FROM bugs WHERE job = ?1 AND ord = 2),
			(SELECT count(*) FROM bugs WHERE job = ?1 AND status = 'done'),
			(SELECT count(*) FROM attempts t JOIN bugs b ON b.id = t.bug_id WHERE b.job = ?1),
			(SELECT count(*) FROM attempts t JOIN bugs b ON b.id = t.bug_id WHERE b.job = ?1 AND t.success)`, job).
			Scan(&c.Artifacts, &c.Pending, &c.Valid, &c.Rejected, &c.Bugs, &c.Order2, &c.BugsDone, &c.Attempts, &c.Solved)
		if err != nil {
			return fmt.Errorf("store: counts of job %s: %w", job, err)
		}
		c.Roles = map[Role]RoleCounts{}
		rows, err := tx.QueryContext(ctx, `SELECT role, count(*), count(reward), coalesce(avg(reward), 0)
			FROM episodes WHERE job = ? GROUP BY role`, job)
		if err != nil {
			return fmt.Errorf("store: counts of job %s: %w", job, err)
		}
		defer rows.Close()
		for rows.Next() {
			var role string
			var rc RoleCounts
			if err := rows.Scan(&role, &rc.Episodes, &rc.Rewarded, &rc.MeanReward); err != nil {
				return fmt.Errorf("store: counts of job %s: %w", job, err)
			}
			c.Roles[Role(role)] = rc
		}
		return rows.Err()
	})
	return c, err
}
