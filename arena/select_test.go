package arena

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

func TestChangedLines(t *testing.T) {
	tests := map[string]struct {
		diff string
		want map[string][]int
		why  string
	}{
		"a changed line": {
			diff: "--- a/p/a.py\n+++ b/p/a.py\n@@ -3,3 +3,3 @@\n x\n-y\n+z\n w\n",
			want: map[string][]int{"p/a.py": {4}},
		},
		"a line added between two": {
			diff: "--- a/p/a.py\n+++ b/p/a.py\n@@ -3,2 +3,3 @@\n x\n+new\n w\n",
			want: map[string][]int{"p/a.py": {3, 4}},
		},
		"a line added at the top": {
			diff: "--- a/a.go\n+++ b/a.go\n@@ -0,0 +1 @@\n+package a\n",
			want: map[string][]int{"a.go": {1}},
		},
		"a removed line and two files": {
			diff: "--- a/a.go\n+++ b/a.go\n@@ -10,2 +10 @@\n-gone\n same\n--- a/b.go\n+++ b/b.go\n@@ -1 +1 @@\n-x\n+y\n",
			want: map[string][]int{"a.go": {10}, "b.go": {1}},
		},
		"a new file": {
			diff: "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n",
			why:  "the bug adds new.py",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := patches.ParseBytes([]byte(tc.diff))
			if err != nil {
				t.Fatal(err)
			}
			got, why := changedLines(p)
			if tc.why != "" {
				if !strings.HasPrefix(why, tc.why) {
					t.Fatalf("why = %q, want %q…", why, tc.why)
				}
				return
			}
			if why != "" || len(got) != len(tc.want) {
				t.Fatalf("got %v (%s), want %v", got, why, tc.want)
			}
			for f, lines := range tc.want {
				if !slices.Equal(got[f], lines) {
					t.Errorf("%s: %v, want %v", f, got[f], lines)
				}
			}
		})
	}
}

// selectionRepo is a repository with a baseline of passing tests and their coverage: "m::TestA" covers
// lines 10-12 of a.go, "m::TestB" line 20 and its subtests pass separately, "m::TestC" covers nothing,
// "m::TestSlow" covers a.go's line 30; line 1 of a.go runs at package set-up.
func selectionRepo() *Repo {
	lr := func(s, e int) []plugin.LineRange { return []plugin.LineRange{{Start: s, End: e}} }
	cov := &repos.Coverage{
		Tests: []plugin.TestCoverage{
			{ID: "m::TestA", Files: []plugin.FileLines{{Path: "a.go", Lines: lr(10, 12)}}},
			{ID: "m::TestB", Files: []plugin.FileLines{{Path: "a.go", Lines: lr(20, 20)}}},
			{ID: "m::TestC"},
			{ID: "m::TestSlow", Files: []plugin.FileLines{{Path: "a.go", Lines: lr(30, 30)}}},
		},
		Shared: []plugin.FileLines{{Path: "a.go", Lines: lr(1, 1)}},
	}
	bl := &repos.Baseline{Tests: []repos.TestBaseline{
		{ID: "m::TestA", Status: plugin.StatusPassed, Duration: 0.2},
		{ID: "m::TestB/one", Status: plugin.StatusPassed, Duration: 0.1},
		{ID: "m::TestB/two", Status: plugin.StatusPassed, Duration: 0.1},
		{ID: "m::TestC", Status: plugin.StatusPassed, Duration: 0.01},
		{ID: "m::TestSlow", Status: plugin.StatusPassed, Duration: 9},
		{ID: "m::TestFlaky", Status: repos.StatusFlaky},
	}}
	return &Repo{Name: "m", Coverage: cov, Baseline: bl}
}

func TestSelectTests(t *testing.T) {
	const change10 = "--- a/a.go\n+++ b/a.go\n@@ -10 +10 @@\n-x\n+y\n"
	tests := map[string]struct {
		diff       string
		failing    []string
		minPassing int
		off        bool
		repo       func(*Repo)
		want       []string
		whole      string
	}{
		"the covering test": {diff: change10, minPassing: 1, want: []string{"m::TestA"}},
		"failing subtests select their top-level test": {
			diff: change10, failing: []string{"m::TestB/one"}, minPassing: 1, want: []string{"m::TestA", "m::TestB"},
		},
		"filled with the fastest passing tests": {
			diff: change10, minPassing: 4, want: []string{"m::TestA", "m::TestB", "m::TestC"},
		},
		"the failing tests do not count towards min_passing_tests": {
			diff: change10, failing: []string{"m::TestA"}, minPassing: 1, want: []string{"m::TestA", "m::TestC"},
		},
		"nor their definitions' other subtests": {
			diff: change10, failing: []string{"m::TestB/one"}, minPassing: 1, want: []string{"m::TestA", "m::TestB"},
		},
		"which then need more": {
			diff: change10, failing: []string{"m::TestB/one"}, minPassing: 2, want: []string{"m::TestA", "m::TestB", "m::TestC"},
		},
		"a shared line runs the whole suite": {
			diff: "--- a/a.go\n+++ b/a.go\n@@ -1 +1 @@\n-x\n+y\n", minPassing: 1, whole: "line 1 of a.go runs outside any test",
		},
		"a file no test ran": {
			diff: "--- a/b.go\n+++ b/b.go\n@@ -1 +1 @@\n-x\n+y\n", minPassing: 1, whole: "no recorded test ran b.go",
		},
		"a passing test the coverage did not see is always selected": {
			diff: change10, minPassing: 1, want: []string{"m::TestA", "m::TestNew"},
			repo: func(r *Repo) {
				r.Baseline.Tests = append(r.Baseline.Tests, repos.TestBaseline{ID: "m::TestNew", Status: plugin.StatusPassed, Duration: 5})
			},
		},
		"select_tests off": {diff: change10, off: true, whole: "select_tests is off"},
		"no coverage": {
			diff: change10, repo: func(r *Repo) { r.Coverage = &repos.Coverage{Unavailable: "the run timed out"} },
			whole: "no per-test coverage: the run timed out",
		},
		"the manifest's test_command": {
			diff: change10, repo: func(r *Repo) { r.TestCommand = "make test" }, whole: "the manifest's test_command",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			repo := selectionRepo()
			if tc.repo != nil {
				tc.repo(repo)
			}
			cfg := DefaultConfig()
			cfg.MinPassingTests, cfg.SelectTests = tc.minPassing, !tc.off
			a := New(nil, "job", cfg, nil)
			sel := a.selectTests(repo, tc.diff, tc.failing)
			if tc.whole != "" {
				if !strings.HasPrefix(sel.Whole, tc.whole) {
					t.Fatalf("Whole = %q (ids %q), want %q…", sel.Whole, sel.IDs, tc.whole)
				}
				return
			}
			if sel.Whole != "" || !slices.Equal(sel.IDs, tc.want) {
				t.Errorf("selected %q (whole: %q), want %q", sel.IDs, sel.Whole, tc.want)
			}
		})
	}
}

func TestDefinitionOf(t *testing.T) {
	for id, want := range map[string]string{
		"tests/t.py::test_x[1-2]":      "tests/t.py::test_x",
		"tests/t.py::TestC::test_y":    "tests/t.py::TestC::test_y",
		"tests/t.py::test_z[a/b::c]":   "tests/t.py::test_z",
		"example.com/m/p::TestA/sub/x": "example.com/m/p::TestA",
		"example.com/m/p::TestA":       "example.com/m/p::TestA",
		"tests/a[1]/t.py::test_w":      "tests/a[1]/t.py::test_w",
	} {
		if got := definitionOf(id); got != want {
			t.Errorf("definitionOf(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestCoverageTable(t *testing.T) {
	got := string(coverageTable(selectionRepo().Coverage))
	want := "m::TestA\ta.go\t10-12\nm::TestB\ta.go\t20\nm::TestC\t\t\nm::TestSlow\ta.go\t30\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if coverageTable(&repos.Coverage{Unavailable: "x"}) != nil || coverageTable(nil) != nil {
		t.Error("a table without coverage")
	}
}
