package store

import (
	"context"
	"database/sql"
	"fmt"
)

// RecentSolves counts the job's last n solver attempts (by the time they finished) and how many of them
// succeeded: the recent solve rate the native injector's curriculum follows.
func (s *Store) RecentSolves(ctx context.Context, job string, n int) (attempts, solved int, err error) {
	err = s.read(ctx, "recent solves of job "+job, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(success), 0) FROM (
			SELECT t.success FROM attempts t JOIN bugs b ON b.id = t.bug_id WHERE b.job = ?
			ORDER BY t.finished DESC, t.id DESC LIMIT ?)`, job, n).Scan(&attempts, &solved)
		if err != nil {
			return fmt.Errorf("store: recent solves of job %s: %w", job, err)
		}
		return nil
	})
	return attempts, solved, err
}
