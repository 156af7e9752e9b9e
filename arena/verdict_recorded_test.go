package arena

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// The plugins' recorded test outputs (real pytest and go test -json runs, checked in beside each plugin)
// read through the real plugins over gRPC, then judged as bug runs: no test that did not run is ever F2P,
// and each case's rejection reason is exact. No Docker needed.

var (
	recordedOnce  sync.Once
	recordedHost  *plugin.Host
	recordedErr   error
	recordedClean func()
)

// recordedLanguage opens a first-party plugin built from this tree. The host is shared by every test of the
// binary that needs plugins without Docker; TestMain closes it.
func recordedLanguage(t *testing.T, name string) plugin.Language {
	t.Helper()
	recordedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ssr-verdict-plugins-")
		if err != nil {
			recordedErr = err
			return
		}
		if recordedErr = buildPlugins(dir); recordedErr != nil {
			return
		}
		recordedHost = plugin.NewHost(plugin.WithDirs(dir))
		recordedClean = func() { recordedHost.Close(); os.RemoveAll(dir) }
	})
	if recordedErr != nil {
		t.Fatal(recordedErr)
	}
	c, err := recordedHost.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordedRun parses one recording as a run that exited with exitCode.
func recordedRun(t *testing.T, lang plugin.Language, parser, file string, exitCode int) *TestRun {
	t.Helper()
	out, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseBuiltin(context.Background(), lang, parser, out)
	if err != nil {
		t.Fatal(err)
	}
	return &TestRun{Kind: "bug", Output: out, ExitCode: exitCode, Results: p.results, Files: p.files, Broken: p.broken,
		Detail: p.detail, End: classifyEnd(false, exitCode, p.end)}
}

func TestVerdictsFromRecordings(t *testing.T) {
	const pyRec, goRec = "../cmd/ssr-lang-python/testdata/pytest/", "../cmd/ssr-lang-go/testdata/gotest/"
	tests := map[string]struct {
		lang, parser, file string
		exit               int
		passing            []string // passed originally (the recording's suite without the bug)
		wantEnd            string
		wantF2P            []string
		wantReject         string // exact; "" for accepted
	}{
		"pytest killed mid-suite: the tests after the kill did not run": {
			lang: "python", parser: "pytest", file: pyRec + "killed.ssr.out", exit: 137,
			passing: []string{"tests/test_killed.py::test_before", "tests/test_killed.py::test_fails", "tests/test_killed.py::test_kills_the_run",
				"tests/test_killed.py::test_after", "tests/test_later.py::test_never_reached"},
			wantEnd: plugin.RunCrashed,
			wantF2P: []string{"tests/test_killed.py::test_fails"},
		},
		"pytest collection error: the bug breaks the build": {
			lang: "python", parser: "pytest", file: pyRec + "collection.ssr.out", exit: 2,
			passing: []string{"tests/test_good.py::test_ok", "tests/test_broken_import.py::test_imports"},
			wantEnd: plugin.RunBuildFailed,
		},
		"go panic mid-package: the panicking test fails, a test never started did not run": {
			lang: "go", parser: "gotest-json", file: goRec + "panicmid.json", exit: 1,
			passing: []string{"example.com/sample/panicmid::TestA", "example.com/sample/panicmid::TestB", "example.com/sample/panicmid::TestC"},
			wantEnd: plugin.RunCrashed,
			wantF2P: []string{"example.com/sample/panicmid::TestB"},
		},
		"go test binary exits mid-test: nothing reported a failure": {
			lang: "go", parser: "gotest-json", file: goRec + "exitmid.json", exit: 1,
			passing: []string{"example.com/sample/exitmid::TestA", "example.com/sample/exitmid::TestB", "example.com/sample/exitmid::TestC"},
			wantEnd: plugin.RunCrashed,
			wantReject: "the bug makes 0 originally passing test(s) report a failure in every one of 1 bug run(s) (need at least 1); " +
				"2 did not run (the run crashed (exit 1) — test binary died: example.com/sample/exitmid in TestB: the test binary exited mid-test (os.Exit or a signal))",
		},
		"go build failure: rejected with the package": {
			lang: "go", parser: "gotest-json", file: goRec + "builderr.json", exit: 1,
			passing: []string{"example.com/sample/builderr::TestX"},
			wantEnd: plugin.RunBuildFailed,
			wantReject: "the bug breaks the build: the bug run did not build or collect: example.com/sample/builderr — 1 package(s) did not build: " +
				"example.com/sample/builderr (builderr/broken.go:3:28: cannot use \"not an int\" (untyped string constant) as int value in return statement); " +
				"a bug must keep the code building so that tests report (allow_build_errors: true accepts it)",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := recordedRun(t, recordedLanguage(t, tt.lang), tt.parser, filepath.FromSlash(tt.file), tt.exit)
			if r.End != tt.wantEnd {
				t.Fatalf("run end %s (%s), want %s", r.End, r.Detail, tt.wantEnd)
			}
			v := judgeBug(conf(func(c *Config) { c.FlakeRuns = 1 }), set(tt.passing...), []*TestRun{r})
			for _, id := range v.F2P {
				if _, reported := r.Results[id]; !reported {
					t.Errorf("F2P %s did not run", id)
				}
			}
			if tt.wantEnd == plugin.RunBuildFailed && tt.wantReject == "" {
				if !strings.HasPrefix(v.Rejection, "the bug breaks the build: ") {
					t.Fatalf("rejection %q, want the build failure", v.Rejection)
				}
				return
			}
			if v.Rejection != tt.wantReject {
				t.Fatalf("rejection\n got %q\nwant %q", v.Rejection, tt.wantReject)
			}
			if tt.wantReject == "" && strings.Join(v.F2P, ",") != strings.Join(tt.wantF2P, ",") {
				t.Errorf("F2P %v, want %v", v.F2P, tt.wantF2P)
			}
		})
	}
}
