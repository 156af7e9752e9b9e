package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// TestRemoveTests removes tests from testdata/remove/test_sample.py; each case's result is compared with
// testdata/remove/<case>.out (-update rewrites them) and must parse.
func TestRemoveTests(t *testing.T) {
	const path = "tests/test_sample.py"
	src, err := os.ReadFile(filepath.Join("testdata", "remove", "test_sample.py"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		ids      []string
		removed  []string
		notFound []string
	}{
		"plain_and_redefinition": {ids: []string{path + "::test_plain"}, removed: []string{path + "::test_plain"}},
		"parametrised_with_decorators": {
			ids:     []string{path + "::test_param[1]", path + "::test_param[2]"},
			removed: []string{path + "::test_param[1]", path + "::test_param[2]"}},
		"last_method_gets_pass":       {ids: []string{path + "::TestOnly::test_alone"}, removed: []string{path + "::TestOnly::test_alone"}},
		"docstring_keeps_class_valid": {ids: []string{path + "::TestWithDoc::test_x"}, removed: []string{path + "::TestWithDoc::test_x"}},
		"methods_and_nested": {
			ids:     []string{path + "::TestMany::test_one", path + "::TestMany::test_two", path + "::TestMany::TestInner::test_deep"},
			removed: []string{path + "::TestMany::test_one", path + "::TestMany::test_two", path + "::TestMany::TestInner::test_deep"}},
		"one_liner_at_end": {ids: []string{path + "::test_last"}, removed: []string{path + "::test_last"}},
		"not_found": {
			ids: []string{path + "::test_missing", "other/test_x.py::test_plain", path + "::TestMany::test_plain", path,
				path + "::helper_missing", path + "::TestMany"},
			notFound: []string{path + "::test_missing", "other/test_x.py::test_plain", path + "::TestMany::test_plain", path,
				path + "::helper_missing", path + "::TestMany"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, err := (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: path, Source: src, Tests: tc.ids})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(resp.Removed, nonNil(tc.removed)) || !slices.Equal(resp.NotFound, nonNil(tc.notFound)) {
				t.Errorf("removed %q not found %q, want %q and %q", resp.Removed, resp.NotFound, tc.removed, tc.notFound)
			}
			if err := checkSyntax(resp.Source); err != nil {
				t.Errorf("result does not parse: %v", err)
			}
			if len(tc.removed) == 0 {
				if string(resp.Source) != string(src) {
					t.Errorf("nothing removed but the file changed")
				}
				return
			}
			golden := filepath.Join("testdata", "remove", name+".out")
			if *update {
				writeFile(t, golden, resp.Source)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if string(resp.Source) != string(want) {
				t.Errorf("%s differs (run with -update if intended):\n%s", golden, resp.Source)
			}
		})
	}
}

func TestRemoveTestsEdgeCases(t *testing.T) {
	// An empty Path matches any file part; CRLF line endings and tab indentation survive.
	src := []byte("class TestA:\r\n\tdef test_a(self):\r\n\t\tpass\r\n\r\ndef test_b():\r\n\tpass\r\n")
	resp, err := (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Source: src, Tests: []string{"x.py::TestA::test_a", "y.py::test_b"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "class TestA:\r\n\tpass\r\n\r\n"; string(resp.Source) != want {
		t.Errorf("got %q, want %q", resp.Source, want)
	}
	// A file that does not parse is an error naming the file.
	_, err = (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: "t.py", Source: []byte("def test_a(:\n"), Tests: []string{"t.py::test_a"}})
	if err == nil || !strings.Contains(err.Error(), "t.py") {
		t.Errorf("err = %v, want a parse error naming t.py", err)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestRemoveEveryTest removes each test of every test module under testdata, one at a time and then all at
// once: every result parses, names exactly that id as removed, and no longer defines it.
func TestRemoveEveryTest(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "suites", "*", "*", "test_*.py"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join("testdata", "suites", "*", "test_*.py"))
	files = append(files, more...)
	files = append(files, filepath.Join("testdata", "fixture", "repo", "tests", "test_ops.py"), filepath.Join("testdata", "remove", "test_sample.py"))
	total := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if checkSyntax(src) != nil {
			continue // the suite with a syntax error on purpose
		}
		total += removeEach(t, f, src)
	}
	if total < 40 {
		t.Errorf("only %d tests found in %d files", total, len(files))
	}
}

// testIDs lists the ids of the test functions a module defines (top-level test_* functions and test_*
// methods of Test* classes, nested classes included), by walking its syntax tree.
func testIDs(t *testing.T, path string, src []byte) []string {
	t.Helper()
	tree, err := parsePython(src)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	var ids []string
	var walk func(block *sitter.Node, prefix string)
	walk = func(block *sitter.Node, prefix string) {
		for _, st := range namedChildren(block) {
			def := definition(st)
			if def == nil {
				continue
			}
			name := definitionName(def, src)
			switch {
			case def.Kind() == "function_definition" && strings.HasPrefix(name, "test"):
				if id := prefix + "::" + name; !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			case def.Kind() == "class_definition" && strings.HasPrefix(name, "Test"):
				walk(def.ChildByFieldName("body"), prefix+"::"+name)
			}
		}
	}
	walk(tree.RootNode(), path)
	return ids
}

func removeEach(t *testing.T, path string, src []byte) int {
	t.Helper()
	ids := testIDs(t, path, src)
	for _, id := range append(ids, "") {
		req := []string{id}
		if id == "" {
			req = ids
		}
		resp, err := (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: path, Source: src, Tests: req})
		if err != nil {
			t.Errorf("%s: remove %v: %v", path, req, err)
			continue
		}
		if !slices.Equal(resp.Removed, req) || len(resp.NotFound) != 0 {
			t.Errorf("%s: remove %v: removed %v, not found %v", path, req, resp.Removed, resp.NotFound)
		}
		if err := checkSyntax(resp.Source); err != nil {
			t.Errorf("%s: remove %v: result does not parse: %v", path, req, err)
		}
		left := testIDs(t, path, resp.Source)
		for _, r := range req {
			if slices.Contains(left, r) {
				t.Errorf("%s: %s still defined after removal", path, r)
			}
		}
		if id != "" && len(left) != len(ids)-1 {
			t.Errorf("%s: removing %s left %d tests, want %d", path, id, len(left), len(ids)-1)
		}
	}
	return len(ids)
}
