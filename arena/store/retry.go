package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Backoff between retries of a unit of work that found the database locked: it doubles from
// retryFirst up to retryMax, with ±25% jitter so that several waiting processes do not wake together.
const (
	retryFirst = 20 * time.Millisecond
	retryMax   = time.Second
)

// retry runs try until it succeeds, fails with anything but a lock held by another process, or
// the store's busy-retry time has passed (then the error wraps ErrBusy). A damaged database is
// reported with its file name and ErrCorrupt.
func (s *Store) retry(ctx context.Context, op string, try func() error) error {
	start := time.Now()
	wait := retryFirst
	for n := 1; ; n++ {
		err := try()
		switch {
		case err == nil:
			return nil
		case isCode(err, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
			return fmt.Errorf("store: %s: %w: %s: %v (stop the job and restore the file from a backup, or try `sqlite3 %s .recover`)",
				op, ErrCorrupt, s.path, sqliteCause(err), s.path)
		case !isCode(err, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
			return err
		}
		if waited := time.Since(start); waited+wait > s.busyRetry {
			return fmt.Errorf("store: %s: %w: %s stayed locked for %v over %d tries (another process holds a write lock: stop it, or raise the busy retry): %v",
				op, ErrBusy, s.path, waited.Round(time.Millisecond), n, sqliteCause(err))
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2+1)) - wait/4
		if err := s.sleep(ctx, wait+jitter); err != nil {
			return fmt.Errorf("store: %s: waiting for a lock on %s: %w", op, s.path, err)
		}
		wait = min(2*wait, retryMax)
	}
}

// sqliteCause returns SQLite's own error inside err (err itself when there is none), so that a
// message does not repeat the operation.
func sqliteCause(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se
	}
	return err
}

// isCode reports whether err comes from SQLite with one of the primary result codes.
func isCode(err error, codes ...int) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se.Code()&0xff == c {
			return true
		}
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
