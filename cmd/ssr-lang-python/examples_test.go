package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/examples"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

// TestMutationsOnExample applies every site × operator to every source module of the built-in Python example:
// each mutant must differ and parse (tree-sitter here, CPython's ast.parse for all of them when python3 is
// installed), and every operator must apply somewhere.
func TestMutationsOnExample(t *testing.T) {
	dir := t.TempDir()
	if _, err := examples.Materialize("pyledger", dir); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var mutants []string
	used := map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") || strings.Contains(p, "/tests/") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, site := range sites(t, p, src) {
			for _, op := range site.Operators {
				resp := apply(t, p, src, site, op)
				if resp.Refused != "" {
					continue
				}
				used[op]++
				where := fmt.Sprintf("%s:%d %s", p, site.Line, op)
				if bytes.Equal(resp.Source, src) {
					t.Errorf("%s: result equals the input", where)
				}
				if err := checkSyntax(resp.Source); err != nil {
					t.Errorf("%s: result does not parse: %v", where, err)
				}
				name := filepath.Join(out, fmt.Sprintf("m%05d.py", len(mutants)))
				if err := os.WriteFile(name, resp.Source, 0o644); err != nil {
					t.Fatal(err)
				}
				mutants = append(mutants, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range plugin.AllOperators {
		if used[op] == 0 {
			t.Errorf("operator %s never applied on the pyledger example", op)
		}
	}
	t.Logf("%d mutants of pyledger, by operator: %v", len(mutants), used)
	astParseAll(t, mutants)
}

// TestReachableOnExample: on every source module of the built-in Python example, every invertible
// operator at every site is undone byte for byte by one of the solver's edits at that site, and so are
// three mutations at once and a wrong edit on top of a mutation (order 2).
func TestReachableOnExample(t *testing.T) {
	dir := t.TempDir()
	if _, err := examples.Materialize("pyledger", dir); err != nil {
		t.Fatal(err)
	}
	plugintest.RunReachable(t, &python{}, dir, exampleSources(t, dir, ".py", func(p string) bool { return strings.Contains(p, "tests/") }))
}

// exampleSources lists the files under dir with the extension, relative to dir, leaving out tests.
func exampleSources(t *testing.T, dir, ext string, isTest func(string) bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ext) {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err == nil && !isTest(rel) {
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
