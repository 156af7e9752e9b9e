package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestParseGoTestJSONGolden parses outputs recorded from real `go test -json` runs (Go 1.26) of the
// throwaway module in testdata/gotest/module, one package per case, and compares with the .golden files.
// Re-record with testdata/gotest/record.sh; rewrite the goldens with -update.
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
			var b bytes.Buffer
			for _, r := range parseGoTestJSON(raw) {
				b.WriteString(r.Status + "\t" + r.ID + "\n")
			}
			golden := strings.TrimSuffix(in, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("parse %s:\ngot:\n%s\nwant:\n%s", in, got, want)
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
	tests := map[string]struct {
		in   []string
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
			want: map[string]string{"example.com/m/p::[build]": plugin.StatusError},
		},
		"truncated output: running test fails": {
			in:   []string{ev("run", "m/p", "TestA"), ev("run", "m/p", "TestB"), ev("pass", "m/p", "TestA")},
			want: map[string]string{"m/p::TestA": plugin.StatusPassed, "m/p::TestB": plugin.StatusFailed},
		},
		"package fails with every test passing": {
			in:   []string{ev("run", "m/p", "TestA"), ev("pass", "m/p", "TestA"), ev("fail", "m/p", "")},
			want: map[string]string{"m/p::TestA": plugin.StatusPassed, "m/p::[package]": plugin.StatusError},
		},
		"no test files": {
			in:   []string{ev("start", "m/q", ""), ev("skip", "m/q", "")},
			want: map[string]string{},
		},
		"json after a prefix of spaces": {
			in:   []string{"   " + ev("pass", "m/p", "TestA")},
			want: map[string]string{"m/p::TestA": plugin.StatusPassed},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := map[string]string{}
			for _, r := range parseGoTestJSON([]byte(strings.Join(tc.in, "\n"))) {
				got[r.ID] = r.Status
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for id, st := range tc.want {
				if got[id] != st {
					t.Errorf("%s: got %q, want %q (all: %v)", id, got[id], st, got)
				}
			}
		})
	}
}

func FuzzParseGoTestJSON(f *testing.F) {
	for _, in := range []string{"", "{}", `{"Action":"fail","Package":"p"}`, "PASS\nok\n"} {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		seen := map[string]bool{}
		for _, r := range parseGoTestJSON(in) {
			if seen[r.ID] {
				t.Fatalf("id %q reported twice", r.ID)
			}
			seen[r.ID] = true
			switch r.Status {
			case plugin.StatusPassed, plugin.StatusFailed, plugin.StatusSkipped, plugin.StatusError:
			default:
				t.Fatalf("id %q has status %q", r.ID, r.Status)
			}
		}
	})
}
