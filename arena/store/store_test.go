package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

func TestOpenSetsPragmas(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, c := range []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.w, "foreign_keys", "1"},
		{s.w, "busy_timeout", "10000"},
		{s.w, "synchronous", "2"},
		{s.r, "query_only", "1"},
		{s.r, "busy_timeout", "10000"},
	} {
		var got string
		if err := c.db.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
	if v, err := s.version(ctx); err != nil || v != SchemaVersion() {
		t.Errorf("schema version %d, %v; want %d", v, err, SchemaVersion())
	}
	// The read pool cannot write.
	if _, err := s.r.ExecContext(ctx, `INSERT INTO jobs VALUES ('x','','','running','','','')`); err == nil {
		t.Error("insert through a reader succeeded")
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub dir?#%", "job.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedJob(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	j, err := s.GetJob(ctx, "job-1")
	if err != nil || j.Config != "n_attempts: 8\n" {
		t.Fatalf("after reopen: %+v, %v", j, err)
	}
}

// v2 is a migration a later ssr might add.
const v2 = `ALTER TABLE jobs ADD COLUMN note TEXT NOT NULL DEFAULT 'none'; CREATE INDEX jobs_status ON jobs(status);`

func TestOpenMigratesOlderDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "job.db")
	s, err := Open(ctx, path, withMigrations(migrations[:1]))
	if err != nil {
		t.Fatal(err)
	}
	// A row as the first schema holds it (CreateJob writes the columns of the latest schema).
	if _, err := s.w.ExecContext(ctx, `INSERT INTO jobs (id, name, config, status, owner, created, updated)
		VALUES ('job-1', 'test', 'n_attempts: 8', 'running', '1@host:0', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path, withMigrations(append(migrations[:1:1], v2)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.version(ctx); v != 2 {
		t.Fatalf("version after migration = %d, want 2", v)
	}
	var note string
	if err := s.r.QueryRowContext(ctx, `SELECT note FROM jobs WHERE id = 'job-1'`).Scan(&note); err != nil || note != "none" {
		t.Fatalf("migrated column: %q, %v", note, err)
	}
	var applied int
	s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied)
	if applied != 2 {
		t.Errorf("schema_migrations has %d rows, want 2", applied)
	}
}

func TestOpenNewerDatabaseFails(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "job.db")
	s, err := Open(ctx, path, withMigrations(append(migrations[:1:1], v2)))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path, withMigrations(migrations[:1]))
	var se *SchemaError
	if !errors.As(err, &se) || !errors.Is(err, ErrNewerSchema) || se.Found != 2 || se.Known != 1 {
		t.Fatalf("Open = %v, want a SchemaError 2 > 1", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "newer ssr") || strings.Contains(msg, "\n") {
		t.Errorf("message %q should be one line naming the file and the fix", msg)
	}
}

func TestFailedMigrationChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "job.db")
	s, err := Open(ctx, path, withMigrations(migrations[:1]))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	bad := `ALTER TABLE jobs ADD COLUMN half TEXT; CREATE TABLE broken (;`
	if _, err := Open(ctx, path, withMigrations(append(migrations[:1:1], bad))); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Fatalf("Open with a broken migration = %v", err)
	}
	s, err = Open(ctx, path, withMigrations(migrations[:1]))
	if err != nil {
		t.Fatalf("reopen after failed migration: %v", err)
	}
	defer s.Close()
	var n int
	s.r.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('jobs') WHERE name = 'half'`).Scan(&n)
	if n != 0 {
		t.Error("half-applied migration left a column behind")
	}
}

func TestOpenBadInput(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o644)
	foreign := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for name, c := range map[string]struct {
		path string
		want string
	}{
		"empty path":     {"", "empty database path"},
		"no directory":   {filepath.Join(dir, "missing", "job.db"), "check that its directory exists"},
		"not sqlite":     {notDB, "not an SQLite database"},
		"foreign sqlite": {foreign, "no ssr schema"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(ctx, c.path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, c.want)
			}
		})
	}
}
