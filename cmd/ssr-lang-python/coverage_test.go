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
