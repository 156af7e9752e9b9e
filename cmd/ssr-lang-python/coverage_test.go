package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/examples"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
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
	plugintest.CheckGolden(t, strings.TrimSuffix(in, ".out")+".golden", plugintest.CoverageText(resp), *update)
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
	plugintest.RecordScript(t, example, cmd.Script, out)
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
			if got := plugintest.CoverageText(resp); got != tc.want {
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
		plugintest.CheckCoverageShape(t, parseCoverageContexts(out))
	})
}
