package arena

import (
	"math"
	"testing"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// spectrumCoverage: a.py's line 10 runs under TestA and TestB, line 20 under TestB and TestC only, line 30
// under nobody; TestA has subtests in the runs.
func spectrumCoverage() *repos.Coverage {
	lines := func(rs ...plugin.LineRange) []plugin.FileLines { return []plugin.FileLines{{Path: "a.py", Lines: rs}} }
	return &repos.Coverage{Tests: []plugin.TestCoverage{
		{ID: "p::TestA", Files: lines(plugin.LineRange{Start: 5, End: 12})},
		{ID: "p::TestB", Files: lines(plugin.LineRange{Start: 10, End: 10}, plugin.LineRange{Start: 18, End: 22})},
		{ID: "p::TestC", Files: lines(plugin.LineRange{Start: 20, End: 25})},
	}}
}

func TestOchiai(t *testing.T) {
	cov := spectrumCoverage()
	ix := indexCoverage(cov)
	// TestA fails through a subtest, TestB fails, TestC passes; p::TestD is no recorded test.
	run := &TestRun{Results: map[string]string{"p::TestA": plugin.StatusFailed, "p::TestA/sub": plugin.StatusFailed,
		"p::TestA/ok": plugin.StatusPassed, "p::TestB": plugin.StatusError, "p::TestC": plugin.StatusPassed, "p::TestD": plugin.StatusFailed}}
	sp := spectrumOf(run, []string{"p::TestA/sub", "p::TestB", "p::TestC", "p::TestD"}, cov)
	if len(sp.failing) != 2 || !sp.failing["p::TestA"] || !sp.failing["p::TestB"] || len(sp.passing) != 1 || !sp.passing["p::TestC"] {
		t.Fatalf("spectrum failing %v passing %v, want TestA and TestB failing, TestC passing", sp.failing, sp.passing)
	}
	for _, tt := range []struct {
		line int
		want float64
	}{
		{10, 2 / math.Sqrt(2*2)}, // both failing tests, no passing one: the most suspicious
		{20, 1 / math.Sqrt(2*2)}, // TestB fails, TestC passes
		{24, 0},                  // only the passing TestC
		{30, 0},                  // nobody
	} {
		if got := sp.ochiai(ix, "a.py", tt.line); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ochiai(a.py:%d) = %v, want %v", tt.line, got, tt.want)
		}
	}

	// The features go on copies: the cached candidates keep their maps.
	cached := []candidate{{Candidate: agent.Candidate{File: "a.py", Line: 10, Features: map[string]float64{"x": 1}}},
		{Candidate: agent.Candidate{File: "b.py", Line: 3}}}
	got := solverCoverage(cached, ix, sp)
	if got[0].Features[featOchiai] != 1 || got[0].Features["x"] != 1 || got[1].Features[featOchiai] != 0 {
		t.Errorf("solver features %v, %v", got[0].Features, got[1].Features)
	}
	if _, ok := cached[0].Features[featOchiai]; ok {
		t.Error("solverCoverage changed the cached candidate's map")
	}
	if same := solverCoverage(cached, nil, sp); same[0].Features[featOchiai] != 0 {
		t.Error("a repository without coverage got an ochiai feature")
	}

	bl := &repos.Baseline{Tests: []repos.TestBaseline{{ID: "p::TestB", Duration: 2}, {ID: "p::TestC", Duration: 1}}}
	inj := injectorCoverage(cached[:1], ix, bl)
	if f := inj[0].Features; math.Abs(f[featCoveringTests]-math.Log1p(2)) > 1e-12 || math.Abs(f[featCoveringSeconds]-math.Log1p(2)) > 1e-12 {
		t.Errorf("injector features %v, want covering_tests log(3) (TestA, TestB) and covering_seconds log(3) (0 + 2 s)", f)
	}
}
