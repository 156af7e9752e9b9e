package plugintest

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Fixture is a small sample repository for one plugin, with sample test outputs and what they mean.
type Fixture struct {
	// Dir is the sample repository on disk. When empty, Files is written to a temporary directory.
	Dir string
	// Files is the sample repository as path → content (slash-separated paths), used when Dir is empty.
	Files map[string]string
	// SourceFiles are the files on which every mutation site × operator is tried.
	SourceFiles []string
	// Tests maps a test file to the test ids it defines; RemoveTests is checked on each.
	Tests map[string][]string
	// Outputs are sample test outputs with the statuses the parser must report.
	Outputs []Output
	// Foreign is a repository the plugin must not claim (confidence < 0.5), besides the empty one.
	Foreign map[string]string
}

// Output is one sample of test output.
type Output struct {
	Name   string            `json:"name"`
	Parser string            `json:"parser"` // empty: the parser TestCommand names
	Output []byte            `json:"-"`
	File   string            `json:"file"`  // in a fixture.json: the file holding Output, relative to the fixture
	Want   map[string]string `json:"want"`  // test id → status that must be reported
	Exact  bool              `json:"exact"` // no other ids may be reported
	End    string            `json:"end"`   // when set, the run end (a plugin.Run constant) the parser must report
}

// fixtureFile is the layout of fixture.json.
type fixtureFile struct {
	SourceFiles []string            `json:"source_files"`
	Tests       map[string][]string `json:"tests"`
	Outputs     []Output            `json:"outputs"`
	Foreign     map[string]string   `json:"foreign"`
}

// LoadFixture reads a fixture directory: dir/fixture.json (source_files, tests, outputs with a file and the
// wanted statuses, foreign) and the sample repository in dir/repo.
func LoadFixture(dir string) (Fixture, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		return Fixture{}, fmt.Errorf("load fixture %s: %w (a fixture directory holds fixture.json and repo/)", dir, err)
	}
	var ff fixtureFile
	if err := json.Unmarshal(raw, &ff); err != nil {
		return Fixture{}, fmt.Errorf("load fixture %s: fixture.json: %w", dir, err)
	}
	repo := filepath.Join(dir, "repo")
	if fi, err := os.Stat(repo); err != nil || !fi.IsDir() {
		return Fixture{}, fmt.Errorf("load fixture %s: no repo/ directory with the sample repository", dir)
	}
	for i, o := range ff.Outputs {
		if o.File == "" {
			return Fixture{}, fmt.Errorf("load fixture %s: output %q names no file", dir, o.Name)
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(o.File)))
		if err != nil {
			return Fixture{}, fmt.Errorf("load fixture %s: output %q: %w", dir, o.Name, err)
		}
		ff.Outputs[i].Output = b
		if ff.Outputs[i].Name == "" {
			ff.Outputs[i].Name = o.File
		}
	}
	abs, err := filepath.Abs(repo)
	if err != nil {
		return Fixture{}, err
	}
	return Fixture{Dir: abs, SourceFiles: ff.SourceFiles, Tests: ff.Tests, Outputs: ff.Outputs, Foreign: ff.Foreign}, nil
}

// materialise gives the repository root and its files, writing Files to a fresh directory under tmp when
// the fixture has no Dir.
func (fx Fixture) materialise(tmp string) (root string, files []string, err error) {
	if fx.Dir == "" {
		root = filepath.Join(tmp, "repo")
		return root, sortedKeys(fx.Files), writeFiles(root, fx.Files)
	}
	root, err = filepath.Abs(fx.Dir)
	if err != nil {
		return "", nil, err
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(files)
	return root, files, err
}

// read gives a repository file's content.
func (fx Fixture) read(root, path string) ([]byte, error) {
	if fx.Dir == "" {
		s, ok := fx.Files[path]
		if !ok {
			return nil, fmt.Errorf("%s is not in the fixture's files", path)
		}
		return []byte(s), nil
	}
	return os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
}

func writeFiles(root string, files map[string]string) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
