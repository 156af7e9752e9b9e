package arena

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/patches"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Test selection. An artifact the arena builds runs the tests that can see its bug, not the whole suite:
// the tests whose recorded coverage (repos.Coverage, once per image) meets a line the bug diff changes, the
// tests the injector saw failing, and, when the selected tests other than the failing ones (which the
// weakening removes) are fewer than min_passing_tests, the fastest other passing tests. The plugin turns the ids into a script (TestCommand with TestIDs) when it
// selects by id, else the script runs the files that define them. Whole suites run instead when
// select_tests is off, the manifest's test_command runs the tests, the repository has no coverage, or the
// coverage cannot tell (a changed file it never saw run, a changed line that ran outside any test, such as a
// module-level statement or a default argument, which may affect every test).

// selection is which tests an artifact runs: IDs, or the whole suite when Whole says why.
type selection struct {
	IDs   []string
	Whole string
	// How many of IDs came from where, for the record.
	Failing, Covering, Unmeasured, Filled int
}

// note is one line on the selection, for the injector's hand-in result.
func (s selection) note(total int) string {
	if s.Whole != "" {
		return "the script runs the whole suite: " + s.Whole
	}
	note := fmt.Sprintf("the script runs %d selected test id(s) of %d tests: %d failing, %d covering the changed lines, %d more to reach min_passing_tests",
		len(s.IDs), total, s.Failing, s.Covering, s.Filled)
	if s.Unmeasured > 0 {
		note += fmt.Sprintf(", %d that the coverage run did not see", s.Unmeasured)
	}
	return note
}

// selectTests chooses the tests of an artifact whose bug diff is bugDiff and whose failing tests (on the
// injector's run) are failing.
func (a *Arena) selectTests(repo *Repo, bugDiff string, failing []string) selection {
	switch cov := repo.Coverage; {
	case !a.cfg.SelectTests:
		return selection{Whole: "select_tests is off"}
	case repo.TestCommand != "":
		return selection{Whole: "the manifest's test_command runs the tests"}
	case cov == nil:
		return selection{Whole: "no per-test coverage was recorded"}
	case cov.Unavailable != "":
		return selection{Whole: "no per-test coverage: " + cov.Unavailable}
	case repo.Baseline == nil:
		return selection{Whole: "no baseline"}
	}
	p, err := patches.ParseBytes([]byte(bugDiff))
	if err != nil {
		return selection{Whole: "the bug diff does not parse: " + err.Error()}
	}
	changed, why := changedLines(p)
	if why != "" {
		return selection{Whole: why}
	}
	covering, why := coveringTests(repo.Coverage, changed)
	if why != "" {
		return selection{Whole: why}
	}
	sel := selection{}
	chosen := map[string]bool{}
	add := func(id string) bool {
		if chosen[id] {
			return false
		}
		chosen[id] = true
		sel.IDs = append(sel.IDs, id)
		return true
	}
	for _, id := range failing {
		if add(cmp.Or(repo.Coverage.Owner(id), id)) {
			sel.Failing++
		}
	}
	for _, id := range covering {
		if add(id) {
			sel.Covering++
		}
	}
	// A passing test the coverage run did not see (its package's instrumented build failed, it was not
	// collected under the tracer) may run any line: it is always selected.
	for _, t := range repo.Baseline.Tests {
		if t.Status == plugin.StatusPassed && !t.Excluded && repo.Coverage.Owner(t.ID) == "" && add(t.ID) {
			sel.Unmeasured++
		}
	}
	// Fill up to min_passing_tests with the fastest tests that passed in every baseline run. The failing
	// tests do not count, nor the tests of their definitions (a parametrised test's other cases, a Go
	// test's other subtests): the weakening removes them, and with both diffs applied min_passing_tests
	// must still pass (validation's step 5).
	removed := map[string]bool{}
	for _, id := range failing {
		removed[definitionOf(id)] = true
	}
	passing := slices.Clone(repo.Baseline.Tests)
	passing = slices.DeleteFunc(passing, func(t repos.TestBaseline) bool {
		return t.Status != plugin.StatusPassed || t.Excluded || removed[definitionOf(t.ID)]
	})
	sort.SliceStable(passing, func(i, j int) bool { return passing[i].Duration < passing[j].Duration })
	selected := func(id string) bool { return chosen[id] || chosen[repo.Coverage.Owner(id)] }
	count := 0
	for _, t := range passing {
		if selected(t.ID) {
			count++
		}
	}
	for _, t := range passing {
		if count >= a.cfg.MinPassingTests {
			break
		}
		if selected(t.ID) {
			continue
		}
		id := cmp.Or(repo.Coverage.Owner(t.ID), t.ID)
		add(id)
		sel.Filled++
		for _, u := range passing { // a top-level Go test brings its subtests along
			if u.ID == id || strings.HasPrefix(u.ID, id+"/") {
				count++
			}
		}
	}
	sort.Strings(sel.IDs)
	return sel
}

// definitionOf is the test definition a test id comes from, the unit a weakening removes: the id without a
// parameter suffix ("tests/t.py::test_x[1-2]" → "tests/t.py::test_x") or a subtest path ("pkg::TestX/a" →
// "pkg::TestX"). Tests of one definition go together: removing one removes them all.
func definitionOf(id string) string {
	sep := strings.Index(id, "::")
	if sep < 0 {
		return id
	}
	if i := strings.IndexByte(id[sep:], '['); i >= 0 && strings.HasSuffix(id, "]") {
		return id[:sep+i]
	}
	if i := strings.IndexByte(id[sep:], '/'); i >= 0 {
		return id[:sep+i]
	}
	return id
}

// changedLines maps each file the bug diff changes to the lines of its original content that the change
// touches: every removed (or replaced) line, and for lines only added between two original lines, both
// neighbours. A file the
// diff adds, or one it renames, has no original lines to look up: why says so.
func changedLines(p *patches.Patch) (map[string][]int, string) {
	out := map[string][]int{}
	for _, f := range p.Files {
		if f.Op != patches.OpModify && f.Op != patches.OpDelete {
			return nil, fmt.Sprintf("the bug %ss %s, which no recorded test ran", f.Op, f.Path())
		}
		var lines []int
		for _, h := range f.Hunks {
			old := h.OldStart
			if h.OldLines == 0 {
				old++ // a pure insertion's start is the line before it
			}
			replacing := false // the current run of changed lines removed some: its added lines replace them
			for _, l := range h.Lines {
				switch l.Kind {
				case patches.Context:
					old++
					replacing = false
				case patches.Delete:
					lines = append(lines, old)
					old++
					replacing = true
				case patches.Add:
					if !replacing {
						lines = append(lines, old-1, old)
					}
				}
			}
		}
		lines = slices.DeleteFunc(lines, func(n int) bool { return n < 1 })
		slices.Sort(lines)
		out[f.OldPath] = slices.Compact(lines)
	}
	return out, ""
}

// coveringTests lists the tests whose coverage meets a changed line. why is set when the coverage cannot
// tell which tests see the change: a changed file that no test and no import ran, or a changed line that ran
// outside any test.
func coveringTests(cov *repos.Coverage, changed map[string][]int) (ids []string, why string) {
	seen := map[string]bool{}
	for _, f := range cov.Shared {
		seen[f.Path] = true
		if l, ok := meets(f.Lines, changed[f.Path]); ok {
			return nil, fmt.Sprintf("line %d of %s runs outside any test (at import or set-up), so every test may see the change", l, f.Path)
		}
	}
	for _, t := range cov.Tests {
		for _, f := range t.Files {
			seen[f.Path] = true
			if _, ok := meets(f.Lines, changed[f.Path]); ok {
				ids = append(ids, t.ID)
				break
			}
		}
	}
	for _, file := range slices.Sorted(maps.Keys(changed)) {
		if !seen[file] {
			return nil, fmt.Sprintf("no recorded test ran %s", file)
		}
	}
	return ids, ""
}

// meets gives the first of lines (sorted) that falls in one of ranges (sorted, disjoint).
func meets(ranges []plugin.LineRange, lines []int) (int, bool) {
	for _, l := range lines {
		i := sort.Search(len(ranges), func(i int) bool { return ranges[i].End >= l })
		if i < len(ranges) && ranges[i].Start <= l {
			return l, true
		}
	}
	return 0, false
}

// selectionScript is the plugin's script for sel: by test id when the plugin selects ids, else by the files
// that define them (known: test id → file). ok is false when neither can be had: the caller runs the whole
// suite.
func selectionScript(ctx context.Context, repo *Repo, sel selection, known map[string]string) (*plugin.TestCommandResponse, bool, error) {
	if sel.Whole != "" || len(sel.IDs) == 0 {
		return nil, false, nil
	}
	cmd, err := repo.Lang.TestCommand(ctx, &plugin.TestCommandRequest{TestIDs: sel.IDs})
	if err != nil {
		return nil, false, fmt.Errorf("test command for %d test id(s): %w", len(sel.IDs), err)
	}
	if cmd.SelectsIDs {
		return cmd, true, nil
	}
	var files []string
	for _, id := range sel.IDs {
		f, ok := known[id]
		if !ok {
			return nil, false, nil
		}
		files = append(files, f)
	}
	slices.Sort(files)
	cmd, err = repo.Lang.TestCommand(ctx, &plugin.TestCommandRequest{TestFiles: slices.Compact(files)})
	if err != nil {
		return nil, false, fmt.Errorf("test command for the files of %d test(s): %w", len(sel.IDs), err)
	}
	return cmd, true, nil
}

// coverageTablePath is where an injector that writes code finds coverageTable: outside /repo, beside its
// artifact directory.
const coverageTablePath = "/ssr/coverage.tsv"

// coverageTable renders the coverage for an agent that reads files: one "test id<TAB>file<TAB>ranges" line
// per test and file it ran, ranges like "12-18,30"; tests that ran no measured line get one line with an
// empty file. Nil when there is no coverage.
func coverageTable(cov *repos.Coverage) []byte {
	if cov == nil || cov.Unavailable != "" || len(cov.Tests) == 0 {
		return nil
	}
	var b strings.Builder
	for _, t := range cov.Tests {
		if len(t.Files) == 0 {
			fmt.Fprintf(&b, "%s\t\t\n", t.ID)
		}
		for _, f := range t.Files {
			parts := make([]string, len(f.Lines))
			for i, l := range f.Lines {
				parts[i] = strconv.Itoa(l.Start)
				if l.End != l.Start {
					parts[i] += "-" + strconv.Itoa(l.End)
				}
			}
			fmt.Fprintf(&b, "%s\t%s\t%s\n", t.ID, f.Path, strings.Join(parts, ","))
		}
	}
	return []byte(b.String())
}
