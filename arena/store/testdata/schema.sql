CREATE INDEX artifacts_job ON artifacts(job, created);

CREATE INDEX artifacts_parent_attempt ON artifacts(parent_attempt);

CREATE INDEX bugs_job ON bugs(job, status);

CREATE INDEX episodes_artifact ON episodes(artifact_id);

CREATE INDEX episodes_bug ON episodes(bug_id);

CREATE INDEX episodes_job ON episodes(job, role, started);

CREATE INDEX episodes_job_started ON episodes(job, started, id);

CREATE INDEX episodes_stats ON episodes(job, role, policy_version, reward, started, finished);

CREATE INDEX failures_job ON failures(job, id);

CREATE INDEX raw_logs_ref ON raw_logs(ref, created);

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
, stage TEXT NOT NULL DEFAULT '') STRICT;

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

CREATE TABLE failures (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	job     TEXT NOT NULL REFERENCES jobs(id),
	unit    TEXT NOT NULL,
	error   TEXT NOT NULL,
	created TEXT NOT NULL
) STRICT;

CREATE TABLE jobs (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	config  TEXT NOT NULL,
	status  TEXT NOT NULL CHECK (status IN ('running', 'stopped', 'finished', 'failed')),
	owner   TEXT NOT NULL,
	created TEXT NOT NULL,
	updated TEXT NOT NULL
, reason TEXT NOT NULL DEFAULT '') STRICT;

CREATE TABLE leases (
	job       TEXT PRIMARY KEY,
	owner     TEXT NOT NULL,
	acquired  TEXT NOT NULL,
	heartbeat TEXT NOT NULL,
	ttl_ns    INTEGER NOT NULL CHECK (ttl_ns > 0)
) STRICT;

CREATE TABLE policy_versions (
	version    INTEGER PRIMARY KEY,
	created    TEXT NOT NULL,
	checkpoint TEXT NOT NULL,
	metrics    TEXT
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
, run_end TEXT NOT NULL DEFAULT '', timed_out INTEGER NOT NULL DEFAULT 0 CHECK (timed_out IN (0, 1)), timeout_ns INTEGER NOT NULL DEFAULT 0) STRICT;

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

CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL) STRICT;

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
, notes TEXT) STRICT;

CREATE VIEW reward_groups AS
	SELECT job, role, 'bug:' || bug_id AS group_key, id AS episode_id, policy_version, reward, advantage, started
	FROM episodes WHERE role = 'solver' AND reward IS NOT NULL AND bug_id IS NOT NULL
	UNION ALL
	SELECT job, role, 'repo:' || repo, id, policy_version, reward, advantage, started
	FROM episodes WHERE role = 'injector' AND reward IS NOT NULL;

