package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestRemoveInheritedTests hides tests inherited from mixins and base classes in the mixin suite
// (testdata/suites/mixin): the result is compared with testdata/remove/mixin_inherited.out (-update
// rewrites it), asking again on it finds none of the ids, and a real pytest run on it no longer reports
// the hidden tests while the base classes and sibling classes keep theirs.
func TestRemoveInheritedTests(t *testing.T) {
	const path = "tests/test_codecs.py"
	suite := filepath.Join("testdata", "suites", "mixin")
	src, err := os.ReadFile(filepath.Join(suite, path))
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{
		path + "::TestReverse::test_round_trip",         // from a mixin imported from tests/shared.py
		path + "::TestReverse::test_length_kept",        // from a mixin in this file
		path + "::TestReverse::test_empty[1]",           // parametrised shape: the whole method is hidden
		path + "::TestDerived::test_base",               // from a unittest base class in this file
		path + "::TestPlainChild::test_plain_inherited", // from a plain pytest base class
		path + "::TestIdentity::test_own",               // defined: removed
		path + "::TestDerived::test_missing",            // every base is in this file: not there
		path + "::TestNoSuchClass::test_x", "other.py::TestReverse::test_empty",
	}
	resp, err := (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: path, Source: src, Tests: ids})
	if err != nil {
		t.Fatal(err)
	}
	if want := ids[:6]; !slices.Equal(resp.Removed, want) {
		t.Errorf("removed %q, want %q", resp.Removed, want)
	}
	if want := ids[6:]; !slices.Equal(resp.NotFound, want) || len(resp.Unremovable) != 0 {
		t.Errorf("not found %q, unremovable %q; want %q and none", resp.NotFound, resp.Unremovable, want)
	}
	golden := filepath.Join("testdata", "remove", "mixin_inherited.out")
	if *update {
		writeFile(t, golden, resp.Source)
	}
	if want, err := os.ReadFile(golden); err != nil || string(want) != string(resp.Source) {
		t.Errorf("%s differs (%v; run with -update if intended):\n%s", golden, err, resp.Source)
	}
	again, err := (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: path, Source: resp.Source, Tests: ids[:6]})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Removed) != 0 || !slices.Equal(again.NotFound, ids[:6]) || string(again.Source) != string(resp.Source) {
		t.Errorf("asking again: removed %q, not found %q; want every id not found and the file unchanged", again.Removed, again.NotFound)
	}

	interp := pytestPython(t)
	dir := t.TempDir()
	for _, f := range []string{"tests/shared.py", path} {
		b, err := os.ReadFile(filepath.Join(suite, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == path {
			b = resp.Source
		}
		writeFile(t, filepath.Join(dir, f), b)
	}
	script, err := (&python{}).TestCommand(ctx, &plugin.TestCommandRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", script.Script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+pathWithPython(t, interp))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run pytest: %v\n%s", err, out)
	}
	run := parsePytestRun(out)
	got := map[string]string{}
	for _, r := range run.Tests {
		got[strings.TrimPrefix(r.ID, path+"::")] = r.Status
	}
	for _, gone := range []string{"TestReverse::test_round_trip", "TestReverse::test_length_kept", "TestReverse::test_empty",
		"TestDerived::test_base", "TestPlainChild::test_plain_inherited", "TestIdentity::test_own"} {
		if st, ok := got[gone]; ok {
			t.Errorf("%s still runs (%s)", gone, st)
		}
	}
	for _, kept := range []string{"TestIdentity::test_round_trip", "TestIdentity::test_length_kept", "TestIdentity::test_empty",
		"BaseCase::test_base", "TestDerived::test_derived", "TestPlainBase::test_plain_inherited", "TestPlainChild::test_plain_own"} {
		if got[kept] != plugin.StatusPassed {
			t.Errorf("%s: %q, want passed", kept, got[kept])
		}
	}
	if run.End != plugin.RunCompleted || len(got) != 7 {
		t.Errorf("end %q, %d tests %v; want completed with 7\n%s", run.End, len(got), got, out)
	}
}

// TestRemoveInheritedEdgeCases pins the rules on small files: what is unremovable, what a hidden name
// looks like, redefined classes, one-line bodies.
func TestRemoveInheritedEdgeCases(t *testing.T) {
	tests := map[string]struct {
		src, id  string
		outcome  string // removed, not_found or unremovable
		contains string // in the new source (removed) or the reason (unremovable)
	}{
		"assignment alias":  {"class Base:\n    def test_a(self): pass\n\nclass TestX(Base):\n    test_b = Base.test_a\n", "t.py::TestX::test_b", "unremovable", "assignment"},
		"inherited alias":   {"class Base:\n    test_b = print\n\nclass TestX(Base):\n    pass\n", "t.py::TestX::test_b", "unremovable", "assignment"},
		"hidden by None":    {"class Base:\n    def test_a(self): pass\n\nclass TestX(Base):\n    test_a = None\n", "t.py::TestX::test_a", "not_found", ""},
		"hidden in a base":  {"class Base:\n    def test_a(self): pass\n\nclass Mid(Base):\n    test_a = None\n\nclass TestX(Mid):\n    x = 1\n", "t.py::TestX::test_a", "not_found", ""},
		"imported function": {"from helpers import test_shared\n", "t.py::test_shared", "unremovable", "imported"},
		"aliased import":    {"from helpers import check as test_shared\n", "t.py::test_shared", "unremovable", "imported"},
		"unknown base":      {"import lib\n\nclass TestX(lib.Checks):\n    x = 1", "t.py::TestX::test_a", "removed", "    x = 1\n    test_a = None\n"},
		"unittest only":     {"import unittest\n\nclass TestX(unittest.TestCase):\n    x = 1\n", "t.py::TestX::test_a", "not_found", ""},
		"one-line body":     {"class Base:\n    def test_a(self): pass\n\nclass TestX(Base): pass\n", "t.py::TestX::test_a", "unremovable", "class line"},
		"crlf and tabs":     {"class Base:\r\n\tdef test_a(self): pass\r\n\r\nclass TestX(Base):\r\n\tx = 1\r\n", "t.py::TestX::test_a", "removed", "\tx = 1\r\n\ttest_a = None\r\n"},
		"class emptied and hidden": {"class Base:\n    def test_a(self): pass\n\nclass TestX(Base):\n    def test_b(self): pass\n", "t.py::TestX::test_b t.py::TestX::test_a", "removed",
			"class TestX(Base):\n    test_a = None\n"},
		"nested class": {"class Base:\n    def test_a(self): pass\n\nclass TestOuter:\n    class TestInner(Base):\n        y = 2\n", "t.py::TestOuter::TestInner::test_a", "removed", "        y = 2\n        test_a = None\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ids := strings.Fields(tc.id)
			resp, err := (&python{}).RemoveTests(ctx, &plugin.RemoveTestsRequest{Path: "t.py", Source: []byte(tc.src), Tests: ids})
			if err != nil {
				t.Fatal(err)
			}
			last := ids[len(ids)-1]
			switch tc.outcome {
			case "removed":
				if !slices.Contains(resp.Removed, last) || !strings.Contains(string(resp.Source), tc.contains) {
					t.Errorf("removed %q, source:\n%s\nwant %s removed and the source to contain %q", resp.Removed, resp.Source, last, tc.contains)
				}
				if err := checkSyntax(resp.Source); err != nil {
					t.Errorf("result does not parse: %v", err)
				}
			case "not_found":
				if !slices.Equal(resp.NotFound, ids) {
					t.Errorf("not found %q, want %q (removed %q, unremovable %q)", resp.NotFound, ids, resp.Removed, resp.Unremovable)
				}
			case "unremovable":
				if why := resp.Unremovable[last]; !strings.Contains(why, tc.contains) || slices.Contains(resp.Removed, last) || slices.Contains(resp.NotFound, last) {
					t.Errorf("unremovable %q (removed %q, not found %q), want %s with a reason containing %q", resp.Unremovable, resp.Removed, resp.NotFound, last, tc.contains)
				}
			}
		})
	}
}
