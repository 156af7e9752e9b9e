package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// TestParsePytest8MatchesPytest7 parses real outputs of this plugin's script under pytest 8.3 (Debian trixie,
// the default base image; recorded with `ssr exec` on testdata/suites) and checks that every suite gives the
// same tests with the same statuses as the pytest 7.2 recordings: the parser must not depend on the version.
func TestParsePytest8MatchesPytest7(t *testing.T) {
	for _, suite := range []string{"basic", "collection", "fixtures"} { // the suites recorded under pytest 8
		t.Run(suite, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", "pytest", suite+".ssr-pytest8.out"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := (&python{}).ParseTestOutput(context.Background(), &plugin.ParseTestOutputRequest{Parser: "pytest", Output: out})
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join("testdata", "pytest", suite+".ssr.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want []plugin.TestResult
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range resp.Tests {
				got[r.ID] = r.Status
			}
			if len(got) != len(want) {
				t.Errorf("pytest 8 output gives %d tests, pytest 7 %d", len(got), len(want))
			}
			for _, w := range want {
				if got[w.ID] != w.Status {
					t.Errorf("%s: pytest 8 gives %q, pytest 7 %q", w.ID, got[w.ID], w.Status)
				}
			}
		})
	}
}
