package repos

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestManifestGolden parses every testdata/manifest/*.yaml: *_ok_* files must parse and match their .json
// golden; *_error_* files must fail with the message in their .err golden.
func TestManifestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/manifest/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden manifests: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, perr := ParseManifest(name, data)
			var got []byte
			golden := strings.TrimSuffix(file, ".yaml")
			if strings.Contains(name, "_error_") {
				golden += ".err"
				if perr == nil {
					t.Fatalf("parsed without error; want one")
				}
				var me *ManifestError
				if !errors.As(perr, &me) || !errors.Is(perr, ErrInvalidManifest) {
					t.Fatalf("error %v (%T) is not a *ManifestError wrapping ErrInvalidManifest", perr, perr)
				}
				got = []byte(perr.Error() + "\n")
			} else {
				golden += ".json"
				if perr != nil {
					t.Fatalf("parse: %v", perr)
				}
				got, _ = json.MarshalIndent(m, "", "  ")
				got = append(got, '\n')
			}
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestManifestErrorFormat(t *testing.T) {
	data := "repos:\n  - name: a\n    git: https://example.com/a.git\n  - name: b\n    path: /x\n    limits:\n      memory: 2x\n"
	_, err := ParseManifest("manifest.yaml", []byte(data))
	want := `manifest.yaml:7: repos[1].limits.memory: "2x" is not a size (use e.g. 512m or 2g)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"512m": 512 << 20, "2g": 2 << 30, "2G": 2 << 30, "1.5g": 3 << 29, "64MiB": 64 << 20, "100mb": 100 << 20,
		"1048576": 1 << 20, "4k": 4096, "1t": 1 << 40,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, err := ParseSize(FormatSize(want)); err != nil || back != want {
			t.Errorf("FormatSize(%d) = %q does not parse back", want, FormatSize(want))
		}
	}
	for _, in := range []string{"", "2x", "g", "-1m", "1..2g", "2 g b", "99999999999999t"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded; want an error", in)
		}
	}
}

func TestRepoExcluded(t *testing.T) {
	r := Repo{ExcludeTests: []string{"tests/test_a.py::test_x[1-2]", "tests/test_meta.py::*", "pkg::TestFlaky?"}}
	for id, want := range map[string]bool{
		"tests/test_a.py::test_x[1-2]":     true,  // brackets are literal
		"tests/test_a.py::test_x[1]":       false, // not a character class
		"tests/test_meta.py::test_version": true,
		"tests/test_meta.py":               false,
		"pkg::TestFlaky1":                  true,
		"pkg::TestFlaky12":                 false,
		"pkg::TestOther":                   false,
	} {
		if got := r.Excluded(id); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"*", "", true}, {"*", "anything/at::all", true}, {"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false}, {"?", "", false}, {"a?c", "abc", true}, {"*x", "xxxxxxxxxxxxxxxxy", false},
		{"**a", "bba", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestLoadManifestResolvesRelativePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ssr.yaml")
	data := "repos:\n  - name: a\n    path: ./src/a\n  - name: b\n    git: ../b\n  - name: c\n    git: https://example.com/c.git\n  - name: d\n    git: git@example.com:d.git\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "src/a"), filepath.Join(filepath.Dir(dir), "b"), "https://example.com/c.git", "git@example.com:d.git"}
	got := []string{m.Repos[0].Source.Path, m.Repos[1].Source.Git, m.Repos[2].Source.Git, m.Repos[3].Source.Git}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("repo %d source = %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := m.Repo("zzz"); !errors.Is(err, ErrUnknownRepo) {
		t.Errorf("Repo(zzz) error = %v, want ErrUnknownRepo", err)
	}
	if _, err := LoadManifest(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("LoadManifest(missing) error = %v, want one naming the file", err)
	}
}

func TestAddRepo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "ssr.yaml")
	entries := []Repo{
		{Name: "ledger", Source: Source{Example: "pyledger"}},
		{Name: "kit", Source: Source{Git: "https://example.com/kit.git", Branch: "main"}, Language: "go",
			Limits: Limits{Memory: 2 << 30, Timeout: 10 * time.Minute}},
		{Name: "app", Source: Source{Image: "acme/app:1", Workdir: "/src"}, ExcludeTests: []string{"a::*"}},
	}
	for _, r := range entries {
		if err := AddRepo(path, r); err != nil {
			t.Fatalf("AddRepo(%s): %v", r.Name, err)
		}
	}
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Repos) != len(entries) {
		t.Fatalf("got %d repos, want %d", len(m.Repos), len(entries))
	}
	for i, want := range entries {
		got := m.Repos[i]
		got.Line = 0
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("repo %d:\n got %s\nwant %s", i, gj, wj)
		}
	}
	if err := AddRepo(path, Repo{Name: "kit", Source: Source{Path: "/x"}}); !errors.Is(err, ErrDuplicateRepo) {
		t.Errorf("adding kit twice: %v, want ErrDuplicateRepo", err)
	}
	if err := AddRepo(path, Repo{Name: "Bad Name", Source: Source{Path: "/x"}}); !errors.Is(err, ErrInvalidManifest) {
		t.Errorf("adding a bad name: %v, want ErrInvalidManifest", err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# ssr manifest") {
		t.Errorf("the header comment was lost:\n%s", data)
	}
}

func FuzzParseManifest(f *testing.F) {
	files, _ := filepath.Glob("testdata/manifest/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest("fuzz.yaml", data)
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error is %T, not *ManifestError: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line naming the file: %q", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range m.Repos {
			if !nameRE.MatchString(r.Name) || seen[r.Name] {
				t.Fatalf("accepted a bad or repeated name %q", r.Name)
			}
			seen[r.Name] = true
			if r.Source.Kind() == "" {
				t.Fatalf("accepted repo %q with no source", r.Name)
			}
		}
	})
}

// TestLimitsSandbox: the manifest's limits map onto the sandbox's in one place, and every minimum the
// manifest accepts is one the sandbox starts with.
func TestLimitsSandbox(t *testing.T) {
	for name, c := range map[string]struct {
		in   Limits
		want sandbox.Limits
	}{
		"zero is the default":  {Limits{}, sandbox.Limits{}},
		"all set":              {Limits{Memory: 1 << 30, CPUs: 1.5, PIDs: 64, Timeout: time.Minute}, sandbox.Limits{Memory: 1 << 30, NanoCPUs: 1_500_000_000, Pids: 64, ExecTimeout: time.Minute}},
		"the sandbox minimums": {Limits{Memory: sandbox.MinMemory, PIDs: sandbox.MinPids}, sandbox.Limits{Memory: sandbox.MinMemory, Pids: sandbox.MinPids}},
	} {
		t.Run(name, func(t *testing.T) {
			got := c.in.Sandbox()
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Sandbox() = %+v, want %+v", got, c.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("limits the manifest accepts do not validate as a sandbox's: %v", err)
			}
		})
	}
	if DefaultWorkdir != sandbox.DefaultWorkdir {
		t.Fatalf("DefaultWorkdir %q differs from the sandbox's %q", DefaultWorkdir, sandbox.DefaultWorkdir)
	}
}
