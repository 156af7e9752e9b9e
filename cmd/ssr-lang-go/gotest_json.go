package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// ParserGoTestJSON reads what `go test -json` prints (test2json events, one JSON object a line, mixed
// with whatever else the script printed).
const ParserGoTestJSON = "gotest-json"

// event is one test2json event. Build events (Go 1.24+) carry ImportPath instead of Package.
type event struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// parseGoTestJSON turns `go test -json` output into one result per test, in the order tests started.
// Test ids are "<import path>::<TestName>[/<subtest>]". Beyond the terminal pass/fail/skip of each test:
//   - a test still running (or paused) when its package ends failed: the binary panicked or timed out;
//   - a package that fails without any failing test gives "<import path>::[build]" (build or setup
//     failure: "[build failed]", "[setup failed]" or FailedBuild) or "<import path>::[package]" (TestMain
//     exited non-zero, a test binary crash outside any test), with status error;
//   - lines that are not JSON events (plain build errors from older Go, the script's own echo) are skipped.
func parseGoTestJSON(out []byte) []plugin.TestResult {
	p := &goTestParser{index: map[string]int{}, pkgs: map[string]*pkgState{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev event
		if json.Unmarshal(line, &ev) != nil || ev.Package == "" {
			continue // build-output events have no Package; the package's own fail event tells us enough
		}
		p.handle(ev)
	}
	for _, name := range p.order {
		p.finishPackage(name, p.pkgs[name], false)
	}
	return p.results
}

type goTestParser struct {
	results []plugin.TestResult
	index   map[string]int // test id → position in results
	pkgs    map[string]*pkgState
	order   []string // packages in the order first seen
}

type pkgState struct {
	running     map[string]bool // ids of tests started but not finished
	failedTests bool
	buildFailed bool
	done        bool
}

func (p *goTestParser) pkg(name string) *pkgState {
	s, ok := p.pkgs[name]
	if !ok {
		s = &pkgState{running: map[string]bool{}}
		p.pkgs[name] = s
		p.order = append(p.order, name)
	}
	return s
}

func (p *goTestParser) set(id, status string, elapsed float64) {
	if i, ok := p.index[id]; ok {
		p.results[i].Status = status
		if elapsed > 0 {
			p.results[i].Duration = elapsed
		}
		return
	}
	p.index[id] = len(p.results)
	p.results = append(p.results, plugin.TestResult{ID: id, Status: status, Duration: elapsed})
}

func (p *goTestParser) handle(ev event) {
	s := p.pkg(ev.Package)
	if ev.Test == "" {
		switch ev.Action {
		case "output":
			if strings.Contains(ev.Output, "[build failed]") || strings.Contains(ev.Output, "[setup failed]") {
				s.buildFailed = true
			}
		case "fail":
			if ev.FailedBuild != "" {
				s.buildFailed = true
			}
			p.finishPackage(ev.Package, s, true)
		case "pass", "skip":
			p.finishPackage(ev.Package, s, false)
		}
		return
	}
	id := ev.Package + "::" + ev.Test
	switch ev.Action {
	case "run":
		s.running[id] = true
		if _, seen := p.index[id]; !seen {
			p.set(id, plugin.StatusFailed, 0) // until it says otherwise: a crash leaves it failed
		}
	case "pass":
		delete(s.running, id)
		p.set(id, plugin.StatusPassed, ev.Elapsed)
	case "skip":
		delete(s.running, id)
		p.set(id, plugin.StatusSkipped, ev.Elapsed)
	case "fail":
		delete(s.running, id)
		s.failedTests = true
		p.set(id, plugin.StatusFailed, ev.Elapsed)
	}
}

// finishPackage settles a package at its final event (or at the end of the output, if it never came).
func (p *goTestParser) finishPackage(name string, s *pkgState, failed bool) {
	if s.done {
		return
	}
	s.done = true
	if len(s.running) > 0 {
		failed = true
		s.failedTests = true // tests still running when the binary stopped: they failed (status already set)
	}
	if !failed && !s.buildFailed {
		return
	}
	if s.buildFailed {
		p.set(name+"::[build]", plugin.StatusError, 0)
	} else if !s.failedTests {
		p.set(name+"::[package]", plugin.StatusError, 0)
	}
}
