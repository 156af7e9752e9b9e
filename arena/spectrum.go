package arena

import (
	"math"
	"sort"

	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/plugin"
)

// Coverage features of candidates: what the recorded per-test coverage (repos.Coverage, of the unmodified
// image) says about a candidate's line. A policy weighs them beside the agent's own features
// (policy.Featurise hashes them by name); they are absent when the repository has no coverage.
//
//	covering_tests    injector: log(1+n), n the recorded tests that executed the site's line
//	covering_seconds  injector: log(1+s), s those tests' baseline time summed (seconds)
//	ochiai            solver: the Ochiai suspiciousness of the site's line for the episode's first test run,
//	                  ef / sqrt(F · (ef + ep)), with F the failing tests, ef those that executed the line and
//	                  ep the passing tests that did
const (
	featCoveringTests   = "covering_tests"
	featCoveringSeconds = "covering_seconds"
	featOchiai          = "ochiai"
)

// lineIndex is a Coverage by file: the tests that executed some line of each file, with their ranges.
type lineIndex map[string][]testLines

type testLines struct {
	id    string
	lines []plugin.LineRange
}

// indexCoverage indexes cov; nil when there is no coverage.
func indexCoverage(cov *repos.Coverage) lineIndex {
	if cov == nil || cov.Unavailable != "" || len(cov.Tests) == 0 {
		return nil
	}
	ix := lineIndex{}
	for _, t := range cov.Tests {
		for _, f := range t.Files {
			ix[f.Path] = append(ix[f.Path], testLines{id: t.ID, lines: f.Lines})
		}
	}
	return ix
}

// covering calls fn with the id of each recorded test that executed line of file.
func (ix lineIndex) covering(file string, line int, fn func(id string)) {
	for _, t := range ix[file] {
		i := sort.Search(len(t.lines), func(i int) bool { return t.lines[i].End >= line })
		if i < len(t.lines) && t.lines[i].Start <= line {
			fn(t.id)
		}
	}
}

// withFeatures is cs with the features of set added to each candidate's own copy of its map (cs may be a
// cache's: it is not changed). set returns nil to add nothing.
func withFeatures(cs []candidate, set func(c *candidate) map[string]float64) []candidate {
	out := make([]candidate, len(cs))
	for i, c := range cs {
		out[i] = c
		add := set(&c)
		if len(add) == 0 {
			continue
		}
		f := make(map[string]float64, len(c.Features)+len(add))
		for k, v := range c.Features {
			f[k] = v
		}
		for k, v := range add {
			f[k] = v
		}
		out[i].Features = f
	}
	return out
}

// injectorCoverage adds covering_tests and covering_seconds to the injector's candidates.
func injectorCoverage(cs []candidate, ix lineIndex, bl *repos.Baseline) []candidate {
	if ix == nil {
		return cs
	}
	secs := map[string]float64{}
	if bl != nil {
		for _, t := range bl.Tests {
			secs[t.ID] = t.Duration
		}
	}
	return withFeatures(cs, func(c *candidate) map[string]float64 {
		if c.Line <= 0 {
			return nil
		}
		n, s := 0, 0.0
		ix.covering(c.File, c.Line, func(id string) { n, s = n+1, s+secs[id] })
		return map[string]float64{featCoveringTests: math.Log1p(float64(n)), featCoveringSeconds: math.Log1p(s)}
	})
}

// spectrum is the first test run of a solver episode in coverage ids: which of the tests the solver is
// scored on failed (failed or error), and which tests passed. A Go subtest counts as its top-level test
// (Coverage.Owner), failing when any of its subtests fails.
type spectrum struct {
	failing, passing map[string]bool
}

func spectrumOf(run *TestRun, ids []string, cov *repos.Coverage) *spectrum {
	sp := &spectrum{failing: map[string]bool{}, passing: map[string]bool{}}
	for _, id := range ids { // the tests the solver is scored on: others failing (at baseline too) say nothing
		if s := run.Status(id); s == plugin.StatusFailed || s == plugin.StatusError {
			if owner := cov.Owner(id); owner != "" {
				sp.failing[owner] = true
			}
		}
	}
	for id, s := range run.Results {
		if owner := cov.Owner(id); s == plugin.StatusPassed && owner != "" && !sp.failing[owner] {
			sp.passing[owner] = true
		}
	}
	return sp
}

// ochiai is the suspiciousness of line of file: 0 when no failing test executed it.
func (sp *spectrum) ochiai(ix lineIndex, file string, line int) float64 {
	if len(sp.failing) == 0 {
		return 0
	}
	ef, ep := 0, 0
	ix.covering(file, line, func(id string) {
		switch {
		case sp.failing[id]:
			ef++
		case sp.passing[id]:
			ep++
		}
	})
	if ef == 0 {
		return 0
	}
	return float64(ef) / math.Sqrt(float64(len(sp.failing)*(ef+ep)))
}

// solverCoverage adds ochiai to the solver's candidates once the episode has run its tests.
func solverCoverage(cs []candidate, ix lineIndex, sp *spectrum) []candidate {
	if ix == nil || sp == nil || len(sp.failing) == 0 {
		return cs
	}
	return withFeatures(cs, func(c *candidate) map[string]float64 {
		if c.Line <= 0 {
			return nil
		}
		return map[string]float64{featOchiai: sp.ochiai(ix, c.File, c.Line)}
	})
}
