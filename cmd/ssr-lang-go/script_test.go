package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestScriptOnRealGo runs the test script TestCommand returns with bash and the host's Go on the throwaway
// module: panicmid's TestB panics (in a subtest) between TestA and TestC, exitmid's TestB calls os.Exit,
// twopanics panics in TestB and again in TestD. The script must re-run each package without the test that
// killed it until the rest reports. With -update it re-records testdata/gotest/rerun.json, which the
// parser's golden and table tests read.
func TestScriptOnRealGo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a sample module; skipped with -short")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on PATH")
	}
	resp, err := goLanguage{}.TestCommand(t.Context(), &plugin.TestCommandRequest{TestFiles: []string{
		"panicmid/panicmid_test.go", "exitmid/exitmid_test.go", "twopanics/twopanics_test.go", "pass/calc_test.go"}})
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "test_script.sh")
	if err := os.WriteFile(script, []byte(resp.Script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "bash", script)
	cmd.Dir = "testdata/gotest/module"
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run the script: %v\n%s", err, out)
	}
	if cmd.ProcessState.ExitCode() == 0 {
		t.Errorf("the script exited 0, want the first go test's failure status")
	}
	if *update {
		if err := os.WriteFile("testdata/gotest/rerun.json", out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := parseGoTestJSON(out)
	got := map[string]string{}
	for _, res := range r.Tests {
		got[strings.TrimPrefix(res.ID, "example.com/sample/")] = res.Status
	}
	want := map[string]string{
		"panicmid::TestA": plugin.StatusPassed, "panicmid::TestB": plugin.StatusFailed, "panicmid::TestB/inner": plugin.StatusFailed,
		"panicmid::TestC": plugin.StatusPassed,
		"exitmid::TestA":  plugin.StatusPassed, "exitmid::TestB": plugin.StatusNotRun, "exitmid::TestC": plugin.StatusPassed,
		"exitmid::[package]": plugin.StatusError,
		"twopanics::TestA":   plugin.StatusPassed, "twopanics::TestB": plugin.StatusFailed, "twopanics::TestC": plugin.StatusPassed,
		"twopanics::TestD": plugin.StatusFailed, "twopanics::TestE": plugin.StatusPassed,
		"pass::TestAdd": plugin.StatusPassed, "pass::TestAddZero": plugin.StatusPassed, "pass::ExampleAdd": plugin.StatusPassed,
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: %q, want %q", id, got[id], st)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if r.End != plugin.RunCompleted || !strings.Contains(r.Detail, "panicmid in TestB: panic: runtime error: index out of range") {
		t.Errorf("end %q, detail %q; want completed, naming panicmid's panic", r.End, r.Detail)
	}
	for _, note := range []string{"re-running it with -skip '^(TestB)$'", "re-running it with -skip '^(TestB|TestD)$' (round 2 of 5)"} {
		if !strings.Contains(string(out), note) {
			t.Errorf("the script's output lacks %q:\n%s", note, out)
		}
	}
}
