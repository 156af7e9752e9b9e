package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Helpers for a plugin's coverage parser tests: golden files recorded from real runs, and the shape every
// parse must have whatever its input.

// CoverageText is a coverage parse as golden text: "id<TAB>file:ranges file:ranges", one test a line, then
// the shared lines and the error.
func CoverageText(r *plugin.ParseCoverageResponse) string {
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

// CheckGolden compares got with the golden file; with update it first rewrites the file.
func CheckGolden(t *testing.T, golden, got string, update bool) {
	t.Helper()
	if update {
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

// CheckCoverageShape fails t unless resp's tests are sorted and unique and every file list is sorted, unique
// and made of positive, disjoint, merged line ranges: what any input, garbage included, must parse to.
func CheckCoverageShape(t *testing.T, resp *plugin.ParseCoverageResponse) {
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

// RecordScript runs script with bash in the repo image of a built-in example, through the ssr CLI (ssr on
// PATH, the Docker Engine), and writes what it prints to out: how a plugin's golden inputs are recorded.
func RecordScript(t *testing.T, example, script, out string) {
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
