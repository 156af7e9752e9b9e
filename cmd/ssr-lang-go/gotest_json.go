package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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
	ImportPath  string
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// parseGoTestJSON turns `go test -json` output into one result per test, in the order tests started, and
// says how the run ended. Test ids are "<import path>::<TestName>[/<subtest>]".
//
// Tests: the terminal pass/fail/skip of each test; a test that started ("run") and never ended is
// not_run, unless its own output shows the panic or fatal error that killed the binary (then failed);
// a test that never started is absent. A package that fails without a test to blame gives a pseudo-test
// with status error, which never passes on working code and so is never fail-to-pass:
// "<import path>::[build]" (build or setup failure: "[build failed]", "[setup failed]" or FailedBuild) or
// "<import path>::[package]" (TestMain exited non-zero, the binary died outside any reported failure).
// Lines that are not JSON events (plain build errors from older Go, the script's own notes) are skipped.
//
// Re-runs: the test script re-runs a package whose binary died, with the test that killed it skipped.
// Events for a package after its final event start a new round for it: a later round only fills in tests
// that have no result yet (absent, or not_run), so the test that killed the binary keeps its failure.
//
// End: build_failed when any package did not build (Broken lists them); else crashed when any package's
// binary died in its last round (a panic, a fatal error, go test's -timeout, os.Exit or a signal mid-test,
// TestMain failing before any test, or output that stops before the package's final event); else
// completed. Detail is one line on the first problem. An output without any event gives End "" (the
// parser cannot tell).
func parseGoTestJSON(out []byte) *plugin.ParseTestOutputResponse {
	p := &goTestParser{index: map[string]int{}, finalRound: map[string]int{}, pkgs: map[string]*pkgState{}, buildErr: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev event
		if json.Unmarshal(line, &ev) != nil {
			continue
		}
		switch {
		case ev.Package != "":
			p.handle(ev)
		case ev.Action == "build-output" && ev.ImportPath != "":
			p.buildOutput(ev)
		}
	}
	for _, name := range p.order {
		if s := p.pkgs[name]; !s.finished {
			p.finishRound(s, false, true)
		}
	}
	return p.response()
}

type goTestParser struct {
	results    []plugin.TestResult
	index      map[string]int // test id → position in results
	finalRound map[string]int // test id → 1 + the round that gave it a result (absent: none yet)
	pkgs       map[string]*pkgState
	order      []string          // packages in the order first seen
	buildErr   map[string]string // import path → its first compiler message
}

// pkgState is one package across the rounds the script ran it.
type pkgState struct {
	name        string
	round       int // 0 for the first run, 1 for the first re-run, …
	finished    bool
	cur         roundState
	buildFailed bool
	failedTests bool     // some test reported a failure (in any round)
	crashes     []string // one line per round in which the binary died
	crashedLast bool     // the last round died
}

// roundState is one run of one package's test binary.
type roundState struct {
	running  map[string]bool // ids started and not ended
	panicked map[string]bool // ids whose output shows a panic or fatal error
	panic    string          // the first such line, at package or test level
	panicIn  string          // the test it came from
	ended    int             // tests that ended
}

func (p *goTestParser) pkg(name string) *pkgState {
	s, ok := p.pkgs[name]
	if !ok {
		s = &pkgState{name: name, cur: newRound()}
		p.pkgs[name] = s
		p.order = append(p.order, name)
	}
	return s
}

func newRound() roundState {
	return roundState{running: map[string]bool{}, panicked: map[string]bool{}}
}

// set records a test's status in the package's current round. final marks a result that later rounds
// must not replace.
func (p *goTestParser) set(s *pkgState, id, status string, elapsed float64, final bool) {
	if r := p.finalRound[id]; r != 0 && r != s.round+1 {
		return // an earlier round already reported this test
	}
	if final {
		p.finalRound[id] = s.round + 1
	}
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

// buildOutput keeps the first compiler message of each package that did not build, for Detail.
func (p *goTestParser) buildOutput(ev event) {
	path, _, _ := strings.Cut(ev.ImportPath, " ")
	msg := strings.TrimSpace(ev.Output)
	if _, seen := p.buildErr[path]; seen || msg == "" || strings.HasPrefix(msg, "#") {
		return
	}
	p.buildErr[path] = msg
}

func (p *goTestParser) handle(ev event) {
	s := p.pkg(ev.Package)
	if s.finished { // the script re-ran this package
		s.finished = false
		s.round++
		s.cur = newRound()
	}
	if ev.Test == "" {
		switch ev.Action {
		case "output":
			if strings.Contains(ev.Output, "[build failed]") || strings.Contains(ev.Output, "[setup failed]") {
				s.buildFailed = true
			}
			p.notePanic(s, "", ev.Output)
		case "fail":
			if ev.FailedBuild != "" {
				s.buildFailed = true
				if path, _, _ := strings.Cut(ev.FailedBuild, " "); p.buildErr[ev.Package] == "" && p.buildErr[path] != "" {
					p.buildErr[ev.Package] = p.buildErr[path]
				}
			}
			p.finishRound(s, true, false)
		case "pass", "skip":
			p.finishRound(s, false, false)
		}
		return
	}
	id := ev.Package + "::" + ev.Test
	switch ev.Action {
	case "run":
		s.cur.running[id] = true
		if _, seen := p.index[id]; !seen {
			p.set(s, id, plugin.StatusNotRun, 0, false) // until it ends: a binary that dies leaves it not run
		}
	case "output":
		if p.notePanic(s, ev.Test, ev.Output) {
			s.cur.panicked[id] = true
		}
	case "pass":
		p.end(s, id, plugin.StatusPassed, ev.Elapsed)
	case "skip":
		p.end(s, id, plugin.StatusSkipped, ev.Elapsed)
	case "fail":
		s.failedTests = true
		p.end(s, id, plugin.StatusFailed, ev.Elapsed)
	}
}

func (p *goTestParser) end(s *pkgState, id, status string, elapsed float64) {
	delete(s.cur.running, id)
	s.cur.ended++
	p.set(s, id, status, elapsed, true)
}

// notePanic reports whether an output line is the start of a panic or a runtime fatal error, and keeps
// the round's first one.
func (p *goTestParser) notePanic(s *pkgState, test, out string) bool {
	if !strings.HasPrefix(out, "panic: ") && !strings.HasPrefix(out, "fatal error: ") {
		return false
	}
	if s.cur.panic == "" {
		line := strings.TrimSpace(out)
		line = strings.TrimSuffix(strings.TrimSuffix(line, " [recovered, repanicked]"), " [recovered]")
		s.cur.panic, s.cur.panicIn = line, test
	}
	return true
}

// finishRound settles a package's round at its final event (failed: the package failed), or at the end
// of the output if that never came (truncated).
func (p *goTestParser) finishRound(s *pkgState, failed, truncated bool) {
	s.finished = true
	r := s.cur
	var unended []string
	for _, res := range p.results { // in start order, for a stable Detail
		if !r.running[res.ID] {
			continue
		}
		if r.panicked[res.ID] {
			s.failedTests = true
			p.set(s, res.ID, plugin.StatusFailed, 0, true) // the test that panicked failed
			continue
		}
		unended = append(unended, strings.TrimPrefix(res.ID, s.name+"::"))
	}
	died := !s.buildFailed && (truncated || (failed && (r.panic != "" || len(unended) > 0 || r.ended == 0)))
	s.crashedLast = died
	if died {
		s.crashes = append(s.crashes, crashLine(s.name, r, unended, truncated))
	}
	switch {
	case s.buildFailed:
		p.set(s, s.name+"::[build]", plugin.StatusError, 0, true)
	case failed && !s.failedTests:
		p.set(s, s.name+"::[package]", plugin.StatusError, 0, true)
	}
}

// crashLine says in a few words how a round's binary died.
func crashLine(pkg string, r roundState, unended []string, truncated bool) string {
	in := ""
	switch {
	case r.panicIn != "":
		in = " in " + r.panicIn
	case len(unended) > 0:
		in = " in " + strings.Join(unended, ", ")
	}
	switch {
	case r.panic != "":
		return pkg + in + ": " + r.panic
	case truncated:
		return pkg + in + ": the output stops before the package's result"
	case len(unended) > 0:
		return pkg + in + ": the test binary exited mid-test (os.Exit or a signal)"
	}
	return pkg + ": the test binary failed before any test ended (TestMain or init)"
}

func (p *goTestParser) response() *plugin.ParseTestOutputResponse {
	resp := &plugin.ParseTestOutputResponse{Tests: p.results}
	if len(p.order) == 0 {
		return resp
	}
	var crashed, recovered []string
	for _, name := range p.order {
		s := p.pkgs[name]
		switch {
		case s.buildFailed:
			resp.Broken = append(resp.Broken, name)
		case s.crashedLast:
			crashed = append(crashed, s.crashes[len(s.crashes)-1])
		case len(s.crashes) > 0:
			recovered = append(recovered, fmt.Sprintf("%s (%d re-run(s))", s.crashes[0], len(s.crashes)))
		}
	}
	switch {
	case len(resp.Broken) > 0:
		resp.End = plugin.RunBuildFailed
		what := make([]string, len(resp.Broken))
		for i, b := range resp.Broken {
			what[i] = b
			if msg := p.buildErr[b]; msg != "" {
				what[i] += " (" + msg + ")"
			}
		}
		resp.Detail = fmt.Sprintf("%d package(s) did not build: %s", len(what), strings.Join(what, "; "))
	case len(crashed) > 0:
		resp.End = plugin.RunCrashed
		resp.Detail = "test binary died: " + strings.Join(crashed, "; ")
	default:
		resp.End = plugin.RunCompleted
		if len(recovered) > 0 {
			resp.Detail = "test binary died, the package re-run without that test: " + strings.Join(recovered, "; ")
		}
	}
	resp.Detail = plugin.OneLine(resp.Detail, 400)
	return resp
}
