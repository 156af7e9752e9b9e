package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

func (k LogKind) valid() bool {
	switch k {
	case LogOriginal, LogBug, LogWeaken, LogInverse, LogEval, LogBaseline:
		return true
	}
	return false
}

// packedLog is a log compressed ahead of its transaction, so the writer is held only for the insert.
type packedLog struct {
	RawLog
	z []byte
}

func (s *Store) pack(logs []RawLog) ([]packedLog, error) {
	out := make([]packedLog, len(logs))
	for i, l := range logs {
		if !l.Kind.valid() {
			return nil, fmt.Errorf("store: record log %q: %w: kind %q (want original, bug, weaken, inverse, eval or baseline)", l.ID, ErrInvalid, l.Kind)
		}
		if l.ID == "" {
			l.ID = newID("log-")
		}
		l.Size = int64(len(l.Output))
		l.Created = s.stamp(l.Created)
		out[i] = packedLog{RawLog: l, z: compress(l.Output)}
	}
	return out, nil
}

// insertLogs writes packed logs in tx; an empty Job or Ref takes job or ref.
func insertLogs(ctx context.Context, tx *sql.Tx, logs []packedLog, job, ref string) ([]string, error) {
	ids := make([]string, 0, len(logs))
	for _, l := range logs {
		if l.Job == "" {
			l.Job = job
		}
		if l.Ref == "" {
			l.Ref = ref
		}
		what := "record log " + l.ID
		if l.Job == "" || l.Ref == "" {
			return nil, fmt.Errorf("store: %s: %w: job and ref are required", what, ErrInvalid)
		}
		results, err := jsonDoc("results", l.Results)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		if _, err := execTx(ctx, tx, what,
			`INSERT INTO raw_logs (id, job, kind, ref, output, size, exit_code, duration_ns, results, run_end, timed_out, timeout_ns, created)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, l.Job, string(l.Kind), l.Ref, l.z, l.Size, l.ExitCode, int64(l.Duration), results, l.End, l.TimedOut, int64(l.Timeout),
			formatTime(l.Created)); err != nil {
			return nil, err
		}
		ids = append(ids, l.ID)
	}
	return ids, nil
}

// RecordLogs stores raw logs that belong to no other unit of work (a repo's baseline run, a
// cached original run shared by validations) in one transaction and returns their ids in order.
func (s *Store) RecordLogs(ctx context.Context, logs ...RawLog) ([]string, error) {
	packed, err := s.pack(logs)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = s.write(ctx, "record logs", func(tx *sql.Tx) error {
		ids, err = insertLogs(ctx, tx, packed, "", "")
		return err
	})
	return ids, err
}

const logCols = `id, job, kind, ref, output, size, exit_code, duration_ns, results, run_end, timed_out, timeout_ns, created`

func scanLog(r rowScanner) (RawLog, error) {
	var l RawLog
	var kind, created string
	var z []byte
	var dur, timeout int64
	var results sql.NullString
	if err := r.Scan(&l.ID, &l.Job, &kind, &l.Ref, &z, &l.Size, &l.ExitCode, &dur, &results, &l.End, &l.TimedOut, &timeout, &created); err != nil {
		return l, err
	}
	l.Kind, l.Duration, l.Results, l.Timeout = LogKind(kind), timeDuration(dur), rawJSON(results), timeDuration(timeout)
	out, err := decompress(z, l.Size)
	if err != nil {
		return l, fmt.Errorf("log %s is damaged: %w", l.ID, err)
	}
	l.Output = out
	l.Created, err = parseTime(created)
	return l, err
}

// Log returns one raw log with its output decompressed.
func (s *Store) Log(ctx context.Context, id string) (RawLog, error) {
	l, err := scanLog(s.r.QueryRowContext(ctx, `SELECT `+logCols+` FROM raw_logs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("store: log %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("store: log %s: %w", id, err)
	}
	return l, nil
}

// LogsByRef returns every raw log of one artifact, attempt or repo, oldest first.
func (s *Store) LogsByRef(ctx context.Context, ref string) ([]RawLog, error) {
	return queryAll(ctx, s, "logs of "+ref, scanLog, `SELECT `+logCols+` FROM raw_logs WHERE ref = ? ORDER BY created, id`, ref)
}
