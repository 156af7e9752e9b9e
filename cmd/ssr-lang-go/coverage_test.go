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

// TestParseGoCoverCases covers shapes the recording does not: a cut output, no module line, a package
// that did not build, corrupt profile lines, blocks outside the module, a test covering nothing.
func TestParseGoCoverCases(t *testing.T) {
	const mod = "ssr-cover module example.com/m\n"
	tests := map[string]struct {
		out       string
		want      string // coverageText
		wantError string // a prefix of Error
	}{
		"two tests, one covering nothing": {
			out:  mod + "ssr-cover test example.com/m/p::TestA exit=0\nexample.com/m/p/a.go:3.10,5.2 2 1\nexample.com/m/p/a.go:6.1,6.9 1 1\nssr-cover test example.com/m/p::TestB exit=1\nssr-cover end\n",
			want: "example.com/m/p::TestA\tp/a.go:3-6\nexample.com/m/p::TestB\t\nshared\t\nerror\t\n",
		},
		"root package and blocks outside the module": {
			out:  mod + "ssr-cover test example.com/m::TestRoot exit=0\nexample.com/m/m.go:1.1,1.5 1 1\nother.org/x/x.go:1.1,2.1 1 1\nssr-cover end\n",
			want: "example.com/m::TestRoot\tm.go:1\nshared\t\nerror\t\n",
		},
		"corrupt lines are skipped": {
			out:  mod + "ssr-cover test example.com/m/p::TestA exit=0\nexample.com/m/p/a.go:9.1,3.1 1 1\nexample.com/m/p/a.go:x.1,3.1 1 1\nexample.com/m/p/a.go 1 1\nexample.com/m/p/a.go:4.1,4.2 1 0\nssr-cover end\n",
			want: "example.com/m/p::TestA\t\nshared\t\nerror\t\n",
		},
		"a package that did not build": {
			out:  mod + "ssr-cover build-failed example.com/m/q\nssr-cover   q.go:3: undefined: x\nssr-cover test example.com/m/p::TestA exit=0\nexample.com/m/p/a.go:1.1,1.2 1 1\nssr-cover end\n",
			want: "example.com/m/p::TestA\tp/a.go:1\nshared\t\nerror\t\n",
		},
		"cut before the end": {
			out:       mod + "ssr-cover test example.com/m/p::TestA exit=0\nexample.com/m/p/a.go:1.1,1.2 1 1\n",
			wantError: "no coverage: the output stops before",
		},
		"no module line": {
			out:       "go: cannot find main module\n",
			wantError: "no coverage: the output has no",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := parseGoCover([]byte(tc.out))
			if tc.wantError != "" {
				if !strings.HasPrefix(resp.Error, tc.wantError) || len(resp.Tests) > 0 {
					t.Fatalf("Error = %q with %d tests, want %q…", resp.Error, len(resp.Tests), tc.wantError)
				}
				return
			}
			if got := coverageText(resp); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestTestCommandSelectsIDs: test ids become their packages and one -run pattern of top-level names.
func TestTestCommandSelectsIDs(t *testing.T) {
	resp, err := goLanguage{}.TestCommand(t.Context(), &plugin.TestCommandRequest{
		TestIDs:   []string{"example.com/m/p::TestB/sub", "example.com/m/p::TestA", "example.com/m::TestRoot", "example.com/m/q::[build]", "bad id"},
		TestFiles: []string{"ignored_test.go"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.SelectsIDs {
		t.Error("SelectsIDs = false")
	}
	for _, want := range []string{"-run '^(TestA|TestB|TestRoot)$' example.com/m example.com/m/p 2>&1", "-run '^(TestA|TestB|TestRoot)$' -skip"} {
		if !strings.Contains(resp.Script, want) {
			t.Errorf("script lacks %q:\n%s", want, resp.Script)
		}
	}
	all, _ := goLanguage{}.TestCommand(t.Context(), &plugin.TestCommandRequest{})
	if all.SelectsIDs || strings.Contains(all.Script, "-run '") || !strings.Contains(all.Script, "-timeout 5m ./... 2>&1") {
		t.Errorf("the whole suite's script changed:\n%s", all.Script)
	}
}

// FuzzParseGoCover: any output parses without panicking into sorted tests with sorted, disjoint, positive
// line ranges, and either tests or an error.
func FuzzParseGoCover(f *testing.F) {
	f.Add([]byte("ssr-cover module example.com/m\nssr-cover test example.com/m/p::TestA exit=0\nexample.com/m/p/a.go:3.10,5.2 2 1\nssr-cover end\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		checkCoverageShape(t, parseGoCover(out))
	})
}

func checkCoverageShape(t *testing.T, resp *plugin.ParseCoverageResponse) {
	t.Helper()
	if resp.Error == "" && len(resp.Tests) == 0 && len(resp.Shared) > 0 {
		t.Fatalf("shared lines without tests or an error: %+v", resp)
	}
	for i, tc := range resp.Tests {
		if i > 0 && resp.Tests[i-1].ID >= tc.ID {
			t.Fatalf("tests not sorted and unique: %q then %q", resp.Tests[i-1].ID, tc.ID)
		}
		checkFileLines(t, tc.Files)
	}
	checkFileLines(t, resp.Shared)
}

func checkFileLines(t *testing.T, fs []plugin.FileLines) {
	t.Helper()
	for i, f := range fs {
		if i > 0 && fs[i-1].Path >= f.Path {
			t.Fatalf("files not sorted and unique: %q then %q", fs[i-1].Path, f.Path)
		}
		for j, l := range f.Lines {
			if l.Start < 1 || l.End < l.Start || (j > 0 && f.Lines[j-1].End+1 >= l.Start) {
				t.Fatalf("%s: bad or unmerged ranges %v", f.Path, f.Lines)
			}
		}
	}
}
