package plugintest_test

import (
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin/plugintest"
	"github.com/selfplay-swe/ssr/repos/plugin/testdata/fakelang"
)

// TestCheckCatchesFaults runs the harness on the fake language, which is sane in some ways and broken in
// others, and checks that each check passes or fails as it should.
func TestCheckCatchesFaults(t *testing.T) {
	fx := plugintest.Fixture{
		Files:       map[string]string{"good.marker": "", "src.txt": "some source"},
		SourceFiles: []string{"src.txt"},
		Outputs: []plugintest.Output{
			{Name: "ok", Output: []byte("a passed\nb failed\n"), Want: map[string]string{"a": "passed", "b": "failed"}, Exact: true},
			{Name: "noise", Output: []byte("PASS passed\n"), Want: map[string]string{}},
			{Name: "wrong", Output: []byte("a passed\n"), Want: map[string]string{"a": "failed"}},
			{Name: "end", Output: []byte("a passed\nb not_run\n=end crashed\n=detail panic in b\n"), Want: map[string]string{"b": "not_run"}, End: "crashed"},
			{Name: "unknown end", Output: []byte("a passed\n=end exploded\n"), Want: map[string]string{}},
			{Name: "wrong end", Output: []byte("a passed\n=end completed\n"), Want: map[string]string{}, End: "build_failed"},
			{Name: "repeated broken", Output: []byte("=end build_failed\n=broken p\n=broken p\n"), Want: map[string]string{}},
		},
	}
	want := map[string]string{ // check → "" (passes) or a fragment of its first failure
		"describe":                          "",
		"detect":                            "",
		"parse_test_output/empty":           "",
		"parse_test_output/ok":              "",
		"parse_test_output/noise":           `id "PASS" looks like progress`,
		"parse_test_output/wrong":           `test "a" is passed, want failed`,
		"parse_test_output/end":             "",
		"parse_test_output/unknown end":     `End "exploded", want empty (cannot tell) or one of`,
		"parse_test_output/wrong end":       `End "completed", want "build_failed"`,
		"parse_test_output/repeated broken": `repeated entry "p"`,
		"test_files":                        `the fixture's source file "src.txt" is listed as a test file`,
		"mutation_sites/parse_error":        "want a ParseError and no sites",
		"mutations/src.txt":                 "StartByte 1 is at 1:2",
	}
	got := map[string]plugintest.Result{}
	for _, r := range plugintest.Check(t.Context(), fakelang.Lang{Name: "good"}, fx, t.TempDir()) {
		got[r.Name] = r
	}
	if fs := got["test_files"].Failures; !strings.Contains(strings.Join(fs, "\n"), `"src.txt" is listed both as a test file and as a source`) {
		t.Errorf("check test_files: failures %q, want one on a file that is both a test file and a source", fs)
	}
	for name, frag := range want {
		r, ok := got[name]
		switch {
		case !ok:
			t.Errorf("check %s did not run", name)
		case frag == "" && !r.Passed():
			t.Errorf("check %s failed: %q", name, r.Failures)
		case frag != "" && (r.Passed() || !strings.Contains(r.Failures[0], frag)):
			t.Errorf("check %s: failures %q, want one containing %q", name, r.Failures, frag)
		}
	}
}
