package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations is the schema's history: migrations[i] takes a database from version i to i+1.
// Append only: never edit a migration that has shipped, add a new one instead.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE jobs (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	config  TEXT NOT NULL,
	status  TEXT NOT NULL CHECK (status IN ('running', 'stopped', 'finished', 'failed')),
	owner   TEXT NOT NULL,
	created TEXT NOT NULL,
	updated TEXT NOT NULL
) STRICT;

CREATE TABLE repos (
	job       TEXT NOT NULL REFERENCES jobs(id),
	name      TEXT NOT NULL,
	image_ref TEXT NOT NULL,
	image_id  TEXT NOT NULL,
	commit_id TEXT NOT NULL,
	language  TEXT NOT NULL,
	baseline  TEXT,
	PRIMARY KEY (job, name)
) STRICT;

CREATE TABLE policy_versions (
	version    INTEGER PRIMARY KEY,
	created    TEXT NOT NULL,
	checkpoint TEXT NOT NULL,
	metrics    TEXT
) STRICT;

CREATE TABLE artifacts (
	id             TEXT PRIMARY KEY,
	job            TEXT NOT NULL REFERENCES jobs(id),
	repo           TEXT NOT NULL,
	strategy       TEXT NOT NULL,
	ord            INTEGER NOT NULL CHECK (ord IN (1, 2)),
	parent_bug     TEXT REFERENCES bugs(id),
	parent_attempt TEXT REFERENCES attempts(id),
	policy_version INTEGER NOT NULL,
	agent          TEXT NOT NULL,
	parts          TEXT NOT NULL,
	metadata       TEXT,
	created        TEXT NOT NULL
) STRICT;
CREATE INDEX artifacts_job ON artifacts(job, created);
CREATE INDEX artifacts_parent_attempt ON artifacts(parent_attempt);

CREATE TABLE validations (
	artifact_id TEXT PRIMARY KEY REFERENCES artifacts(id),
	valid       INTEGER NOT NULL CHECK (valid IN (0, 1)),
	reason      TEXT NOT NULL,
	step        TEXT NOT NULL,
	f2p         TEXT NOT NULL,
	p2p         TEXT NOT NULL,
	durations   TEXT NOT NULL,
	log_ids     TEXT NOT NULL,
	created     TEXT NOT NULL
) STRICT;

CREATE TABLE bugs (
	id              TEXT PRIMARY KEY,
	artifact_id     TEXT NOT NULL UNIQUE REFERENCES artifacts(id),
	job             TEXT NOT NULL REFERENCES jobs(id),
	repo            TEXT NOT NULL,
	ord             INTEGER NOT NULL CHECK (ord IN (1, 2)),
	parent_bug      TEXT REFERENCES bugs(id),
	parent_attempt  TEXT REFERENCES attempts(id),
	f2p             TEXT NOT NULL,
	p2p             TEXT NOT NULL,
	injector_reward REAL,
	solve_rate      REAL,
	status          TEXT NOT NULL CHECK (status IN ('open', 'solving', 'done')),
	created         TEXT NOT NULL,
	updated         TEXT NOT NULL
) STRICT;
CREATE INDEX bugs_job ON bugs(job, status);

-- episodes and attempts refer to each other; the checks wait for COMMIT so both go in one unit.
CREATE TABLE episodes (
	id             TEXT PRIMARY KEY,
	job            TEXT NOT NULL REFERENCES jobs(id),
	role           TEXT NOT NULL CHECK (role IN ('injector', 'solver')),
	agent          TEXT NOT NULL,
	policy_version INTEGER NOT NULL,
	repo           TEXT NOT NULL,
	artifact_id    TEXT REFERENCES artifacts(id) DEFERRABLE INITIALLY DEFERRED,
	bug_id         TEXT REFERENCES bugs(id) DEFERRABLE INITIALLY DEFERRED,
	attempt_id     TEXT REFERENCES attempts(id) DEFERRABLE INITIALLY DEFERRED,
	turns          TEXT NOT NULL,
	n_turns        INTEGER NOT NULL,
	reward         REAL,
	advantage      REAL,
	started        TEXT NOT NULL,
	finished       TEXT NOT NULL
) STRICT;
CREATE INDEX episodes_job ON episodes(job, role, started);
CREATE INDEX episodes_artifact ON episodes(artifact_id);
CREATE INDEX episodes_bug ON episodes(bug_id);

CREATE TABLE attempts (
	id         TEXT PRIMARY KEY,
	bug_id     TEXT NOT NULL REFERENCES bugs(id),
	idx        INTEGER NOT NULL CHECK (idx >= 0),
	episode_id TEXT REFERENCES episodes(id) DEFERRABLE INITIALLY DEFERRED,
	prediction TEXT NOT NULL,
	success    INTEGER NOT NULL CHECK (success IN (0, 1)),
	reward     REAL NOT NULL,
	details    TEXT,
	log_ids    TEXT NOT NULL,
	started    TEXT NOT NULL,
	finished   TEXT NOT NULL,
	UNIQUE (bug_id, idx)
) STRICT;

CREATE TABLE raw_logs (
	id          TEXT PRIMARY KEY,
	job         TEXT NOT NULL REFERENCES jobs(id),
	kind        TEXT NOT NULL CHECK (kind IN ('original', 'bug', 'weaken', 'inverse', 'eval', 'baseline')),
	ref         TEXT NOT NULL,
	output      BLOB NOT NULL,
	size        INTEGER NOT NULL,
	exit_code   INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	results     TEXT,
	created     TEXT NOT NULL
) STRICT;
CREATE INDEX raw_logs_ref ON raw_logs(ref, created);

-- reward_groups lists every rewarded episode with the group its advantage is normalised in:
-- a solver episode with the other attempts on its bug, an injector episode with the injector
-- batch of its repo.
CREATE VIEW reward_groups AS
	SELECT job, role, 'bug:' || bug_id AS group_key, id AS episode_id, policy_version, reward, advantage, started
	FROM episodes WHERE role = 'solver' AND reward IS NOT NULL AND bug_id IS NOT NULL
	UNION ALL
	SELECT job, role, 'repo:' || repo, id, policy_version, reward, advantage, started
	FROM episodes WHERE role = 'injector' AND reward IS NOT NULL;
`,
	// 2: failures, so that a long job records a unit of work that failed (a crashed plugin, an engine
	// error) and goes on.
	`
CREATE TABLE failures (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	job     TEXT NOT NULL REFERENCES jobs(id),
	unit    TEXT NOT NULL,
	error   TEXT NOT NULL,
	created TEXT NOT NULL
) STRICT;
CREATE INDEX failures_job ON failures(job, id);
`,
	// 3: how each test run ended (so that a test absent from a run that timed out, crashed or did not
	// build reads as "not run", never as a failure, and old jobs can be re-graded), and the notes a
	// validation keeps on the tests it excluded.
	`
ALTER TABLE raw_logs ADD COLUMN run_end TEXT NOT NULL DEFAULT '';
ALTER TABLE raw_logs ADD COLUMN timed_out INTEGER NOT NULL DEFAULT 0 CHECK (timed_out IN (0, 1));
ALTER TABLE raw_logs ADD COLUMN timeout_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE validations ADD COLUMN notes TEXT;
`,
	// 4: job leases, so that one process at a time runs a job: the holder heartbeats, and a lease
	// whose heartbeat is older than its ttl may be taken over (its holder is presumed dead).
	`
CREATE TABLE leases (
	job       TEXT PRIMARY KEY,
	owner     TEXT NOT NULL,
	acquired  TEXT NOT NULL,
	heartbeat TEXT NOT NULL,
	ttl_ns    INTEGER NOT NULL CHECK (ttl_ns > 0)
) STRICT;
`,
	// 5: a job's episodes in start order whatever their role, so that the replay viewer pages through a large
	// job without sorting it.
	`
CREATE INDEX episodes_job_started ON episodes(job, started, id);
`,
	// 6: why a job failed, so that 'ssr jobs ls' says it (empty unless the status is failed).
	`
ALTER TABLE jobs ADD COLUMN reason TEXT NOT NULL DEFAULT '';
`,
	// 7: what 'ssr stats' reads of every episode (role, policy version, reward, start and end), so that its
	// per-role aggregates scan this covering index and never the rows with their turns (100 000 episodes:
	// 1.5 s to 0.2 s).
	`
CREATE INDEX episodes_stats ON episodes(job, role, policy_version, reward, started, finished);
`,
	// 8: the curriculum stage that planned each artifact (its metadata's curriculum_stage, '' for none), so
	// that the native injector's curriculum reads each stage's recent solve rate without parsing every
	// artifact of the job. ProposeArtifact fills it from the parts; the artifacts already stored are filled
	// here, so a resumed job stays at its stage.
	`
ALTER TABLE artifacts ADD COLUMN stage TEXT NOT NULL DEFAULT '';
UPDATE artifacts SET stage = json_extract(parts, '$.metadata.curriculum_stage')
	WHERE CASE WHEN json_valid(parts) THEN json_type(parts, '$.metadata.curriculum_stage') = 'text' ELSE 0 END;
`,
}

// SchemaVersion is the schema version this build of ssr writes.
func SchemaVersion() int { return len(migrations) }

// migrate applies the migrations the database lacks, each in its own IMMEDIATE transaction
// (so two processes opening one fresh file cannot both apply a step).
func (s *Store) migrate(ctx context.Context, ms []string) error {
	for {
		done, err := s.migrateStep(ctx, ms)
		if err != nil || done {
			return err
		}
	}
}

func (s *Store) migrateStep(ctx context.Context, ms []string) (done bool, err error) {
	err = s.write(ctx, "migrate "+s.path, func(tx *sql.Tx) error {
		var have int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&have)
		if err != nil {
			return openError(s.path, err)
		}
		if have == 0 {
			var other int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`).Scan(&other)
			if err != nil {
				return openError(s.path, err)
			}
			if other > 0 {
				return fmt.Errorf("store: open %s: %w: an SQLite database with %d objects but no ssr schema: give the path of an ssr job database or a new file name",
					s.path, ErrInvalid, other)
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL) STRICT`); err != nil {
				return fmt.Errorf("store: migrate %s: %w", s.path, err)
			}
		}
		var version int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return fmt.Errorf("store: migrate %s: read version: %w", s.path, err)
		}
		switch {
		case version > len(ms):
			return &SchemaError{Path: s.path, Found: version, Known: len(ms)}
		case version == len(ms):
			done = true
			return nil
		}
		next := version + 1
		if _, err := tx.ExecContext(ctx, ms[version]); err != nil {
			return fmt.Errorf("store: migrate %s to version %d: %w", s.path, next, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`,
			next, formatTime(s.now())); err != nil {
			return fmt.Errorf("store: migrate %s to version %d: %w", s.path, next, err)
		}
		return nil
	})
	return done, err
}

// version reports the schema version recorded in the database.
func (s *Store) version(ctx context.Context) (int, error) {
	var v int
	err := s.w.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
