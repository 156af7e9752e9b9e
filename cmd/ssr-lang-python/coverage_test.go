package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/examples"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestParseCoverageGolden parses the coverage script's real output on the built-in example pyledger
// (coverage.py 7.6 and pytest-cov on Debian trixie, recorded in its repo image by ssr, see recordCoverage)
// and compares with the .golden file: one line per test, its covered lines per file, then the lines that
// ran outside any test. With -record-coverage it first re-runs the script in the image (needs ssr on PATH
// and the Docker Engine); with -update it rewrites the golden file.
func TestParseCoverageGolden(t *testing.T) {
	in := filepath.Join("testdata", "coverage", "pyledger.out")
	if *recordCoverageFlag {
		recordCoverage(t, "pyledger", in)
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	resp := parseCoverageContexts(raw)
	if resp.Error != "" {
		t.Fatalf("parse %s: %s", in, resp.Error)
	}
	checkGolden(t, strings.TrimSuffix(in, ".out")+".golden", coverageText(resp))
	// What selection relies on, beyond the golden file: the ids are exactly the ones the pytest parser
	// reads from the same run, test files are not measured, and module-level lines are shared.
	var ids []string
	for _, tc := range resp.Tests {
		ids = append(ids, tc.ID)
		for _, f := range tc.Files {
			if strings.HasPrefix(f.Path, "tests/") {
				t.Errorf("%s: test file %s measured", tc.ID, f.Path)
			}
		}
	}
	var parsed []string
	for _, r := range parsePytest(raw) {
		parsed = append(parsed, r.ID)
	}
	slices.Sort(parsed)
	if !slices.Equal(ids, parsed) {
		t.Errorf("coverage ids differ from the pytest parser's:\ncoverage: %q\npytest:   %q", ids, parsed)
	}
	if len(resp.Shared) == 0 {
		t.Error("no shared lines: module-level code (imports, def lines) ran outside any test")
	}
}

var recordCoverageFlag = flag.Bool("record-coverage", false, "re-run the coverage script on the example's image (ssr on PATH, Docker) before the golden test")

// recordCoverage builds the built-in example's image with ssr and runs this plugin's coverage script in
// it (for the example's files, as the baseline asks), writing what it prints to out.
func recordCoverage(t *testing.T, example, out string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := examples.Materialize(example, dir); err != nil {
		t.Fatal(err)
	}
	files, err := exec.Command("git", "-C", dir, "ls-files").Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := (&python{}).CoverageCommand(t.Context(), &plugin.CoverageCommandRequest{Files: strings.Fields(string(files))})
	if err != nil || cmd.Script == "" {
		t.Fatalf("CoverageCommand: %v %+v", err, cmd)
	}
	recordScript(t, example, cmd.Script, out)
}

// recordScript runs script in the image of a built-in example, through the ssr CLI, and keeps its output.
func recordScript(t *testing.T, example, script, out string) {
	t.Helper()
	dir := t.TempDir()
	manifest := filepath.Join(dir, "ssr.yaml")
	if err := os.WriteFile(manifest, []byte(fmt.Sprintf("repos:\n  - name: %s\n    example: %s\n", example, example)), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("ssr", "repos", "build", "--manifest", manifest).CombinedOutput(); err != nil {
		t.Fatalf("ssr repos build: %v\n%s", err, b)
	}
	ls, err := exec.Command("ssr", "repos", "ls", "--manifest", manifest).Output()
	if err != nil {
		t.Fatalf("ssr repos ls: %v", err)
	}
	var image string
	for _, line := range strings.Split(string(ls), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[0] == example {
			image = f[4]
		}
	}
	if image == "" {
		t.Fatalf("no image for %s in:\n%s", example, ls)
	}
	run := exec.Command("ssr", "exec", "-i", image, "--", "bash", "-s")
	run.Stdin = strings.NewReader(script)
	b, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("ssr exec %s: %v\n%s", image, err, b)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// coverageText is a coverage parse as golden text: "id<TAB>file:ranges file:ranges", one test a line, then
// the shared lines and the error.
func coverageText(r *plugin.ParseCoverageResponse) string {
	var b strings.Builder
	files := func(fs []plugin.FileLines) string {
		var parts []string
		for _, f := range fs {
			var rs []string
			for _, l := range f.Lines {
				if l.Start == l.End {
					rs = append(rs, fmt.Sprint(l.Start))
				} else {
					rs = append(rs, fmt.Sprintf("%d-%d", l.Start, l.End))
				}
			}
			parts = append(parts, f.Path+":"+strings.Join(rs, ","))
		}
		return strings.Join(parts, " ")
	}
	for _, tc := range r.Tests {
		fmt.Fprintf(&b, "%s\t%s\n", tc.ID, files(tc.Files))
	}
	fmt.Fprintf(&b, "shared\t%s\nerror\t%s\n", files(r.Shared), r.Error)
	return b.String()
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// TestParseCoverageCases covers shapes the recording does not.
func TestParseCoverageCases(t *testing.T) {
	report := `{"meta":{"format":3},"files":{` +
		`"pkg/a.py":{"executed_lines":[1,3,4],"contexts":{"1":[""],"3":["tests/test_a.py::test_x|run","tests/test_a.py::test_y[1]|setup"],"4":["tests/test_a.py::test_x|run"]},"ssr_spans":[[4,6],[9,1]]},` +
		`"/usr/lib/python3/x.py":{"executed_lines":[1],"contexts":{"1":["tests/test_a.py::test_x|run"]}}}}`
	tests := map[string]struct {
		out       string
		want      string
		wantError string
	}{
		"contexts, phases, spans, shared lines, a test covering nothing": {
			out: "tests/test_a.py::test_x PASSED\ntests/test_a.py::test_y[1] PASSED\ntests/test_a.py::test_z PASSED\n" + coverageMarker + "\n" + report + "\nssr-coverage: end\n",
			want: "tests/test_a.py::test_x\tpkg/a.py:3-6\ntests/test_a.py::test_y[1]\tpkg/a.py:3\ntests/test_a.py::test_z\t\n" +
				"shared\tpkg/a.py:1\nerror\t\n",
		},
		"no report": {
			out:       "E   pytest: error: unrecognized arguments: --cov\nssr-coverage: pytest exited with status 4\nssr-coverage: coverage json failed: No data to report.\n",
			wantError: "no coverage report in the output: ssr-coverage: coverage json failed",
		},
		"a report that is not JSON": {
			out:       coverageMarker + "\n{\"files\": \n",
			wantError: "the coverage report is not JSON",
		},
		"a report naming no test": {
			out:       coverageMarker + "\n{\"files\":{}}\n",
			wantError: "the coverage report names no test",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := parseCoverageContexts([]byte(tc.out))
			if tc.wantError != "" {
				if !strings.HasPrefix(resp.Error, tc.wantError) {
					t.Fatalf("Error = %q, want %q…", resp.Error, tc.wantError)
				}
				return
			}
			if got := coverageText(resp); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestTestCommandSelectsIDs: node ids go on pytest's command line as they are.
func TestTestCommandSelectsIDs(t *testing.T) {
	ids := []string{"tests/test_a.py::test_x[1-2]", "tests/test_b.py::TestC::test_d"}
	resp, err := (&python{}).TestCommand(t.Context(), &plugin.TestCommandRequest{TestIDs: ids, TestFiles: []string{"tests/test_e.py"}})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.SelectsIDs || !strings.Contains(resp.Script, "for f in 'tests/test_a.py' 'tests/test_b.py'; do") || !strings.Contains(resp.Script, "\ntests/test_a.py::test_x[1-2]\ntests/test_b.py::TestC::test_d\nSSR_IDS\n") ||
		strings.Contains(resp.Script, "test_e.py") {
		t.Errorf("SelectsIDs = %v, script:\n%s", resp.SelectsIDs, resp.Script)
	}
}

// TestCoverageCommandMeasuresSources: the include list is the Sources rule's files, and a repository with
// none says why it has no coverage.
func TestCoverageCommandMeasuresSources(t *testing.T) {
	resp, err := (&python{}).CoverageCommand(t.Context(), &plugin.CoverageCommandRequest{Files: []string{"pkg/a.py", "tests/test_a.py", "docs/conf.py"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Script, "include =\n    pkg/a.py\n") || strings.Contains(resp.Script, "test_a.py") || resp.Parser != parserCoverage {
		t.Errorf("parser %q, script:\n%s", resp.Parser, resp.Script)
	}
	none, err := (&python{}).CoverageCommand(t.Context(), &plugin.CoverageCommandRequest{Files: []string{"tests/test_a.py", "README.md"}})
	if err != nil || none.Script != "" || none.Unsupported == "" {
		t.Errorf("no sources: %v %+v", err, none)
	}
}

// FuzzParseCoverage: any output parses without panicking into sorted tests with sorted, disjoint, positive
// line ranges.
func FuzzParseCoverage(f *testing.F) {
	f.Add([]byte("tests/t.py::test_a PASSED\n" + coverageMarker + "\n{\"files\":{\"a.py\":{\"contexts\":{\"2\":[\"tests/t.py::test_a|run\",\"\"]},\"ssr_spans\":[[2,4]]}}}\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		resp := parseCoverageContexts(out)
		for i, tc := range resp.Tests {
			if i > 0 && resp.Tests[i-1].ID >= tc.ID {
				t.Fatalf("tests not sorted and unique: %q then %q", resp.Tests[i-1].ID, tc.ID)
			}
			checkFileLines(t, tc.Files)
		}
		checkFileLines(t, resp.Shared)
	})
}

func checkFileLines(t *testing.T, fs []plugin.FileLines) {
	t.Helper()
	for i, f := range fs {
		if i > 0 && fs[i-1].Path >= f.Path {
			t.Fatalf("files not sorted and unique: %q then %q", fs[i-1].Path, f.Path)
		}
		for j, l := range f.Lines {
			if l.Start < 1 || l.End < l.Start || (j > 0 && fs[i].Lines[j-1].End+1 >= l.Start) {
				t.Fatalf("%s: bad or unmerged ranges %v", f.Path, f.Lines)
			}
		}
	}
}
