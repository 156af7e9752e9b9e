package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/selfplay-swe/ssr/agent"
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

// SiteKey is how RecentBugSites names a site: the file and the enclosing function ("" outside one).
func SiteKey(file, function string) string { return file + "\x00" + function }

// RecentBugSites counts, over the job's last n first-order bugs on repo (by when they became bugs), the
// sites their injector episodes changed, by SiteKey: the candidates applied, without error, since each
// episode's last revert (what its hand-in was made of). Bugs whose injector episode chose no candidates
// (an agent that writes code) count nothing. The native injector's spread prior reads it.
func (s *Store) RecentBugSites(ctx context.Context, job, repo string, n int) (map[string]int, error) {
	out := map[string]int{}
	err := s.read(ctx, "recent bug sites of job "+job, func(tx *sql.Tx) error {
		clear(out)
		rows, err := tx.QueryContext(ctx, `SELECT e.id, t.value->>'$.action.tool',
			coalesce(t.value->>('$.action.decision.rows[' || (t.value->>'$.action.decision.chosen') || '].file'), ''),
			coalesce(t.value->>('$.action.decision.rows[' || (t.value->>'$.action.decision.chosen') || '].function'), '')
			FROM (SELECT artifact_id FROM bugs WHERE job = ? AND repo = ? AND ord = 1 ORDER BY created DESC, id DESC LIMIT ?) b
			JOIN episodes e ON e.artifact_id = b.artifact_id AND e.role = 'injector'
			JOIN json_each(e.turns) t
			WHERE t.value->>'$.action.tool' IN (?, ?) AND t.value->>'$.result.error' IS NULL
			ORDER BY e.id, t.key`, job, repo, n, agent.ToolApply, agent.ToolRevert)
		if err != nil {
			return fmt.Errorf("store: recent bug sites of job %s on %s: %w", job, repo, err)
		}
		defer rows.Close()
		var ep string
		var since []string // the episode's sites since its last revert
		flush := func() {
			for _, k := range since {
				out[k]++
			}
			since = since[:0]
		}
		for rows.Next() {
			var id, tool, file, function string
			if err := rows.Scan(&id, &tool, &file, &function); err != nil {
				return fmt.Errorf("store: recent bug sites of job %s on %s: %w", job, repo, err)
			}
			if id != ep {
				flush()
				ep = id
			}
			switch {
			case tool == agent.ToolRevert:
				since = since[:0]
			case file != "":
				since = append(since, SiteKey(file, function))
			}
		}
		flush()
		return rows.Err()
	})
	return out, err
}
