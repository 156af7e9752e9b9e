package main

import (
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

const removeSrc = `package p

import (
	"os"
	"strings"
	"testing"
)

// TestA reads a file.
func TestA(t *testing.T) {
	_, _ = os.ReadFile("x")
}

func TestB(t *testing.T) {
	t.Run("sub", func(t *testing.T) {})
}

func TestC(t *testing.T) {
	_ = strings.ToUpper("c")
}

func helper() {}
`

func TestRemoveTests(t *testing.T) {
	tests := map[string]struct {
		ids               []string
		removed, notFound []string
		gone, kept        []string
	}{
		"one test, its doc and its import": {
			ids: []string{"example.com/p::TestA"}, removed: []string{"example.com/p::TestA"},
			gone: []string{"TestA", "reads a file", `"os"`}, kept: []string{"TestB", "TestC", `"strings"`, `"testing"`},
		},
		"subtest removes its parent": {
			ids: []string{"example.com/p::TestB/sub"}, removed: []string{"example.com/p::TestB/sub"},
			gone: []string{"TestB"}, kept: []string{"TestA", "TestC", `"os"`},
		},
		"bare names, unknown and a method-like id": {
			ids: []string{"TestC", "example.com/p::TestZ", "T.TestA"}, removed: []string{"TestC"}, notFound: []string{"example.com/p::TestZ", "T.TestA"},
			gone: []string{"TestC", `"strings"`}, kept: []string{"TestA", "TestB"},
		},
		"everything": {
			ids: []string{"p::TestA", "p::TestB", "p::TestC"}, removed: []string{"p::TestA", "p::TestB", "p::TestC"},
			gone: []string{"Test", "import"}, kept: []string{"func helper() {}"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := goLanguage{}.RemoveTests(t.Context(), &plugin.RemoveTestsRequest{Path: "p_test.go", Source: []byte(removeSrc), Tests: tc.ids})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Removed, tc.removed) || !slices.Equal(r.NotFound, tc.notFound) {
				t.Errorf("removed %q not found %q, want %q and %q", r.Removed, r.NotFound, tc.removed, tc.notFound)
			}
			out := string(r.Source)
			for _, s := range tc.gone {
				if strings.Contains(out, s) {
					t.Errorf("%q still in the result:\n%s", s, out)
				}
			}
			for _, s := range tc.kept {
				if !strings.Contains(out, s) {
					t.Errorf("%q missing from the result:\n%s", s, out)
				}
			}
			if strings.Contains(out, "\n\n\n") {
				t.Errorf("double blank line left behind:\n%s", out)
			}
			if _, err := parser.ParseFile(token.NewFileSet(), "p_test.go", r.Source, 0); err != nil {
				t.Errorf("result does not parse: %v", err)
			}
			if len(unusedLocals(r.Source)) != 0 {
				t.Errorf("unused locals: %v", unusedLocals(r.Source))
			}
		})
	}
}
