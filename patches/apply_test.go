package patches

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const twoFiles = `diff --git a/a.txt b/a.txt
--- a/a.txt
+++ b/a.txt
@@ -1,2 +1,2 @@
-one
+ONE
 two
diff --git a/b.txt b/b.txt
--- a/b.txt
+++ b/b.txt
@@ -1,2 +1,2 @@
 alpha
-beta
+BETA
`

func TestApplyDirAtomicOnLaterConflict(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]entry{
		"a.txt": {data: []byte("one\ntwo\n"), mode: ModeRegular},
		"b.txt": {data: []byte("alpha\ngamma\n"), mode: ModeRegular},
	})
	p, err := ParseBytes([]byte(twoFiles))
	if err != nil {
		t.Fatal(err)
	}
	err = ApplyDir(context.Background(), dir, p)
	var ae *ApplyError
	if !errors.As(err, &ae) || !errors.Is(err, ErrConflict) || ae.Path != "b.txt" || ae.Hunk != 1 || ae.Line != 2 {
		t.Fatalf("err = %#v (%v), want a conflict in b.txt hunk 1 line 2", err, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(got) != "one\ntwo\n" {
		t.Errorf("a.txt was written although b.txt conflicted: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left files behind: %v", entries)
	}
}

func TestApplyMapAndErrors(t *testing.T) {
	p, err := ParseBytes([]byte(twoFiles))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		files   map[string][]byte
		wantErr error
		want    map[string]string
	}{
		"clean": {
			files: map[string][]byte{"a.txt": []byte("one\ntwo\n"), "b.txt": []byte("alpha\nbeta\n"), "c": []byte("c")},
			want:  map[string]string{"a.txt": "ONE\ntwo\n", "b.txt": "alpha\nBETA\n", "c": "c"},
		},
		"missing": {
			files:   map[string][]byte{"a.txt": []byte("one\ntwo\n")},
			wantErr: ErrMissing,
		},
		"conflict": {
			files:   map[string][]byte{"a.txt": []byte("uno\ntwo\n"), "b.txt": []byte("alpha\nbeta\n")},
			wantErr: ErrConflict,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ApplyMap(tt.files, p)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d files, want %d", len(got), len(tt.want))
			}
			for k, v := range tt.want {
				if string(got[k]) != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if string(tt.files["a.txt"]) != "one\ntwo\n" {
				t.Error("ApplyMap modified its input")
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]struct {
		text string
		want error
	}{
		"climbs out":    {"diff --git a/../x b/../x\n--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n", ErrUnsafePath},
		"inside .git":   {"diff --git a/.git/config b/.git/config\n--- a/.git/config\n+++ b/.git/config\n@@ -1 +1 @@\n-a\n+b\n", ErrUnsafePath},
		"not a diff":    {"hello\n", ErrMalformed},
		"bad hunk line": {"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n?b\n", ErrMalformed},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseBytes([]byte(tt.text))
			var pe *ParseError
			if !errors.Is(err, tt.want) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError wrapping %v", err, tt.want)
			}
		})
	}
	if p, err := ParseBytes([]byte("\n\n")); err != nil || len(p.Files) != 0 {
		t.Errorf("blank input: %v, %v; want an empty patch", p, err)
	}
}

func TestSplitAndFiles(t *testing.T) {
	p, err := ParseBytes([]byte(twoFiles))
	if err != nil {
		t.Fatal(err)
	}
	m, rest := Split(p, func(path string) bool { return strings.HasPrefix(path, "b") })
	if len(m.Files) != 1 || m.Files[0].Path() != "b.txt" || len(rest.Files) != 1 || rest.Files[0].Path() != "a.txt" {
		t.Fatalf("Split: %v / %v", Files(m), Files(rest))
	}
	got := Files(p)
	want := []FileStat{{Path: "a.txt", OldPath: "a.txt", Op: OpModify, Added: 1, Removed: 1}, {Path: "b.txt", OldPath: "b.txt", Op: OpModify, Added: 1, Removed: 1}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Files = %v, want %v", got, want)
	}
}

func TestApplyDirCanceled(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]entry{"a.txt": {data: []byte("one\ntwo\n")}, "b.txt": {data: []byte("alpha\nbeta\n")}})
	p, _ := ParseBytes([]byte(twoFiles))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ApplyDir(ctx, dir, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(got) != "one\ntwo\n" {
		t.Errorf("canceled apply wrote a.txt: %q", got)
	}
}
