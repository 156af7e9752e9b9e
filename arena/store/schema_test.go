package store

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestSchemaGolden pins the schema the migrations produce, so a change to a shipped migration
// (instead of a new one) shows up in review as a diff of testdata/schema.sql.
func TestSchemaGolden(t *testing.T) {
	s := openTest(t)
	rows, err := s.r.QueryContext(context.Background(),
		`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var sql string
		if err := rows.Scan(&sql); err != nil {
			t.Fatal(err)
		}
		b.WriteString(sql + ";\n\n")
	}
	got := b.String()
	golden := filepath.Join("testdata", "schema.sql")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestSchemaGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("schema differs from %s; if the change is intended, add a migration and rerun with -update.\ngot:\n%s", golden, got)
	}
}
