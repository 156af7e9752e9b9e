package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ListArtifacts returns a job's artifacts in the order they were proposed: first-order artifacts come
// before the order-2 artifacts built from their attempts.
func (s *Store) ListArtifacts(ctx context.Context, job string) ([]Artifact, error) {
	return queryAll(ctx, s, "artifacts of job "+job, scanArtifact,
		`SELECT `+artifactCols+` FROM artifacts a WHERE job = ? ORDER BY created, id`, job)
}

// BugOfArtifact returns the bug a valid artifact became.
func (s *Store) BugOfArtifact(ctx context.Context, artifactID string) (Bug, error) {
	b, err := scanBug(s.r.QueryRowContext(ctx, `SELECT `+bugCols+` FROM bugs b WHERE b.artifact_id = ?`, artifactID))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("store: bug of artifact %s: %w", artifactID, ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("store: bug of artifact %s: %w", artifactID, err)
	}
	return b, nil
}

// Regrade is a set of verdicts recomputed from stored raw logs, written by [Store.ApplyRegrade] in one
// transaction.
type Regrade struct {
	// Validations replace the stored reports on their artifacts (valid, reason, step, F2P, P2P, notes;
	// durations and logs are kept).
	Validations []Validation
	// NewBugs are bugs of artifacts that a regrade found valid where they were rejected: recorded open, so
	// that resuming the job runs their attempts.
	NewBugs []Bug
	// Bugs replace a bug's F2P, P2P, solve rate and injector reward.
	Bugs []Bug
	// Attempts replace an attempt's success, reward and details.
	Attempts []Attempt
	// Rewards set an episode's reward (the injector's and the solvers').
	Rewards map[string]float64
	// Advantages set an episode's advantage.
	Advantages map[string]float64
}

// Empty reports whether the regrade changes nothing.
func (r *Regrade) Empty() bool {
	return len(r.Validations) == 0 && len(r.NewBugs) == 0 && len(r.Bugs) == 0 && len(r.Attempts) == 0 &&
		len(r.Rewards) == 0 && len(r.Advantages) == 0
}

// ApplyRegrade writes re-graded verdicts in one transaction: either all of them are stored or none.
func (s *Store) ApplyRegrade(ctx context.Context, r Regrade) error {
	return s.write(ctx, "apply regrade", func(tx *sql.Tx) error {
		must := func(res sql.Result, what string) error {
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("store: apply regrade: %s: %w", what, ErrNotFound)
			}
			return nil
		}
		for _, v := range r.Validations {
			what := "validation of artifact " + v.ArtifactID
			notes, err := jsonDoc("notes", v.Notes)
			if err != nil {
				return fmt.Errorf("store: apply regrade: %s: %w", what, err)
			}
			res, err := execTx(ctx, tx, what, `UPDATE validations SET valid = ?, reason = ?, step = ?, f2p = ?, p2p = ?, notes = ?
				WHERE artifact_id = ?`, v.Valid, v.Reason, v.Step, strList(v.F2P), strList(v.P2P), notes, v.ArtifactID)
			if err != nil {
				return err
			}
			if err := must(res, what); err != nil {
				return err
			}
		}
		for i := range r.NewBugs {
			b := r.NewBugs[i]
			a, err := getArtifact(ctx, tx, b.ArtifactID)
			if err != nil {
				return err
			}
			b.Job, b.Repo, b.Order, b.ParentBug, b.ParentAttempt = a.Job, a.Repo, a.Order, a.ParentBug, a.ParentAttempt
			b.Status = BugOpen
			if err := s.insertBug(ctx, tx, &b); err != nil {
				return err
			}
		}
		for _, b := range r.Bugs {
			what := "bug " + b.ID
			res, err := execTx(ctx, tx, what, `UPDATE bugs SET f2p = ?, p2p = ?, solve_rate = ?, injector_reward = ?, updated = ?
				WHERE id = ?`, strList(b.F2P), strList(b.P2P), nullFloat(b.SolveRate), nullFloat(b.InjectorReward), formatTime(s.now()), b.ID)
			if err != nil {
				return err
			}
			if err := must(res, what); err != nil {
				return err
			}
		}
		for _, a := range r.Attempts {
			what := "attempt " + a.ID
			details, err := jsonDoc("details", a.Details)
			if err != nil {
				return fmt.Errorf("store: apply regrade: %s: %w", what, err)
			}
			res, err := execTx(ctx, tx, what, `UPDATE attempts SET success = ?, reward = ?, details = ? WHERE id = ?`,
				a.Success, a.Reward, details, a.ID)
			if err != nil {
				return err
			}
			if err := must(res, what); err != nil {
				return err
			}
		}
		for _, set := range []struct {
			col string
			m   map[string]float64
		}{{"reward", r.Rewards}, {"advantage", r.Advantages}} {
			for id, v := range set.m {
				what := set.col + " of episode " + id
				res, err := execTx(ctx, tx, what, `UPDATE episodes SET `+set.col+` = ? WHERE id = ?`, v, id)
				if err != nil {
					return err
				}
				if err := must(res, what); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
