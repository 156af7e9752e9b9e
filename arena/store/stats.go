package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Stats summarises a job for tables and plots, each part one aggregate query.
type Stats struct {
	Artifacts  int           `json:"artifacts"`
	Validated  int           `json:"validated"`
	Valid      int           `json:"valid"`
	Rejections []Count       `json:"rejections"`   // rejected artifacts by the step that rejected them
	Mix        []MixRow      `json:"strategy_mix"` // artifacts by strategy and order
	F2PSizes   []Count       `json:"f2p_sizes"`    // bugs by number of F2P tests
	ByPolicy   []RoleBucket  `json:"by_policy"`    // per role and policy version
	ByHour     []RoleBucket  `json:"by_hour"`      // per role and hour the episode started (UTC)
	TestTime   []DurationRow `json:"test_time"`    // test-run time by log kind
	Wall       []DurationRow `json:"episode_time"` // episodes' wall time by role
}

// Count is a labelled count.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"n"`
}

// MixRow counts a strategy and order's artifacts and how many were valid.
type MixRow struct {
	Strategy string `json:"strategy"`
	Order    int    `json:"order"`
	N        int    `json:"n"`
	Valid    int    `json:"valid"`
}

// RoleBucket is one role's episodes in one bucket (a policy version or an hour).
type RoleBucket struct {
	Role       Role    `json:"role"`
	Key        string  `json:"key"`
	Episodes   int     `json:"episodes"`
	MeanReward float64 `json:"mean_reward"` // over rewarded episodes
	SolveRate  float64 `json:"solve_rate"`  // of rewarded episodes: solver, the share that succeeded; injector, the share whose artifact was valid
}

// DurationRow is the time spent on one kind of work.
type DurationRow struct {
	Key   string        `json:"key"`
	N     int           `json:"n"`
	Total time.Duration `json:"total"`
}

// Stats computes a job's summary.
func (s *Store) Stats(ctx context.Context, job string) (Stats, error) {
	var st Stats
	err := s.read(ctx, "stats of job "+job, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*), count(v.artifact_id), coalesce(sum(v.valid), 0)
			FROM artifacts a LEFT JOIN validations v ON v.artifact_id = a.id WHERE a.job = ?`, job).Scan(&st.Artifacts, &st.Validated, &st.Valid); err != nil {
			return err
		}
		var err error
		if st.Rejections, err = collect(ctx, tx, func(r *sql.Rows, c *Count) error { return r.Scan(&c.Key, &c.N) },
			`SELECT v.step, count(*) FROM validations v JOIN artifacts a ON a.id = v.artifact_id WHERE a.job = ? AND NOT v.valid
			 GROUP BY v.step ORDER BY count(*) DESC, v.step`, job); err != nil {
			return err
		}
		if st.Mix, err = collect(ctx, tx, func(r *sql.Rows, m *MixRow) error { return r.Scan(&m.Strategy, &m.Order, &m.N, &m.Valid) },
			`SELECT a.strategy, a.ord, count(*), coalesce(sum(v.valid), 0) FROM artifacts a LEFT JOIN validations v ON v.artifact_id = a.id
			 WHERE a.job = ? GROUP BY a.strategy, a.ord ORDER BY a.strategy, a.ord`, job); err != nil {
			return err
		}
		if st.F2PSizes, err = collect(ctx, tx, func(r *sql.Rows, c *Count) error { return r.Scan(&c.Key, &c.N) },
			`SELECT json_array_length(f2p) AS n, count(*) FROM bugs WHERE job = ? GROUP BY n ORDER BY n`, job); err != nil {
			return err
		}
		bucket := func(r *sql.Rows, b *RoleBucket) error {
			var role string
			err := r.Scan(&role, &b.Key, &b.Episodes, &b.MeanReward, &b.SolveRate)
			b.Role = Role(role)
			return err
		}
		// Without joins, from the rewards themselves: a solver episode succeeded exactly when its reward is +1,
		// and a rewarded injector episode's artifact was valid exactly when its reward is above −1.
		const rate = `coalesce(avg(CASE WHEN e.reward IS NULL THEN NULL WHEN e.role = 'solver' THEN e.reward >= 1 ELSE e.reward > -1 END), 0)`
		const from = ` FROM episodes e WHERE e.job = ?`
		if st.ByPolicy, err = collect(ctx, tx, bucket, `SELECT e.role, CAST(e.policy_version AS TEXT), count(*), coalesce(avg(e.reward), 0), `+rate+from+
			` GROUP BY e.role, e.policy_version ORDER BY e.role, e.policy_version`, job); err != nil {
			return err
		}
		if st.ByHour, err = collect(ctx, tx, bucket, `SELECT e.role, substr(e.started, 1, 13), count(*), coalesce(avg(e.reward), 0), `+rate+from+
			` GROUP BY e.role, substr(e.started, 1, 13) ORDER BY e.role, 2`, job); err != nil {
			return err
		}
		dur := func(r *sql.Rows, d *DurationRow) error {
			var ns float64
			err := r.Scan(&d.Key, &d.N, &ns)
			d.Total = time.Duration(ns)
			return err
		}
		if st.TestTime, err = collect(ctx, tx, dur, `SELECT kind, count(*), coalesce(sum(duration_ns), 0) FROM raw_logs WHERE job = ?
			GROUP BY kind ORDER BY kind`, job); err != nil {
			return err
		}
		st.Wall, err = collect(ctx, tx, dur, `SELECT role, count(*), coalesce(sum((julianday(finished) - julianday(started)) * 86400e9), 0)
			FROM episodes WHERE job = ? GROUP BY role ORDER BY role`, job)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("store: stats of job %s: %w", job, err)
	}
	return st, nil
}

// collect runs a query in tx and scans every row into a new T.
func collect[T any](ctx context.Context, tx *sql.Tx, scan func(*sql.Rows, *T) error, query string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
