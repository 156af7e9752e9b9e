package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestParseGoTestJSONGolden parses outputs recorded from real `go test -json` runs (Go 1.26) of the
// throwaway module in testdata/gotest/module, one package per case (rerun.json is the test script's own
// output, re-runs included), and compares with the .golden files: one "status<TAB>id" line per test, then
// the run's end, what did not build and the detail. Re-record with testdata/gotest/record.sh; rewrite the
// goldens with -update.
func TestParseGoTestJSONGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/gotest/*.json")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no recorded outputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			plugintest.CheckGolden(t, strings.TrimSuffix(in, ".json")+".golden", goldenText(parseGoTestJSON(raw)), *update)
		})
	}
}

func goldenText(r *plugin.ParseTestOutputResponse) string {
	var b strings.Builder
	for _, t := range r.Tests {
		b.WriteString(t.Status + "\t" + t.ID + "\n")
	}
	fmt.Fprintf(&b, "end\t%s\nbroken\t%s\ndetail\t%s\n", r.End, strings.Join(r.Broken, " "), r.Detail)
	return b.String()
}

// TestParseGoTestJSONRecorded pins, on the recordings, what the verdicts rely on: how each run ended,
// what did not build, and that no test absent from the output is ever reported (a test that started and
// never ended is not_run, a test that never started is absent).
func TestParseGoTestJSONRecorded(t *testing.T) {
	tests := map[string]struct {
		end, detail string
		broken      []string
		want        map[string]string // id → status; with exact, the whole result
		exact       bool
	}{
		"panicmid": {
			end: plugin.RunCrashed, detail: "example.com/sample/panicmid in TestB: panic: runtime error: index out of range [3] with length 0",
			want: map[string]string{"example.com/sample/panicmid::TestA": plugin.StatusPassed, "example.com/sample/panicmid::TestB": plugin.StatusFailed,
				"example.com/sample/panicmid::TestB/inner": plugin.StatusFailed},
			exact: true, // TestC never started: absent
		},
		"exitmid": {
			end: plugin.RunCrashed, detail: "in TestB: the test binary exited mid-test",
			want: map[string]string{"example.com/sample/exitmid::TestA": plugin.StatusPassed, "example.com/sample/exitmid::TestB": plugin.StatusNotRun,
				"example.com/sample/exitmid::[package]": plugin.StatusError},
			exact: true,
		},
		"timeout": {
			end: plugin.RunCrashed, detail: "panic: test timed out after 3s",
			want: map[string]string{"example.com/sample/timeout::TestQuick": plugin.StatusPassed, "example.com/sample/timeout::TestSlow": plugin.StatusFailed},
		},
		"testmain": {
			end: plugin.RunCrashed, detail: "failed before any test ended",
			want: map[string]string{"example.com/sample/testmain::[package]": plugin.StatusError}, exact: true,
		},
		"builderr_mixed": {
			end: plugin.RunBuildFailed, broken: []string{"example.com/sample/builderr"},
			detail: `1 package(s) did not build: example.com/sample/builderr (builderr/broken.go:3:28: cannot use "not an int"`,
			want:   map[string]string{"example.com/sample/builderr::[build]": plugin.StatusError, "example.com/sample/pass::TestAdd": plugin.StatusPassed},
		},
		"setupfail": {
			end: plugin.RunBuildFailed, broken: []string{"example.com/sample/setupfail"},
			want: map[string]string{"example.com/sample/setupfail::[build]": plugin.StatusError}, exact: true,
		},
		"all": {
			end: plugin.RunBuildFailed, broken: []string{"example.com/sample/setupfail", "example.com/sample/builderr"},
			want: map[string]string{"example.com/sample/panic::TestPanics": plugin.StatusFailed, "example.com/sample/pass::TestAdd": plugin.StatusPassed},
		},
		"fail": {end: plugin.RunCompleted, want: map[string]string{"example.com/sample/fail::TestBad": plugin.StatusFailed}},
		"pass": {end: plugin.RunCompleted, want: map[string]string{"example.com/sample/pass::TestAdd": plugin.StatusPassed}},
		"rerun": {
			end: plugin.RunCompleted, detail: "example.com/sample/panicmid in TestB: panic: runtime error: index out of range [3] with length 0 (1 re-run(s))",
			want: map[string]string{
				"example.com/sample/panicmid::TestA": plugin.StatusPassed, "example.com/sample/panicmid::TestB": plugin.StatusFailed,
				"example.com/sample/panicmid::TestB/inner": plugin.StatusFailed, "example.com/sample/panicmid::TestC": plugin.StatusPassed,
				"example.com/sample/exitmid::TestA": plugin.StatusPassed, "example.com/sample/exitmid::TestB": plugin.StatusNotRun,
				"example.com/sample/exitmid::TestC": plugin.StatusPassed, "example.com/sample/exitmid::[package]": plugin.StatusError,
				"example.com/sample/twopanics::TestA": plugin.StatusPassed, "example.com/sample/twopanics::TestB": plugin.StatusFailed,
				"example.com/sample/twopanics::TestC": plugin.StatusPassed, "example.com/sample/twopanics::TestD": plugin.StatusFailed,
				"example.com/sample/twopanics::TestE": plugin.StatusPassed,
				"example.com/sample/pass::TestAdd":    plugin.StatusPassed, "example.com/sample/pass::TestAddZero": plugin.StatusPassed,
				"example.com/sample/pass::ExampleAdd": plugin.StatusPassed,
			},
			exact: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata/gotest", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			r := parseGoTestJSON(raw)
			if r.End != tc.end || !slices.Equal(r.Broken, tc.broken) || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("end %q, broken %q, detail %q; want %q, %q, a detail containing %q", r.End, r.Broken, r.Detail, tc.end, tc.broken, tc.detail)
			}
			got := map[string]string{}
			for _, res := range r.Tests {
				got[res.ID] = res.Status
				if !strings.HasSuffix(res.ID, "]") && !bytes.Contains(raw, []byte(`"Test":"`+strings.SplitN(res.ID, "::", 2)[1]+`"`)) {
					t.Errorf("%s reported (%s) but absent from the output", res.ID, res.Status)
				}
			}
			for id, st := range tc.want {
				if got[id] != st {
					t.Errorf("%s: got %q, want %q", id, got[id], st)
				}
			}
			if tc.exact && len(got) != len(tc.want) {
				t.Errorf("got %v, want exactly %v", got, tc.want)
			}
		})
	}
}

// TestParseGoTestJSONCases pins the rules the goldens only show by example.
func TestParseGoTestJSONCases(t *testing.T) {
	ev := func(action, pkg, test string) string {
		b, _ := json.Marshal(map[string]any{"Action": action, "Package": pkg, "Test": test, "Elapsed": 0.5})
		return string(b)
	}
	out := func(pkg, test, line string) string {
		b, _ := json.Marshal(map[string]any{"Action": "output", "Package": pkg, "Test": test, "Output": line})
		return string(b)
	}
	tests := map[string]struct {
		in   []string
		end  string
		want map[string]string
	}{
		"empty": {in: nil, want: map[string]string{}},
		"noise only": {
			in:   []string{"go: downloading x", "ok  \tfoo\t0.1s", "PASS", "{not json", "{}"},
			want: map[string]string{},
		},
		"legacy build failure (Go 1.19, plain text errors)": {
			in: []string{"# example.com/m/p", "p/x.go:3:1: syntax error",
				`{"Action":"output","Package":"example.com/m/p","Output":"FAIL\texample.com/m/p [build failed]\n"}`,
				`{"Action":"fail","Package":"example.com/m/p","Elapsed":0}`},
			end:  plugin.RunBuildFailed,
			want: map[string]string{"example.com/m/p::[build]": plugin.StatusError},
		},
		"truncated output: running test not run": {
			in:   []string{ev("run", "m/p", "TestA"), ev("run", "m/p", "TestB"), ev("pass", "m/p", "TestA")},
			end:  plugin.RunCrashed,
			want: map[string]string{"m/p::TestA": plugin.StatusPassed, "m/p::TestB": plugin.StatusNotRun},
		},
		"package fails with every test passing": {
			in:   []string{ev("run", "m/p", "TestA"), ev("pass", "m/p", "TestA"), ev("fail", "m/p", "")},
			end:  plugin.RunCompleted,
			want: map[string]string{"m/p::TestA": plugin.StatusPassed, "m/p::[package]": plugin.StatusError},
		},
		"panicking test without its own end, parallel test cut short": {
			in:   []string{ev("run", "m/p", "TestA"), ev("run", "m/p", "TestB"), out("m/p", "TestA", "panic: boom\n"), ev("fail", "m/p", "")},
			end:  plugin.RunCrashed,
			want: map[string]string{"m/p::TestA": plugin.StatusFailed, "m/p::TestB": plugin.StatusNotRun},
		},
		"re-run fills in, never overrides": {
			in: []string{
				ev("run", "m/p", "TestA"), ev("pass", "m/p", "TestA"), ev("run", "m/p", "TestB"), ev("run", "m/p", "TestP"),
				out("m/p", "TestB", "panic: boom [recovered]\n"), ev("fail", "m/p", "TestB"), ev("fail", "m/p", ""),
				"ssr-lang-go: re-running m/p",
				ev("start", "m/p", ""), ev("run", "m/p", "TestA"), ev("fail", "m/p", "TestA"), ev("run", "m/p", "TestP"), ev("pass", "m/p", "TestP"),
				ev("run", "m/p", "TestC"), ev("pass", "m/p", "TestC"), ev("fail", "m/p", ""),
			},
			end: plugin.RunCompleted,
			want: map[string]string{"m/p::TestA": plugin.StatusPassed, "m/p::TestB": plugin.StatusFailed, "m/p::TestP": plugin.StatusPassed,
				"m/p::TestC": plugin.StatusPassed},
		},
		"re-run dies again": {
			in: []string{
				ev("run", "m/p", "TestB"), out("m/p", "TestB", "panic: one\n"), ev("fail", "m/p", ""),
				ev("run", "m/p", "TestC"), out("m/p", "TestC", "fatal error: two\n"), ev("fail", "m/p", ""),
			},
			end:  plugin.RunCrashed,
			want: map[string]string{"m/p::TestB": plugin.StatusFailed, "m/p::TestC": plugin.StatusFailed},
		},
		"no test files": {
			in:   []string{ev("start", "m/q", ""), ev("skip", "m/q", "")},
			end:  plugin.RunCompleted,
			want: map[string]string{},
		},
		"json after a prefix of spaces": {
			in:   []string{"   " + ev("pass", "m/p", "TestA")},
			end:  plugin.RunCrashed, // no package result
			want: map[string]string{"m/p::TestA": plugin.StatusPassed},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := parseGoTestJSON([]byte(strings.Join(tc.in, "\n")))
			got := map[string]string{}
			for _, res := range r.Tests {
				got[res.ID] = res.Status
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for id, st := range tc.want {
				if got[id] != st {
					t.Errorf("%s: got %q, want %q (all: %v)", id, got[id], st, got)
				}
			}
			if r.End != tc.end {
				t.Errorf("end %q (%s), want %q", r.End, r.Detail, tc.end)
			}
		})
	}
}

func FuzzParseGoTestJSON(f *testing.F) {
	for _, in := range []string{"", "{}", `{"Action":"fail","Package":"p"}`, "PASS\nok\n"} {
		f.Add([]byte(in))
	}
	ends := []string{"", plugin.RunCompleted, plugin.RunBuildFailed, plugin.RunCrashed}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := parseGoTestJSON(in)
		seen := map[string]bool{}
		for _, res := range r.Tests {
			if seen[res.ID] {
				t.Fatalf("id %q reported twice", res.ID)
			}
			seen[res.ID] = true
			switch res.Status {
			case plugin.StatusPassed, plugin.StatusFailed, plugin.StatusSkipped, plugin.StatusError, plugin.StatusNotRun:
			default:
				t.Fatalf("id %q has status %q", res.ID, res.Status)
			}
		}
		if !slices.Contains(ends, r.End) || strings.ContainsAny(r.Detail, "\n\r") || (r.End == plugin.RunBuildFailed) != (len(r.Broken) > 0) {
			t.Fatalf("end %q, broken %q, detail %q", r.End, r.Broken, r.Detail)
		}
	})
}
