package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
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
