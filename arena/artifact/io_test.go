package artifact

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	tests := map[string]*Artifact{
		"builtin parser": validArtifact(),
		"script parser with metadata": func() *Artifact {
			a := validArtifact()
			a.Parser = Parser{ScriptName: "test_parser.py", Script: "import json,sys\nprint(json.dumps({}))\n"}
			a.Meta = Metadata{Repo: "calc", Strategy: "mutation", Order: 2, ParentBug: "bug-1", PolicyVersion: 3, Agent: "native", Stage: "multi"}
			return a
		}(),
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "art")
			if err := Save(a, dir); err != nil {
				t.Fatal(err)
			}
			got, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, a) {
				t.Fatalf("directory round trip:\n got %+v\nwant %+v", got, a)
			}
			rec, err := a.MarshalRecord()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "art.json")
			if err := os.WriteFile(file, rec, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err = Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, a) {
				t.Fatalf("JSON round trip:\n got %+v\nwant %+v", got, a)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := map[string]struct {
		files map[string]string
		want  string
	}{
		"missing bug diff": {
			files: map[string]string{TestScriptFile: "x", TestFilesFile: "a", WeakenDiffFile: "", ParserFile: "pytest"},
			want:  "bug_inject.diff is missing",
		},
		"no parser": {
			files: map[string]string{TestScriptFile: "x", TestFilesFile: "a", BugDiffFile: "", WeakenDiffFile: ""},
			want:  "no parser",
		},
		"two parsers": {
			files: map[string]string{TestScriptFile: "x", TestFilesFile: "a", BugDiffFile: "", WeakenDiffFile: "", ParserFile: "pytest", "test_parser.py": "x"},
			want:  "both parser.txt and test_parser.py",
		},
		"bad metadata": {
			files: map[string]string{TestScriptFile: "x", TestFilesFile: "a", BugDiffFile: "", WeakenDiffFile: "", ParserFile: "pytest", MetadataFile: `{"strategy": 3}`},
			want:  "metadata.json is not valid metadata JSON",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := UnmarshalJSON("rec.json", []byte(`{"test_script": "x", "bug_diff": "misspelt"}`)); err == nil || !strings.Contains(err.Error(), "rec.json") {
		t.Fatalf("unknown field: err = %v, want an error naming rec.json", err)
	}
}

func TestParseTestFiles(t *testing.T) {
	got := parseTestFiles("a.py\r\n\n# comment\n  tests/b.py  \n")
	want := []string{"a.py", "tests/b.py"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseTestFiles = %q, want %q", got, want)
	}
}

// FuzzUnmarshalJSON: decoding never panics, and whatever decodes survives a record round trip.
func FuzzUnmarshalJSON(f *testing.F) {
	rec, _ := validArtifact().MarshalRecord()
	f.Add(rec)
	f.Add([]byte(`{"parser": {"script_name": "test_parser.py", "script": "x"}, "test_files": ["a", "b"]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := UnmarshalJSON("fuzz", data)
		if err != nil {
			return
		}
		again, err := a.MarshalRecord()
		if err != nil {
			t.Fatal(err)
		}
		b, err := UnmarshalJSON("again", again)
		if err != nil {
			t.Fatalf("re-decoding our own record: %v", err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the artifact:\n%+v\n%+v", a, b)
		}
	})
}

// FuzzParseTestFiles: never panics, and every path it returns is trimmed, non-empty and not a comment.
func FuzzParseTestFiles(f *testing.F) {
	f.Add("a.py\nb.py\n")
	f.Add("# c\r\n\r\n x \n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range parseTestFiles(s) {
			if p == "" || p != strings.TrimSpace(p) || strings.HasPrefix(p, "#") || strings.Contains(p, "\n") {
				t.Fatalf("bad path %q from %q", p, s)
			}
		}
	})
}
