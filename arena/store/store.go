package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Conditions callers branch on. Errors returned by the store wrap one of these where one applies.
var (
	// ErrNotFound: the row asked for (job, artifact, bug, episode, log) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: the unit of work was recorded before (an attempt with the same bug and index,
	// a second validation of an artifact, a row with an existing id, a bug finished twice).
	// Nothing of the rejected unit was written.
	ErrDuplicate = errors.New("already recorded")
	// ErrInvalid: a record is malformed (missing id, unknown status, JSON that does not parse,
	// a reference to a row that does not exist).
	ErrInvalid = errors.New("invalid record")
	// ErrNewerSchema: the database was written by a newer ssr; see [SchemaError].
	ErrNewerSchema = errors.New("database schema is newer than this ssr")
	// ErrLeased: another live process holds the job's lease; see [LeaseError].
	ErrLeased = errors.New("job is leased by another process")
	// ErrBusy: another process kept the database locked for longer than the store retries
	// (see [WithBusyRetry]).
	ErrBusy = errors.New("database is locked by another process")
	// ErrCorrupt: SQLite found the database file damaged; the error names the file.
	ErrCorrupt = errors.New("database file is damaged")
	// ErrNoDatabase: [MustExist] was given and the database file does not exist.
	ErrNoDatabase = errors.New("no such database file")
)

// SchemaError reports a database whose schema version this ssr does not know.
type SchemaError struct {
	Path  string // database file
	Found int    // highest migration recorded in the database
	Known int    // highest migration this ssr carries
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("store: %s has schema version %d but this ssr knows only up to %d: open it with a newer ssr",
		e.Path, e.Found, e.Known)
}

func (e *SchemaError) Unwrap() error { return ErrNewerSchema }

// Store is a job database. It is safe for concurrent use; Close it when done.
type Store struct {
	path string
	w    *sql.DB // exactly one connection: every write transaction is serialised here
	r    *sql.DB // query-only connections for reads, in parallel with the writer (WAL)
	now  func() time.Time

	busyRetry time.Duration
	sleep     func(ctx context.Context, d time.Duration) error
}

type config struct {
	busyTimeout time.Duration
	busyRetry   time.Duration
	mustExist   bool
	readers     int
	syncMode    string
	now         func() time.Time
	migrations  []string
}

// Option configures [Open].
type Option func(*config)

// WithBusyTimeout sets how long a statement waits for a lock held by another process before it
// fails (default 10 s). Within one process the store never contends with itself.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithBusyRetry sets how long a unit of work keeps retrying, with backoff, while another process
// holds the database locked (SQLITE_BUSY or SQLITE_LOCKED after the busy timeout) before it fails
// with [ErrBusy] (default 2 minutes). Every retry runs the whole transaction again.
func WithBusyRetry(d time.Duration) Option { return func(c *config) { c.busyRetry = d } }

// MustExist makes [Open] fail with [ErrNoDatabase] when the file does not exist, instead of creating
// it: for commands that only read a job database (ssr jobs ls, ssr jobs show).
func MustExist() Option { return func(c *config) { c.mustExist = true } }

// WithReaders sets the size of the read connection pool (default 4).
func WithReaders(n int) Option { return func(c *config) { c.readers = n } }

// WithSyncNormal trades durability on power loss for faster commits (PRAGMA synchronous=NORMAL).
// A killed process still loses nothing committed; a machine losing power may lose the last few
// commits. The default, FULL, syncs the write-ahead log on every commit.
func WithSyncNormal() Option { return func(c *config) { c.syncMode = "NORMAL" } }

// WithClock sets the clock used to stamp rows whose times are left zero (default time.Now).
// It is called from many goroutines at once.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// withMigrations replaces the migration list (tests use it to simulate an older or newer ssr).
func withMigrations(ms []string) Option { return func(c *config) { c.migrations = ms } }

// Open opens (creating if needed) the job database at path and brings its schema up to date.
// It fails with a [*SchemaError] when the database comes from a newer ssr.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{busyTimeout: 10 * time.Second, busyRetry: 2 * time.Minute, readers: 4, syncMode: "FULL", now: time.Now, migrations: migrations}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" {
		return nil, fmt.Errorf("store: open: %w: empty database path: give a file name such as job.db", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if cfg.readers < 1 {
		cfg.readers = 1
	}
	base := (&url.URL{Scheme: "file", Path: abs}).String()
	if cfg.mustExist {
		if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: open %s: %w: check the path (this command reads an existing job database and never creates one)", path, ErrNoDatabase)
		}
		base += "?mode=rw" // and if it vanishes now, SQLite still does not create it
	} else {
		base += "?mode=rwc"
	}
	busy := strconv.FormatInt(cfg.busyTimeout.Milliseconds(), 10)
	wdsn := base + "&_txlock=immediate&_pragma=busy_timeout(" + busy + ")&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(" + cfg.syncMode + ")"
	rdsn := base + "&_pragma=busy_timeout(" + busy + ")&_pragma=foreign_keys(1)&_query_only=1"

	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, openError(abs, err)
	}
	s := &Store{path: abs, w: w, now: cfg.now, busyRetry: cfg.busyRetry, sleep: sleepCtx}
	if err := s.migrate(ctx, cfg.migrations); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", rdsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	r.SetMaxOpenConns(cfg.readers)
	r.SetMaxIdleConns(cfg.readers)
	s.r = r
	return s, nil
}

// openError turns the driver's failure to open a file into one line that says what to do.
func openError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("store: open %s: not an SQLite database: give the path of an ssr job database or a new file name", path)
		case sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("store: open %s: cannot open or create the file: check that its directory exists and is writable: %w", path, err)
		}
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close checkpoints the write-ahead log (without waiting for readers in other processes)
// and closes every connection.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		_, err := s.w.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		errs = append(errs, err, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// write runs fn in one IMMEDIATE transaction on the writer connection and commits it.
// Any error rolls the whole transaction back. While another process holds the database locked,
// the whole transaction is retried (see [WithBusyRetry]); fn must therefore only act through tx.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.retry(ctx, op, func() error { return s.writeOnce(ctx, op, fn) })
}

func (s *Store) writeOnce(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: begin: %w", op, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: commit: %w", op, classify(err))
	}
	return nil
}

// read runs fn in one read-only transaction, so that every query in it sees the same snapshot.
func (s *Store) read(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.retry(ctx, op, func() error { return s.readOnce(ctx, op, fn) })
}

func (s *Store) readOnce(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: %s: begin: %w", op, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return fn(tx)
}

// classify maps SQLite constraint violations onto the package's sentinel errors.
func classify(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w (%v)", ErrDuplicate, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: refers to a row that does not exist (%v)", ErrInvalid, err)
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return fmt.Errorf("%w (%v)", ErrInvalid, err)
	}
	return err
}

// execTx runs one statement in tx and wraps a failure with the operation and the row it concerns.
func execTx(ctx context.Context, tx *sql.Tx, what string, query string, args ...any) (sql.Result, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, classify(err))
	}
	return res, nil
}
