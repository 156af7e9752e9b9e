package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

var record = flag.Bool("record", false, "re-run pytest on testdata/suites and rewrite the recorded outputs in testdata/pytest")

// pytestVariants are the command lines whose real outputs are recorded for each suite: this plugin's own
// script, and the shapes other scripts (an injector's test_script.sh, say) commonly produce.
var pytestVariants = []struct {
	name string
	args []string // nil: the script from TestCommand
}{
	{"ssr", nil},
	{"plain", []string{}},
	{"quiet-rA", []string{"-q", "-rA", "-p", "no:cacheprovider"}},
	{"progress-rA", []string{"-v", "-rA", "-p", "no:cacheprovider"}},
	{"capture-off", []string{"-v", "-s", "-rA", "-p", "no:cacheprovider"}},
}

var pytestSuites = []string{"basic", "collection", "fixtures", "killed", "mixin"}

// runSuite runs one variant on one suite with a real pytest and returns what it printed.
func runSuite(t *testing.T, interp, suite string, args []string) []byte {
	t.Helper()
	script := "python3 -m pytest " + strings.Join(quoteAll(args), " ") + " 2>&1; exit 0"
	if args == nil {
		resp, err := (&python{}).TestCommand(context.Background(), &plugin.TestCommandRequest{})
		if err != nil {
			t.Fatal(err)
		}
		script = resp.Script
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = filepath.Join("testdata", "suites", suite)
	cmd.Env = append(os.Environ(), "PATH="+pathWithPython(t, interp), "PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run %s on suite %s: %v\n%s", script, suite, err, out)
	}
	// Absolute paths and timings would make every recording differ; the parser never reads them.
	abs, _ := filepath.Abs(cmd.Dir)
	return bytes.ReplaceAll(out, []byte(abs), []byte("/repo"))
}

// TestParsePytestGolden parses every recorded output and compares with the expected results. With -record
// it first re-runs pytest to refresh the recordings; with -update it rewrites the expected results.
func TestParsePytestGolden(t *testing.T) {
	var python string
	if *record {
		python = pytestPython(t)
	}
	for _, suite := range pytestSuites {
		for _, v := range pytestVariants {
			name := suite + "." + v.name
			t.Run(name, func(t *testing.T) {
				outPath := filepath.Join("testdata", "pytest", name+".out")
				if *record {
					writeFile(t, outPath, runSuite(t, python, suite, v.args))
				}
				output, err := os.ReadFile(outPath)
				if err != nil {
					t.Fatalf("%v (record it with: go test -run TestParsePytestGolden -record -update)", err)
				}
				got := parsePytest(output)
				checkGoldenJSON(t, filepath.Join("testdata", "pytest", name+".json"), got)
			})
		}
	}
}

func checkGoldenJSON(t *testing.T, path string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		writeFile(t, path, b)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from the current result (run with -update if the change is intended):\n%s", path, b)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParsePytestCases covers shapes the recorded suites do not: xdist lines, colours, CRLF, truncated
// output, two sessions in one output, fake headers, pytest -q's bare final line.
func TestParsePytestCases(t *testing.T) {
	tests := map[string]struct {
		output string
		want   string // "status id" per result, in order, joined by "; "
	}{
		"empty":    {"", ""},
		"no tests": {"===== test session starts =====\ncollected 0 items\n\n===== no tests ran in 0.01s =====\n", ""},
		"verbose with progress": {
			"t.py::test_a PASSED                [ 50%]\nt.py::test_b[x y] FAILED   [100%]\n",
			"passed t.py::test_a; failed t.py::test_b[x y]"},
		"xdist": {
			"[gw0] [ 50%] PASSED t.py::test_a \n[gw1] [100%] ERROR t.py::test_b[1]\n",
			"error t.py::test_b[1]"}, // the trailing blank makes the first line no plausible id
		"xdist exact": {
			"[gw0] [ 50%] PASSED t.py::test_a\n[gw1] [100%] SKIPPED t.py::test_b[1]\n",
			"passed t.py::test_a; skipped t.py::test_b[1]"},
		"ansi colours and CRLF": {
			"\x1b[32mt.py::test_a PASSED\x1b[0m\r\nt.py::test_b \x1b[31mFAILED\x1b[0m\r\n",
			"passed t.py::test_a; failed t.py::test_b"},
		"skip reason containing a status": {
			"t.py::test_a SKIPPED (because t.py::x PASSED (y))\n",
			"skipped t.py::test_a"},
		"param id containing a status": {
			"t.py::test_a[b PASSED (c)] FAILED\n",
			"failed t.py::test_a[b PASSED (c)]"},
		"no verbose, summary only, unknown ids": {
			"..F\n===== short test summary info =====\nFAILED t.py::test_b[a - b] - assert 1\nFAILED t.py::T::test_c - x\nERROR t2.py - ImportError: x\nXPASS t.py::test_d reason here\n===== 1 failed in 0.1s =====\n",
			"failed t.py::test_b[a - b]; failed t.py::T::test_c; error t2.py; passed t.py::test_d"},
		"truncated summary still counts": {
			"t.py::test_a PASSED\n===== short test summary info =====\nFAILED t.py::test_b - boom\n",
			"passed t.py::test_a; failed t.py::test_b"},
		"fake summary inside captured output": {
			"t.py::test_a FAILED\n===== FAILURES =====\n_____ test_a _____\n----- Captured stdout call -----\n===== short test summary info =====\nPASSED t.py::ghost\n----- Captured stderr call -----\nx\n===== short test summary info =====\nFAILED t.py::test_a - x\n===== 1 failed in 0.1s =====\n",
			"failed t.py::test_a"},
		"fake session header inside captured output": {
			"t.py::test_a FAILED\n===== FAILURES =====\n===== test session starts =====\nt.py::ghost PASSED\n===== 1 failed in 0.1s =====\n",
			"failed t.py::test_a"},
		"two sessions": {
			"===== test session starts =====\na.py::test_a PASSED\n===== 1 passed in 0.1s =====\n===== test session starts =====\nb.py::test_b FAILED\n===== 1 failed in 0.1s =====\n",
			"passed a.py::test_a; failed b.py::test_b"},
		"teardown error wins over pass": {
			"t.py::test_a PASSED\nt.py::test_a ERROR\n",
			"error t.py::test_a"},
		"collection error header": {
			"===== ERRORS =====\n_____ ERROR collecting pkg/test x.py _____\nE   SyntaxError\n",
			"error pkg/test x.py"},
		"durations": {
			"t.py::test_a PASSED\n===== slowest durations =====\n0.50s call     t.py::test_a\n0.25s setup    t.py::test_a\n0.10s call     t.py::ghost\n===== 1 passed in 1s =====\n",
			"passed t.py::test_a 0.75"},
		"progress noise and session lines": {
			"platform linux -- Python 3.11.2, pytest-7.2.1\nrootdir: /repo\ncollected 3 items\n\nt.py .Fs                          [100%]\n",
			""},
		"complete summary drops uncaptured fakes": {
			"t.py::test_a hello\nt.py::ghost PASSED\nt.py::test_s SKIPPED (x)\nPASSED\n===== short test summary info =====\nPASSED t.py::test_a\n===== 1 passed, 1 skipped in 0.1s =====\n",
			"skipped t.py::test_s; passed t.py::test_a"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, r := range parsePytest([]byte(tc.output)) {
				s := r.Status + " " + r.ID
				if r.Duration != 0 {
					s += " " + strconv.FormatFloat(r.Duration, 'f', -1, 64)
				}
				if r.File != fileOf(r.ID) {
					t.Errorf("%s: File = %q, want %q", r.ID, r.File, fileOf(r.ID))
				}
				got = append(got, s)
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}

func TestParseTestOutputUnknownParser(t *testing.T) {
	_, err := (&python{}).ParseTestOutput(context.Background(), &plugin.ParseTestOutputRequest{Parser: "junit-xml"})
	if err == nil || !strings.Contains(err.Error(), `"junit-xml"`) {
		t.Fatalf("err = %v, want one naming the unknown parser", err)
	}
}

// TestTestCommandLive runs the script TestCommand gives with a real pytest on the recorded suites, on all
// tests and on a selection, and checks the parsed statuses against the golden results.
func TestTestCommandLive(t *testing.T) {
	interp := pytestPython(t)
	for _, suite := range pytestSuites {
		t.Run(suite, func(t *testing.T) {
			got := map[string]string{}
			for _, r := range parsePytest(runSuite(t, interp, suite, nil)) {
				got[r.ID] = r.Status
			}
			want := map[string]string{}
			b, err := os.ReadFile(filepath.Join("testdata", "pytest", suite+".ssr.json"))
			if err != nil {
				t.Fatal(err)
			}
			var results []plugin.TestResult
			if err := json.Unmarshal(b, &results); err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				want[r.ID] = r.Status
			}
			if len(got) != len(want) {
				t.Errorf("%d results, want %d", len(got), len(want))
			}
			for id, st := range want {
				if got[id] != st {
					t.Errorf("%s: %q, want %q", id, got[id], st)
				}
			}
		})
	}
	t.Run("selection", func(t *testing.T) {
		resp, err := (&python{}).TestCommand(context.Background(), &plugin.TestCommandRequest{
			TestFiles: []string{"tests/test_classes.py", "tests/conftest.py", "tests/missing_test.py", "tests/data.json"},
		})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "-c", resp.Script)
		cmd.Dir = filepath.Join("testdata", "suites", "basic")
		cmd.Env = append(os.Environ(), "PATH="+pathWithPython(t, interp))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("script failed: %v\n%s", err, out)
		}
		results := parsePytest(out)
		if len(results) != 5 {
			t.Errorf("%d results, want the 5 tests of tests/test_classes.py:\n%s", len(results), out)
		}
		for _, r := range results {
			if r.File != "tests/test_classes.py" {
				t.Errorf("result from %s outside the selection", r.ID)
			}
		}
		if !bytes.Contains(out, []byte("test file not found, skipped: tests/missing_test.py")) {
			t.Errorf("no note about the missing file:\n%s", out)
		}
	})
}

// TestTestCommandLiveByID runs the script TestCommand gives for test ids with a real pytest: exactly the
// named tests run, a parametrised id and a nested class's test included, and an id that does not exist (a
// test a weakening removed) is skipped instead of stopping the run.
func TestTestCommandLiveByID(t *testing.T) {
	interp := pytestPython(t)
	ids := []string{"tests/test_classes.py::TestStack::test_pop", "tests/test_classes.py::TestStack::TestNested::test_inner",
		"tests/test_classes.py::TestStack::test_param[1]", "tests/test_classes.py::TestStack::test_removed", "tests/test_gone.py::test_x"}
	resp, err := (&python{}).TestCommand(context.Background(), &plugin.TestCommandRequest{TestIDs: ids})
	if err != nil || !resp.SelectsIDs {
		t.Fatalf("TestCommand: %v, SelectsIDs %v", err, resp != nil && resp.SelectsIDs)
	}
	cmd := exec.Command("bash", "-c", resp.Script)
	cmd.Dir = filepath.Join("testdata", "suites", "basic")
	cmd.Env = append(os.Environ(), "PATH="+pathWithPython(t, interp))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script failed: %v\n%s", err, out)
	}
	var got []string
	for _, r := range parsePytest(out) {
		got = append(got, r.ID)
	}
	slices.Sort(got)
	want := []string{ids[1], ids[2], ids[0]}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q:\n%s", got, want, out)
	}
}

// FuzzParsePytest checks the parser's invariants on any input: no panic, one result per id, a known status,
// File the part before "::", durations not negative, every id taken from the input, and determinism.
func FuzzParsePytest(f *testing.F) {
	f.Add([]byte("t.py::test_a PASSED\n"))
	f.Add([]byte("===== short test summary info =====\nFAILED t.py::test_b[a - b] - x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		run := parsePytestRun(data)
		if !slices.Contains([]string{"", plugin.RunCompleted, plugin.RunBuildFailed, plugin.RunCrashed}, run.End) ||
			strings.ContainsAny(run.Detail, "\n\r") || (len(run.Broken) > 0 && run.End != plugin.RunBuildFailed) {
			t.Fatalf("end %q broken %q detail %q", run.End, run.Broken, run.Detail)
		}
		got := parsePytest(data)
		seen := map[string]bool{}
		for _, r := range got {
			if r.ID == "" || seen[r.ID] {
				t.Fatalf("empty or repeated id %q", r.ID)
			}
			seen[r.ID] = true
			if _, ok := severity[r.Status]; !ok {
				t.Fatalf("%s: unknown status %q", r.ID, r.Status)
			}
			if r.File != fileOf(r.ID) || r.Duration < 0 {
				t.Fatalf("%s: file %q duration %v", r.ID, r.File, r.Duration)
			}
			if !bytes.Contains(data, []byte(r.ID)) && !strings.Contains(ansiEscape.ReplaceAllString(string(data), ""), r.ID) {
				t.Fatalf("id %q is not in the input", r.ID)
			}
		}
		again := parsePytest(data)
		if len(again) != len(got) {
			t.Fatalf("not deterministic")
		}
		for i := range got {
			if got[i] != again[i] {
				t.Fatalf("not deterministic at %d", i)
			}
		}
	})
}

// TestParsePytestRunRecorded checks how each recorded run ended (End, Broken) under every variant, and that
// no test absent from the output is reported: the tests after a kill, and those of a file that did not
// collect, are simply missing.
func TestParsePytestRunRecorded(t *testing.T) {
	collectBroken := []string{"tests/test_broken_import.py", "tests/test_syntax.py"}
	tests := map[string]struct {
		end, detail string
		broken      []string
		absent      []string
	}{
		"basic.ssr":              {end: plugin.RunCompleted},
		"basic.quiet-rA":         {end: plugin.RunCompleted},
		"fixtures.ssr":           {end: plugin.RunCompleted},
		"mixin.ssr":              {end: plugin.RunCompleted},
		"mixin.plain":            {end: plugin.RunCompleted},
		"collection.ssr":         {end: plugin.RunBuildFailed, broken: collectBroken, detail: "2 test file(s) did not collect: tests/test_broken_import.py (ModuleNotFoundError: No module named 'module_that_does_not_exist'); tests/test_syntax.py (SyntaxError: invalid syntax)"},
		"collection.ssr-pytest8": {end: plugin.RunBuildFailed, broken: collectBroken},
		"collection.plain":       {end: plugin.RunBuildFailed, broken: collectBroken},
		"collection.quiet-rA":    {end: plugin.RunBuildFailed, broken: collectBroken},
		"collection.progress-rA": {end: plugin.RunBuildFailed, broken: collectBroken},
		"collection.capture-off": {end: plugin.RunBuildFailed, broken: collectBroken},
		"killed.ssr":             {end: plugin.RunCrashed, detail: "last test started: tests/test_killed.py::test_kills_the_run; exit status 137", absent: []string{"test_kills_the_run", "test_after", "test_never_reached"}},
		"killed.plain":           {end: plugin.RunCrashed, absent: []string{"test_kills_the_run", "test_after", "test_never_reached"}},
		"killed.progress-rA":     {end: plugin.RunCrashed, absent: []string{"test_kills_the_run", "test_after", "test_never_reached"}},
		"killed.capture-off":     {end: plugin.RunCrashed, absent: []string{"test_kills_the_run", "test_after", "test_never_reached"}},
		"killed.quiet-rA":        {end: "", absent: []string{"test_kills_the_run", "test_after", "test_never_reached"}}, // -q prints no session header and no id: nothing tells
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", "pytest", name+".out"))
			if err != nil {
				t.Fatal(err)
			}
			r := parsePytestRun(out)
			if r.End != tc.end || !slices.Equal(r.Broken, tc.broken) || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("end %q broken %q detail %q; want %q, %q and a detail containing %q", r.End, r.Broken, r.Detail, tc.end, tc.broken, tc.detail)
			}
			for _, res := range r.Tests {
				for _, a := range tc.absent {
					if strings.HasSuffix(res.ID, "::"+a) {
						t.Errorf("%s reported (%s), but it never ran", res.ID, res.Status)
					}
				}
				if slices.Contains(tc.broken, res.File) && res.ID != res.File {
					t.Errorf("%s reported (%s) from a file that did not collect", res.ID, res.Status)
				}
			}
		})
	}
}

// TestParsePytestRunCases pins End on shapes the recordings do not show.
func TestParsePytestRunCases(t *testing.T) {
	tests := map[string]struct {
		output, end string
		broken      []string
	}{
		"empty":              {"", "", nil},
		"no tests":           {"===== test session starts =====\ncollected 0 items\n\n===== no tests ran in 0.01s =====\n", plugin.RunCompleted, nil},
		"quiet final line":   {"t.py::test_a PASSED\n1 passed in 0.01s\n", plugin.RunCompleted, nil},
		"cut after a result": {"===== test session starts =====\nt.py::test_a PASSED\nt.py::test_b ", plugin.RunCrashed, nil},
		"internal error": {"===== test session starts =====\nINTERNALERROR> Traceback (most recent call last):\nINTERNALERROR> RuntimeError: plugin broke\n===== no tests ran in 0.01s =====\n",
			plugin.RunCrashed, nil},
		"conftest import error": {"ImportError while loading conftest '/repo/tests/conftest.py'.\ntests/conftest.py:1: in <module>\n    import nope\nE   ModuleNotFoundError: No module named 'nope'\n",
			plugin.RunBuildFailed, []string{"tests/conftest.py"}},
		"fixture error is not a collection error": {"===== test session starts =====\nt.py::test_a ERROR\n===== ERRORS =====\n_____ ERROR at setup of test_a _____\nE   fixture 'x' not found\n===== short test summary info =====\nERROR t.py::test_a\n===== 1 error in 0.1s =====\n",
			plugin.RunCompleted, nil},
		"fake final line in captured output, then killed": {"===== test session starts =====\nt.py::test_a FAILED\n===== FAILURES =====\n----- Captured stdout call -----\n3 passed in 0.1s\n", plugin.RunCrashed, nil},
		"second session killed":                           {"===== test session starts =====\na.py::test_a PASSED\n===== 1 passed in 0.1s =====\n===== test session starts =====\nb.py::test_b PASSED\n", plugin.RunCrashed, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := parsePytestRun([]byte(tc.output))
			if r.End != tc.end || !slices.Equal(r.Broken, tc.broken) {
				t.Errorf("end %q broken %q (%s), want %q, %q", r.End, r.Broken, r.Detail, tc.end, tc.broken)
			}
		})
	}
}
