package repos

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

func TestBaselineSummarise(t *testing.T) {
	run := func(results ...plugin.TestResult) TestRun { return TestRun{Tests: results} }
	tr := func(id, status string, d float64) plugin.TestResult {
		return plugin.TestResult{ID: id, Status: status, Duration: d}
	}
	bl := &Baseline{Runs: []TestRun{
		run(tr("a", "passed", 1), tr("b", "failed", 0), tr("c", "passed", 0.5), tr("d", "passed", 2), tr("meta::v", "failed", 0)),
		run(tr("a", "passed", 3), tr("b", "failed", 0), tr("c", "failed", 0.5), tr("meta::v", "failed", 0)),
	}}
	bl.summarise()
	bl.applyExclusions(Repo{ExcludeTests: []string{"meta::*"}})
	got := map[string]string{}
	for _, tb := range bl.Tests {
		got[tb.ID] = tb.Status
	}
	want := map[string]string{"a": "passed", "b": "failed", "c": StatusFlaky, "d": StatusFlaky, "meta::v": "failed"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if bl.Tests[0].ID != "a" || bl.Tests[0].Duration != 2 {
		t.Errorf("test a: %+v, want mean duration 2", bl.Tests[0])
	}
	if d := bl.Tests[3]; d.ID != "d" || !reflect.DeepEqual(d.Statuses, []string{"passed", "missing"}) {
		t.Errorf("test d: %+v, want statuses [passed missing]", d)
	}
	if c := bl.Counts(); !reflect.DeepEqual(c, map[string]int{"passed": 1, "failed": 1, StatusFlaky: 2}) {
		t.Errorf("Counts() = %v (the excluded test must not count)", c)
	}
	if p := bl.Passing(); !reflect.DeepEqual(p, []string{"a"}) {
		t.Errorf("Passing() = %v, want [a]", p)
	}
	if s := bl.Slowest(2); len(s) != 2 || s[0].ID != "a" || s[1].ID != "d" {
		t.Errorf("Slowest(2) = %v, want a then d", s)
	}
}

func TestBaselineCacheRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baselines", "x.json")
	bl := &Baseline{Repo: "x", ImageID: "sha256:1", Format: baselineFormat, Runs: []TestRun{{Output: "raw\x00bytes", Tests: []plugin.TestResult{{ID: "a", Status: "passed"}}}}}
	bl.summarise()
	if err := writeCache(path, bl, true); err != nil {
		t.Fatal(err)
	}
	got, err := readCache[Baseline](path, "baseline", baselineFormat)
	if err != nil {
		t.Fatal(err)
	}
	if got.Runs[0].Output != "raw\x00bytes" || len(got.Tests) != 1 {
		t.Fatalf("round trip lost data: %+v", got)
	}
	bl.Format = 0
	if err := writeCache(path, bl, true); err != nil {
		t.Fatal(err)
	}
	if _, err := readCache[Baseline](path, "baseline", baselineFormat); err == nil {
		t.Fatal("a baseline in another format was accepted")
	}
}
