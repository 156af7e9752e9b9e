package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

func (st JobStatus) valid() bool {
	switch st {
	case JobRunning, JobStopped, JobFinished, JobFailed:
		return true
	}
	return false
}

// CreateJob records a new job. Zero times are stamped now; an empty status means running.
func (s *Store) CreateJob(ctx context.Context, j Job) error {
	if j.ID == "" {
		return fmt.Errorf("store: create job %q: %w: empty id", j.Name, ErrInvalid)
	}
	if j.Status == "" {
		j.Status = JobRunning
	}
	if !j.Status.valid() {
		return fmt.Errorf("store: create job %s: %w: status %q (want running, stopped, finished or failed)", j.ID, ErrInvalid, j.Status)
	}
	j.Created = s.stamp(j.Created)
	if j.Updated.IsZero() {
		j.Updated = j.Created
	}
	return s.write(ctx, "create job "+j.ID, func(tx *sql.Tx) error {
		_, err := execTx(ctx, tx, "create job "+j.ID,
			`INSERT INTO jobs (id, name, config, status, owner, reason, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			j.ID, j.Name, j.Config, string(j.Status), j.Owner, j.Reason, formatTime(j.Created), formatTime(j.Updated))
		return err
	})
}

// SetJobStatus records a job's status and the process that set it (a resumed job sets running
// with its own owner string). It clears the reason of an earlier failure; record a failure with
// [Store.FailJob].
func (s *Store) SetJobStatus(ctx context.Context, id string, status JobStatus, owner string) error {
	return s.setJobStatus(ctx, id, status, owner, "")
}

// FailJob records that a job failed, why, and the process that ran it.
func (s *Store) FailJob(ctx context.Context, id, owner, reason string) error {
	if reason == "" {
		return fmt.Errorf("store: fail job %s: %w: give the reason", id, ErrInvalid)
	}
	return s.setJobStatus(ctx, id, JobFailed, owner, reason)
}

func (s *Store) setJobStatus(ctx context.Context, id string, status JobStatus, owner, reason string) error {
	if !status.valid() {
		return fmt.Errorf("store: set status of job %s: %w: status %q (want running, stopped, finished or failed)", id, ErrInvalid, status)
	}
	return s.write(ctx, "set status of job "+id, func(tx *sql.Tx) error {
		res, err := execTx(ctx, tx, "set status of job "+id,
			`UPDATE jobs SET status = ?, owner = ?, reason = ?, updated = ? WHERE id = ?`,
			string(status), owner, reason, formatTime(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: set status of job %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

const jobCols = `id, name, config, status, owner, reason, created, updated`

func scanJob(r rowScanner) (Job, error) {
	var j Job
	var status, created, updated string
	if err := r.Scan(&j.ID, &j.Name, &j.Config, &status, &j.Owner, &j.Reason, &created, &updated); err != nil {
		return j, err
	}
	j.Status = JobStatus(status)
	var err1, err2 error
	j.Created, err1 = parseTime(created)
	j.Updated, err2 = parseTime(updated)
	return j, errors.Join(err1, err2)
}

// GetJob returns the job with id, or an error wrapping ErrNotFound.
func (s *Store) GetJob(ctx context.Context, id string) (Job, error) {
	j, err := scanJob(s.r.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("store: job %s: %w: list jobs to see the ids this database holds", id, ErrNotFound)
	}
	if err != nil {
		return j, fmt.Errorf("store: job %s: %w", id, err)
	}
	return j, nil
}

// ListJobs returns every job, newest first.
func (s *Store) ListJobs(ctx context.Context) ([]Job, error) {
	return queryAll(ctx, s, "list jobs", scanJob, `SELECT `+jobCols+` FROM jobs ORDER BY created DESC, id`)
}

// PutRepo records a job's repo, replacing what was recorded under the same (job, name).
func (s *Store) PutRepo(ctx context.Context, r Repo) error {
	what := fmt.Sprintf("put repo %s of job %s", r.Name, r.Job)
	if r.Job == "" || r.Name == "" {
		return fmt.Errorf("store: %s: %w: job and name are required", what, ErrInvalid)
	}
	baseline, err := jsonDoc("baseline", r.Baseline)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return s.write(ctx, what, func(tx *sql.Tx) error {
		_, err := execTx(ctx, tx, what,
			`INSERT INTO repos (job, name, image_ref, image_id, commit_id, language, baseline) VALUES (?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (job, name) DO UPDATE SET image_ref = excluded.image_ref, image_id = excluded.image_id,
			   commit_id = excluded.commit_id, language = excluded.language, baseline = excluded.baseline`,
			r.Job, r.Name, r.ImageRef, r.ImageID, r.Commit, r.Language, baseline)
		return err
	})
}

// Repos returns a job's repos by name.
func (s *Store) Repos(ctx context.Context, job string) ([]Repo, error) {
	return queryAll(ctx, s, "repos of job "+job, func(r rowScanner) (Repo, error) {
		var x Repo
		var baseline sql.NullString
		err := r.Scan(&x.Job, &x.Name, &x.ImageRef, &x.ImageID, &x.Commit, &x.Language, &baseline)
		x.Baseline = rawJSON(baseline)
		return x, err
	}, `SELECT job, name, image_ref, image_id, commit_id, language, baseline FROM repos WHERE job = ? ORDER BY name`, job)
}

// AddPolicyVersion records a new policy version; a version number already recorded is ErrDuplicate.
func (s *Store) AddPolicyVersion(ctx context.Context, p PolicyVersion) error {
	what := fmt.Sprintf("add policy version %d", p.Version)
	metrics, err := jsonDoc("metrics", p.Metrics)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return s.write(ctx, what, func(tx *sql.Tx) error {
		_, err := execTx(ctx, tx, what, `INSERT INTO policy_versions (version, created, checkpoint, metrics) VALUES (?, ?, ?, ?)`,
			p.Version, formatTime(s.stamp(p.Created)), p.Checkpoint, metrics)
		return err
	})
}

// PolicyVersions returns every policy version, oldest first (the last is the latest).
func (s *Store) PolicyVersions(ctx context.Context) ([]PolicyVersion, error) {
	return queryAll(ctx, s, "policy versions", func(r rowScanner) (PolicyVersion, error) {
		var p PolicyVersion
		var created string
		var metrics sql.NullString
		if err := r.Scan(&p.Version, &created, &p.Checkpoint, &metrics); err != nil {
			return p, err
		}
		p.Metrics = rawJSON(metrics)
		var err error
		p.Created, err = parseTime(created)
		return p, err
	}, `SELECT version, created, checkpoint, metrics FROM policy_versions ORDER BY version`)
}

// querier is what *sql.DB and *sql.Tx have in common for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryAll runs query and scans every row with scan.
func queryAll[T any](ctx context.Context, s *Store, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := s.retry(ctx, what, func() error {
		out = nil
		rows, err := s.r.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return fmt.Errorf("store: %s: %w", what, err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
