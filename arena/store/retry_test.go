package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holdWriteLock opens a second connection to db, outside any Store, and holds a write lock (an
// IMMEDIATE transaction) for d; it returns when the lock is taken.
func holdWriteLock(t *testing.T, db string, d time.Duration) <-chan error {
	t.Helper()
	other, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	time.AfterFunc(d, func() {
		_, err := conn.ExecContext(context.Background(), "COMMIT")
		conn.Close()
		done <- err
	})
	return done
}

// TestWriteWaitsOutAnOutsideWriter is issue 11's item 7: a write lock held by another process for
// longer than the busy timeout no longer fails the write; it waits, with backoff, and succeeds.
func TestWriteWaitsOutAnOutsideWriter(t *testing.T) {
	const hold = 2 * time.Second
	tests := map[string]struct {
		retry   time.Duration
		wantErr error
	}{
		"retry outlasts the lock": {retry: 30 * time.Second},
		"retry too short":         {retry: 300 * time.Millisecond, wantErr: ErrBusy},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "job.db")
			s, err := Open(context.Background(), db, WithBusyTimeout(100*time.Millisecond), WithBusyRetry(tc.retry))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			released := holdWriteLock(t, db, hold)
			start := time.Now()
			err = s.CreateJob(context.Background(), Job{ID: "job-1", Name: "n", Config: "c", Owner: "o"})
			took := time.Since(start)
			t.Logf("write took %v with the lock held for %v: %v", took.Round(time.Millisecond), hold, err)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("CreateJob: %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil {
				if took < hold-100*time.Millisecond {
					t.Errorf("the write succeeded after %v, before the lock was released", took)
				}
				if _, err := s.GetJob(context.Background(), "job-1"); err != nil {
					t.Errorf("job not recorded: %v", err)
				}
			} else if !strings.Contains(err.Error(), db) {
				t.Errorf("message %q does not name the database", err)
			}
			if err := <-released; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCorruptionNamesTheFile damages a database's data pages between runs: the read that meets
// them fails with ErrCorrupt and names the file.
func TestCorruptionNamesTheFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "job.db")
	ctx := context.Background()
	s, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	seedJob(t, s)
	for i := range 400 {
		if err := s.RecordFailure(ctx, Failure{Job: "job-1", Unit: fmt.Sprint("unit ", i), Error: strings.Repeat("x", 500)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Make sure the log is checkpointed into the main file, then overwrite its second half.
	s2, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", int(st.Size()/8)))
	if _, err := f.WriteAt(garbage, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s3, err := Open(ctx, db)
	if err != nil {
		if errors.Is(err, ErrCorrupt) && strings.Contains(err.Error(), db) {
			return // found already at open: named too
		}
		t.Fatalf("Open: %v", err)
	}
	defer s3.Close()
	_, err = s3.Failures(ctx, "job-1", 0)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), db) {
		t.Fatalf("Failures on a damaged file: %v, want ErrCorrupt naming %s", err, db)
	}
	t.Log(err)
}

// TestMustExist: read-only commands never create a database (issue 11, item 10).
func TestMustExist(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.db")
	_, err := Open(context.Background(), typo, MustExist())
	if !errors.Is(err, ErrNoDatabase) || !strings.Contains(err.Error(), "typo.db") {
		t.Fatalf("Open(MustExist) of a missing file: %v, want ErrNoDatabase naming it", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files were created: %v", entries)
	}
	s := openTest(t)
	seedJob(t, s)
	r, err := Open(context.Background(), s.Path(), MustExist())
	if err != nil {
		t.Fatalf("Open(MustExist) of an existing database: %v", err)
	}
	defer r.Close()
	if _, err := r.GetJob(context.Background(), "job-1"); err != nil {
		t.Error(err)
	}
}
