package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
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
	plugintest.CheckGolden(t, strings.TrimSuffix(in, ".out")+".golden", plugintest.CoverageText(resp), *update)
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
	plugintest.RecordScript(t, example, cmd.Script, out)
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
			if got := plugintest.CoverageText(resp); got != tc.want {
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
		plugintest.CheckCoverageShape(t, parseGoCover(out))
	})
}
