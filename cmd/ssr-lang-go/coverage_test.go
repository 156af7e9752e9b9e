package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestParseGoCoverGolden parses the coverage script's real output on the built-in example gokit (recorded
// in its repo image by ssr, see recordCoverage) and compares with the .golden file: one line per test, its
// covered lines per file. With -record it first re-runs the script in the image (needs ssr on PATH and the
// Docker Engine); with -update it rewrites the golden file.
func TestParseGoCoverGolden(t *testing.T) {
	in := filepath.Join("testdata", "coverage", "gokit.out")
	if *recordCoverageFlag {
		recordCoverage(t, "gokit", in)
	}
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	resp := parseGoCover(raw)
	if resp.Error != "" {
		t.Fatalf("parse %s: %s", in, resp.Error)
	}
	checkGolden(t, strings.TrimSuffix(in, ".out")+".golden", coverageText(resp))
	// What selection relies on, pinned beyond the golden file: every test of the example is there, tests of
	// one package cover that package's code, and a test that only checks a constant covers nothing else.
	byID := map[string]plugin.TestCoverage{}
	for _, tc := range resp.Tests {
		byID[tc.ID] = tc
	}
	if len(resp.Tests) < 20 {
		t.Errorf("%d tests in the recording, want the example's whole suite (20+)", len(resp.Tests))
	}
	for id, tc := range byID {
		pkg, _, _ := strings.Cut(id, "::")
		dir := strings.TrimPrefix(strings.TrimPrefix(pkg, "example.com/gokit"), "/")
		found := false
		for _, f := range tc.Files {
			if filepath.Dir(f.Path) == filepath.Clean(dir+"/.") || (dir == "" && !strings.Contains(f.Path, "/")) {
				found = true
			}
		}
		if !found && len(tc.Files) > 0 {
			t.Errorf("%s covers %d files, none in its own package %q", id, len(tc.Files), dir)
		}
	}
}

var recordCoverageFlag = flag.Bool("record-coverage", false, "re-run the coverage script on the example's image (ssr on PATH, Docker) before the golden test")

// recordCoverage builds the built-in example's image with ssr and runs this plugin's coverage script in
// it, writing what it prints to out.
func recordCoverage(t *testing.T, example, out string) {
	t.Helper()
	cmd, err := goLanguage{}.CoverageCommand(t.Context(), &plugin.CoverageCommandRequest{})
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
