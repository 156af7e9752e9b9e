package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// writeRepo writes files (path → content) under a temporary root and returns the root and the sorted paths.
func writeRepo(t *testing.T, files map[string]string) (string, []string) {
	t.Helper()
	root := t.TempDir()
	var list []string
	for p, c := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(p)), []byte(c))
		list = append(list, p)
	}
	slices.Sort(list)
	return root, list
}

func TestDetect(t *testing.T) {
	tests := map[string]struct {
		files          map[string]string
		min, max       float64
		reasonContains string
	}{
		"empty": {map[string]string{}, 0, 0, "no *.py files"},
		"full python project": {map[string]string{
			"pyproject.toml":     "[project]\nname='x'\n[tool.pytest.ini_options]\naddopts='-q'\n",
			"requirements.txt":   "requests\n",
			"src/x/__init__.py":  "",
			"src/x/core.py":      "",
			"tests/test_core.py": "",
			"tests/conftest.py":  "",
		}, 1, 1, "pyproject.toml [tool.pytest.ini_options]"},
		"setup.py and tests only": {map[string]string{"setup.py": "", "pkg/a.py": "", "pkg/a_test.py": ""}, 0.8, 0.8, "1 test modules"},
		"tox pytest section": {map[string]string{"tox.ini": "[tox]\nenvlist=py3\n[pytest]\nminversion=6\n", "a.py": "", "b.py": "", "c.py": ""},
			0.4, 0.4, "tox.ini [pytest]"},
		"setup.cfg tool:pytest": {map[string]string{"setup.cfg": "[metadata]\nname=x\n[tool:pytest]\ntestpaths=tests\n", "x.py": ""},
			0.6, 0.6, "setup.cfg [tool:pytest]"},
		"scripts in a go repo":    {map[string]string{"go.mod": "", "main.go": "", "a/a.go": "", "b/b.go": "", "scripts/gen.py": ""}, 0, 0.1, "other languages"},
		"vendored python ignored": {map[string]string{"main.go": "", ".venv/lib/site.py": "", "node_modules/x/y.py": ""}, 0, 0, "no *.py"},
		"readme only":             {map[string]string{"README.md": "# hi\n"}, 0, 0, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			root, files := writeRepo(t, tc.files)
			d, err := (&python{}).Detect(ctx, &plugin.DetectRequest{Root: root, Files: files})
			if err != nil {
				t.Fatal(err)
			}
			if d.Confidence < tc.min || d.Confidence > tc.max {
				t.Errorf("confidence %.2f, want in [%.2f, %.2f] (reason %q)", d.Confidence, tc.min, tc.max, d.Reason)
			}
			if d.Reason == "" || strings.Contains(d.Reason, "\n") || !strings.Contains(d.Reason, tc.reasonContains) {
				t.Errorf("reason %q, want one line containing %q", d.Reason, tc.reasonContains)
			}
		})
	}
}

func TestDetectWithoutRoot(t *testing.T) {
	// The checkout may be unreadable: names alone still count.
	d, err := (&python{}).Detect(ctx, &plugin.DetectRequest{Root: "/nonexistent", Files: []string{"setup.py", "m.py", "test_m.py", "conftest.py"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Confidence != 0.9 {
		t.Errorf("confidence %.2f, want 0.9 (%s)", d.Confidence, d.Reason)
	}
}
