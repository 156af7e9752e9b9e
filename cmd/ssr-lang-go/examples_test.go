package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/examples"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

// TestMutationsOnExample applies every site × operator to every source file of the built-in Go example:
// each mutant must differ and still parse, and every operator must apply somewhere.
func TestMutationsOnExample(t *testing.T) {
	dir := t.TempDir()
	if _, err := examples.Materialize("gokit", dir); err != nil {
		t.Fatal(err)
	}
	used := map[string]int{}
	mutants := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sites, err := goLanguage{}.MutationSites(t.Context(), &plugin.MutationSitesRequest{Path: rel, Source: src})
		if err != nil || sites.ParseError != "" {
			t.Fatalf("%s: MutationSites: %v %s", rel, err, sites.ParseError)
		}
		for _, s := range sites.Sites {
			for _, op := range s.Operators {
				r, err := goLanguage{}.ApplyMutation(t.Context(), &plugin.ApplyMutationRequest{Path: rel, Source: src, Site: s, Operator: op})
				if err != nil {
					t.Fatalf("%s: %s at line %d: %v", rel, op, s.Line, err)
				}
				if r.Refused != "" {
					continue
				}
				used[op]++
				mutants++
				if bytes.Equal(r.Source, src) {
					t.Errorf("%s: %s at line %d left the file unchanged", rel, op, s.Line)
				}
				if _, err := parser.ParseFile(token.NewFileSet(), rel, r.Source, 0); err != nil {
					t.Errorf("%s: %s at line %d (%s): mutant does not parse: %v", rel, op, s.Line, r.Description, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range plugin.AllOperators {
		if used[op] == 0 {
			t.Errorf("operator %s never applied on the gokit example", op)
		}
	}
	t.Logf("%d mutants of gokit, by operator: %v", mutants, used)
}

// TestReachableOnExample: on every source file of the built-in Go example, every invertible operator at
// every site is undone byte for byte by one of the solver's edits at that site, and so are three mutations
// at once and a wrong edit on top of a mutation (order 2).
func TestReachableOnExample(t *testing.T) {
	dir := t.TempDir()
	if _, err := examples.Materialize("gokit", dir); err != nil {
		t.Fatal(err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, rel)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	plugintest.RunReachable(t, goLanguage{}, dir, files)
}
