package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Failure is a unit of work that failed for a reason outside the protocol (a plugin that crashed, an engine
// error): the job records it and goes on.
type Failure struct {
	ID      int64     `json:"id"`
	Job     string    `json:"job"`
	Unit    string    `json:"unit"` // what failed, e.g. "injector on pyledger", "attempt 3 on bug-…"
	Error   string    `json:"error"`
	Created time.Time `json:"created"`
}

// RecordFailure records one failed unit of work.
func (s *Store) RecordFailure(ctx context.Context, f Failure) error {
	if f.Job == "" || strings.TrimSpace(f.Unit) == "" {
		return fmt.Errorf("store: record failure: %w: job and unit are required", ErrInvalid)
	}
	return s.write(ctx, "record failure of "+f.Unit, func(tx *sql.Tx) error {
		_, err := execTx(ctx, tx, "record failure", `INSERT INTO failures (job, unit, error, created) VALUES (?, ?, ?, ?)`,
			f.Job, f.Unit, f.Error, formatTime(s.now()))
		return err
	})
}

// Failures returns a job's recorded failures, oldest first (at most limit; 0 for all).
func (s *Store) Failures(ctx context.Context, job string, limit int) ([]Failure, error) {
	if limit <= 0 {
		limit = -1
	}
	return queryAll(ctx, s, "failures of job "+job, func(r rowScanner) (Failure, error) {
		var f Failure
		var created string
		if err := r.Scan(&f.ID, &f.Job, &f.Unit, &f.Error, &created); err != nil {
			return f, err
		}
		var err error
		f.Created, err = parseTime(created)
		return f, err
	}, `SELECT id, job, unit, error, created FROM failures WHERE job = ? ORDER BY id LIMIT ?`, job, limit)
}
