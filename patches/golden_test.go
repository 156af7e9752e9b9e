package patches

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden .out files under testdata")

// TestGolden applies testdata/NAME.patch to the tree in testdata/NAME.src with ApplyDir and
// compares the resulting tree with testdata/NAME.out. For NAME containing "_error_", .out holds
// the expected error text and the tree must be left as it was.
//
// Trees are txtar archives. Their comment holds metadata that txtar cannot carry: "exec: PATH"
// for an executable file, "noeol: PATH" for a file whose final newline txtar adds and the tree
// lacks, and (in .out) "dir: PATH/" for every directory, so that a leftover empty one shows.
func TestGolden(t *testing.T) {
	patches, err := filepath.Glob("testdata/*.patch")
	if err != nil || len(patches) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, pf := range patches {
		name := strings.TrimSuffix(filepath.Base(pf), ".patch")
		t.Run(name, func(t *testing.T) {
			src, err := txtar.ParseFile(filepath.Join("testdata", name+".src"))
			if err != nil {
				t.Fatal(err)
			}
			patchText, err := os.ReadFile(pf)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			extractTree(t, dir, src)
			before := archiveTree(t, dir, "")

			var got []byte
			p, err := ParseBytes(patchText)
			if err == nil {
				err = ApplyDir(context.Background(), dir, p)
			}
			if err != nil {
				got = []byte("error: " + err.Error() + "\n")
				if after := archiveTree(t, dir, ""); !bytes.Equal(after, before) {
					t.Errorf("failed apply changed the tree:\n%s", after)
				}
			} else {
				got = archiveTree(t, dir, "Tree after applying "+name+".patch.")
			}
			if strings.Contains(name, "_error_") != (err != nil) {
				t.Errorf("error = %v; cases named *_error_* must fail and only those", err)
			}

			outFile := filepath.Join("testdata", name+".out")
			if *update {
				if err := os.WriteFile(outFile, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(outFile)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func extractTree(tb testing.TB, dir string, a *txtar.Archive) {
	tb.Helper()
	exec, noeol := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(string(a.Comment), "\n") {
		if p, ok := strings.CutPrefix(line, "exec: "); ok {
			exec[p] = true
		}
		if p, ok := strings.CutPrefix(line, "noeol: "); ok {
			noeol[p] = true
		}
	}
	for _, f := range a.Files {
		data := f.Data
		if noeol[f.Name] {
			data = bytes.TrimSuffix(data, []byte("\n"))
		}
		perm := fs.FileMode(0o644)
		if exec[f.Name] {
			perm = 0o755
		}
		fp := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(fp, data, perm); err != nil {
			tb.Fatal(err)
		}
		if err := os.Chmod(fp, perm); err != nil {
			tb.Fatal(err)
		}
	}
}

// archiveTree renders a directory as a txtar archive with the metadata comment described above.
func archiveTree(tb testing.TB, dir, title string) []byte {
	tb.Helper()
	var meta []string
	a := &txtar.Archive{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." {
				meta = append(meta, "dir: "+rel+"/")
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o100 != 0 {
			meta = append(meta, "exec: "+rel)
		}
		if len(data) > 0 && data[len(data)-1] != '\n' {
			meta = append(meta, "noeol: "+rel)
		}
		a.Files = append(a.Files, txtar.File{Name: rel, Data: data})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(meta)
	a.Comment = []byte(fmt.Sprintf("%s\n%s\n", title, strings.Join(meta, "\n")))
	if title == "" {
		a.Comment = []byte(strings.Join(meta, "\n") + "\n")
	}
	return txtar.Format(a)
}
