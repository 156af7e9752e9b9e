// Package store keeps a self-play job's durable state in one SQLite database: jobs, repos,
// artifacts and their validation reports, bugs, solver attempts, episodes (trajectories with
// rewards and advantages), raw test logs (gzip-compressed, every run kept so verdicts can be
// recomputed) and policy versions.
//
// Start with [Open] and the row types in types.go. Each finished unit of work is written by one
// method in one transaction ([Store.ProposeArtifact], [Store.RecordValidation],
// [Store.RecordAttempt], [Store.FinishBug]), so a process killed at any instant leaves either the
// whole unit or none of it. What a job still has to do is derived from the rows
// ([Store.PendingArtifacts], [Store.BugsNeedingAttempts], [Store.BugsToFinish],
// [Store.Order2Candidates]); a resumed job asks these and carries on, and the UNIQUE (bug, index)
// constraint on attempts makes a repeated attempt fail with [ErrDuplicate] instead of counting twice.
//
// The database runs in WAL mode with foreign keys on and a busy timeout. All writes go through one
// connection (transactions begin IMMEDIATE), reads through a small pool of query-only
// connections, so a *Store is safe for concurrent use by many goroutines and readers never wait
// for the writer. The schema is versioned: migrations.go lists numbered SQL migrations, opening an
// older database applies the missing ones, and opening a database written by a newer ssr fails
// with [ErrNewerSchema].
//
// The package does not import package arena: it speaks in its own plain rows and keeps
// arena-owned structures (an artifact's five parts, evaluation details, turns) as JSON documents.
package store
