package patches

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestApplyDirRefusesSymlinkedParent is the reproduction from issue 11, item 1: with
// tree/link -> ../outside, a patch through link/ must neither change, delete nor create anything
// outside the tree, and --check (WithDryRun) must say so too.
func TestApplyDirRefusesSymlinkedParent(t *testing.T) {
	tests := map[string]struct {
		patch string
		link  string // the symlinked parent the error must name
	}{
		"modify":                         {patch: "diff --git a/link/s.txt b/link/s.txt\n--- a/link/s.txt\n+++ b/link/s.txt\n@@ -1 +1 @@\n-secret\n+pwned\n", link: "link"},
		"delete":                         {patch: "diff --git a/link/s.txt b/link/s.txt\ndeleted file mode 100644\n--- a/link/s.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-secret\n", link: "link"},
		"create":                         {patch: "diff --git a/link/sub/new.txt b/link/sub/new.txt\nnew file mode 100644\n--- /dev/null\n+++ b/link/sub/new.txt\n@@ -0,0 +1 @@\n+pwned\n", link: "link"},
		"create in existing outside dir": {patch: "diff --git a/link/dir/new.txt b/link/dir/new.txt\nnew file mode 100644\n--- /dev/null\n+++ b/link/dir/new.txt\n@@ -0,0 +1 @@\n+pwned\n", link: "link"},
		"nested link":                    {patch: "diff --git a/a/deep/s.txt b/a/deep/s.txt\n--- a/a/deep/s.txt\n+++ b/a/deep/s.txt\n@@ -1 +1 @@\n-secret\n+pwned\n", link: "a/deep"},
		"rename into link":               {patch: "diff --git a/in.txt b/link/moved.txt\nsimilarity index 100%\nrename from in.txt\nrename to link/moved.txt\n", link: "link"},
	}
	for name, tc := range tests {
		for _, dry := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: "/check"}[dry], func(t *testing.T) {
				base := t.TempDir()
				tree, outside := filepath.Join(base, "tree"), filepath.Join(base, "outside")
				for _, d := range []string{filepath.Join(tree, "a"), filepath.Join(outside, "dir")} {
					if err := os.MkdirAll(d, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				mustWrite(t, filepath.Join(outside, "s.txt"), "secret\n")
				mustWrite(t, filepath.Join(tree, "in.txt"), "inside\n")
				mustSymlink(t, "../outside", filepath.Join(tree, "link"))
				mustSymlink(t, "../../outside", filepath.Join(tree, "a", "deep"))
				before := fsListing(t, base)

				p, err := ParseBytes([]byte(tc.patch))
				if err != nil {
					t.Fatal(err)
				}
				var opts []ApplyOption
				if dry {
					opts = append(opts, WithDryRun())
				}
				err = ApplyDir(t.Context(), tree, p, opts...)
				var se *SymlinkError
				if !errors.As(err, &se) || !errors.Is(err, ErrUnsafePath) || se.Link != tc.link {
					t.Fatalf("err = %v, want a SymlinkError naming %s", err, tc.link)
				}
				if !strings.Contains(err.Error(), tc.link+" is a symbolic link") {
					t.Errorf("message %q does not name the link", err)
				}
				if after := fsListing(t, base); after != before {
					t.Errorf("the file system changed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			})
		}
	}
}

// TestApplyDirCRLFSaysSo: a diff whose line endings were converted to CRLF used to fail with
// "file does not exist" (the names kept their "\r"); now the names are clean and the failure
// names the line endings.
func TestApplyDirCRLFSaysSo(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "f.txt"), "a\nb\nc\n")
	lf := "diff --git a/f.txt b/f.txt\nindex 1c943a9..4b07f6a 100644\n--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
	p, err := ParseBytes([]byte(strings.ReplaceAll(lf, "\n", "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Files[0].Path(); got != "f.txt" {
		t.Errorf("path = %q, want f.txt", got)
	}
	err = ApplyDir(t.Context(), dir, p, WithDryRun())
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "CRLF") {
		t.Fatalf("err = %v, want a conflict that names CRLF line endings", err)
	}
	// The same diff applies to a file that has CRLF line endings itself.
	mustWrite(t, filepath.Join(dir, "f.txt"), "a\r\nb\r\nc\r\n")
	if err := ApplyDir(t.Context(), dir, p); err != nil {
		t.Fatalf("CRLF diff on a CRLF file: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "f.txt")); string(got) != "a\r\nB\r\nc\r\n" {
		t.Errorf("result = %q", got)
	}
}

func mustWrite(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// fsListing lists every path under dir with its type and content, links not followed.
func fsListing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			b.WriteString(rel + " -> " + target + "\n")
		case d.IsDir():
			b.WriteString(rel + "/\n")
		default:
			data, _ := os.ReadFile(p)
			b.WriteString(rel + ": " + string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
