package main

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// ParseTestOutput reads the output of a pytest run (see parsePytest).
func (*python) ParseTestOutput(ctx context.Context, req *plugin.ParseTestOutputRequest) (*plugin.ParseTestOutputResponse, error) {
	if req.Parser != parserPytest {
		return nil, fmt.Errorf("parse test output: unknown parser %q: this plugin offers only %q", req.Parser, parserPytest)
	}
	return parsePytestRun(req.Output), nil
}

// parsePytest turns pytest's terminal output into one result per test, in the order the tests first appear.
//
// It reads two independent reports and merges them, so that either alone is enough:
//   - the run section's verbose lines ("nodeid PASSED", "nodeid SKIPPED (reason)", also with "[ 42%]"
//     progress suffixes, and pytest-xdist's "[gw0] [ 42%] PASSED nodeid");
//   - the short test summary ("PASSED nodeid", "FAILED nodeid - message", "ERROR path - message" for a
//     module that failed to collect). Only the last summary section that ends the session counts, so a
//     test that prints a fake summary into its captured output does not fool it.
//
// "ERROR collecting path" headers in the ERRORS section give an error result for the module, with the path
// as its id. Lines inside the FAILURES, ERRORS, PASSES and warnings sections (where captured output is
// shown) are never read as results, nor are the "[100%]" progress lines of non-verbose runs. A summary that
// lists passes (-rA, -rp) is complete but for skips; then a run-section line for an id missing from it was
// printed by a test running without capture (-s) and is dropped, unless it says SKIPPED.
//
// Statuses: PASSED → passed, FAILED → failed, ERROR → error, SKIPPED → skipped, XFAIL → skipped (an
// expected failure is not a pass the bug could break), XPASS → passed (non-strict; a strict xpass is
// reported by pytest as FAILED and stays failed). A test reported more than once (a pass followed by a
// teardown error) takes the worst: error > failed > passed > skipped. Durations sum the setup, call and
// teardown phases listed under --durations (0 when pytest hid them).
func parsePytest(output []byte) []plugin.TestResult {
	return readPytest(output).tests()
}

// parsePytestRun is parsePytest plus how the run ended:
//   - build_failed when test files did not collect: "ERROR collecting path" sections, "ERROR path" summary
//     lines without a test name, "ImportError while loading conftest", or pytest's "Interrupted: N errors
//     during collection". Broken lists those files (repo-relative, as pytest prints them); each keeps its
//     module-level error result (its path as the id, status error), which never passes on working code and
//     is not a test, and no test of that file is reported.
//   - crashed when pytest printed INTERNALERROR, or when a session started (a header or a result) and the
//     output ends without pytest's final "N passed … in 1.2s" line: the run was killed mid-suite (a time
//     limit, the OOM killer, a test that killed its own process). The tests reported before the end keep
//     their status; the others are absent.
//   - completed when the final line came; "" when the output shows no pytest session at all.
//
// Detail is one line: the files and first errors, the internal error, or where the run stopped and the
// exit status the script printed.
func parsePytestRun(output []byte) *plugin.ParseTestOutputResponse {
	p := readPytest(output)
	resp := &plugin.ParseTestOutputResponse{Tests: p.tests(), Broken: p.broken}
	switch {
	case len(p.broken) > 0 || p.interrupted != "":
		resp.End = plugin.RunBuildFailed
		var what []string
		for _, b := range p.broken {
			if msg := p.brokenMsg[b]; msg != "" {
				b += " (" + msg + ")"
			}
			what = append(what, b)
		}
		if len(what) > 0 {
			resp.Detail = fmt.Sprintf("%d test file(s) did not collect: %s", len(what), strings.Join(what, "; "))
		} else {
			resp.Detail = "pytest " + p.interrupted
		}
	case p.internalError != "":
		resp.End = plugin.RunCrashed
		resp.Detail = "pytest INTERNALERROR: " + p.internalError
	case p.started && !p.finished:
		resp.End = plugin.RunCrashed
		resp.Detail = "pytest stopped before its final summary line (killed mid-suite: a time limit, the OOM killer, or a test that killed the process)"
		if p.lastStarted != "" {
			resp.Detail += "; last test started: " + p.lastStarted
		}
		if p.exitStatus != "" {
			resp.Detail += "; exit status " + p.exitStatus
		}
	case p.finished:
		resp.End = plugin.RunCompleted
	}
	resp.Detail = plugin.OneLine(resp.Detail, 400)
	return resp
}

func readPytest(output []byte) *pytestParser {
	p := &pytestParser{index: map[string]int{}}
	for _, line := range strings.Split(string(output), "\n") {
		if len(line) > maxResultLine {
			continue // no result line is this long: a test's output, which must not cost quadratic time
		}
		p.line(ansiEscape.ReplaceAllString(strings.TrimRight(line, "\r"), ""))
	}
	p.commitSummary()
	return p
}

func (p *pytestParser) tests() []plugin.TestResult {
	out := make([]plugin.TestResult, 0, len(p.results))
	for _, r := range p.results {
		if p.summaryHasPasses && !p.inSummary[r.id] && r.status != plugin.StatusSkipped {
			// The summary lists every outcome but skips, and not this one: the run-section line was
			// printed by a test running without output capture.
			continue
		}
		res := plugin.TestResult{ID: r.id, Status: r.status, File: fileOf(r.id)}
		if d, ok := p.durations[r.id]; ok {
			res.Duration = math.Round(d*1000) / 1000
		}
		out = append(out, res)
	}
	return out
}

// maxResultLine is the longest line read; pytest's own lines are far shorter.
const maxResultLine = 16 << 10

var (
	ansiEscape     = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
	sectionHeader  = regexp.MustCompile(`^=+ (.*?) =+$`)
	sepLine        = regexp.MustCompile(`^(?:[=_-])+ .* (?:[=_-])+$|^[=_-]{10,}$`)
	finalStats     = regexp.MustCompile(`\bin \d+(?:\.\d+)?s\b|^no tests ran\b`)
	bareFinalStats = regexp.MustCompile(`^(?:\d+ [a-z]+(?:, )?)+ in \d+(?:\.\d+)?s\b|^no tests ran in\b`)
	slowest        = regexp.MustCompile(`^slowest (?:\d+ )?durations$`)
	collectError   = regexp.MustCompile(`^_+ ERROR collecting (.+?) _+$`)
	durationLine   = regexp.MustCompile(`^(\d+(?:\.\d+)?)s (setup|call|teardown) +(\S.*)$`)
	progressSuffix = regexp.MustCompile(`\s+\[\s*\d+%\]$`)
	xdistLine      = regexp.MustCompile(`^\[gw\d+\] (?:\[\s*\d+%\] )?(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (.+)$`)
	summaryLine    = regexp.MustCompile(`^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S.*)$`)
	interrupted    = regexp.MustCompile(`Interrupted: \d+ errors? during collection`)
	conftestError  = regexp.MustCompile(`^ImportError while loading conftest '(.+)'\.$`)
	exitStatusLine = regexp.MustCompile(`^ssr: pytest exited with status (\d+)$`)
)

// statusWords maps pytest's outcome words to statuses.
var statusWords = map[string]string{
	"PASSED":  plugin.StatusPassed,
	"FAILED":  plugin.StatusFailed,
	"ERROR":   plugin.StatusError,
	"SKIPPED": plugin.StatusSkipped,
	"XFAIL":   plugin.StatusSkipped,
	"XPASS":   plugin.StatusPassed,
}

var severity = map[string]int{
	plugin.StatusSkipped: 0, plugin.StatusPassed: 1, plugin.StatusFailed: 2, plugin.StatusError: 3,
}

type parserState int

const (
	stateRun       parserState = iota // the session header and the per-test lines
	stateReport                       // FAILURES, PASSES, warnings, …: captured output lives here
	stateErrors                       // ERRORS: like stateReport, plus "ERROR collecting" headers
	stateDurations                    // slowest durations
	stateSummary                      // short test summary info, not yet known to be the real one
	stateDone                         // after the final "N passed in 0.1s" line
)

type pytestResult struct {
	id, status string
	passWord   bool // read from a summary "PASSED" line
}

type pytestParser struct {
	state     parserState
	results   []pytestResult
	index     map[string]int // id → position in results
	durations map[string]float64
	pending   []pytestResult // results of the summary section being read
	// beforeSummary is the state to go back to when a summary turns out to be a test's output.
	beforeSummary parserState
	idLengths     []int // distinct lengths of the ids in index, longest first

	// inSummary holds the ids of the committed summary; summaryHasPasses says it lists passes too (-rA,
	// -rp), so that it is complete but for skips.
	inSummary        map[string]bool
	summaryHasPasses bool

	// How the run ended (see parsePytestRun).
	started, finished bool     // a session started; its final line came after the last start
	broken            []string // files that did not collect, in order
	brokenMsg         map[string]string
	collecting        string // the file whose "ERROR collecting" section is being read
	interrupted       string // "Interrupted: 2 errors during collection"
	internalError     string // the last INTERNALERROR> line
	lastStarted       string // the last "nodeid " line of the run section without an outcome yet
	exitStatus        string // as this plugin's script prints it
}

// addBroken records a file that did not collect.
func (p *pytestParser) addBroken(file string) {
	if !slices.Contains(p.broken, file) {
		p.broken = append(p.broken, file)
	}
}

func (p *pytestParser) line(line string) {
	switch {
	case strings.HasPrefix(line, "INTERNALERROR>"):
		if msg := strings.TrimSpace(strings.TrimPrefix(line, "INTERNALERROR>")); msg != "" {
			p.internalError = msg
		}
		return
	case interrupted.MatchString(line) && strings.HasPrefix(line, "!"):
		p.interrupted = interrupted.FindString(line)
	case p.state != stateReport && p.state != stateErrors:
		if m := conftestError.FindStringSubmatch(line); m != nil {
			p.addBroken(strings.TrimPrefix(m[1], "/repo/"))
			p.collecting = strings.TrimPrefix(m[1], "/repo/")
		} else if m := exitStatusLine.FindStringSubmatch(line); m != nil {
			p.exitStatus = m[1]
			return
		}
	}
	if p.collecting != "" && strings.HasPrefix(line, "E   ") {
		if p.brokenMsg == nil {
			p.brokenMsg = map[string]string{}
		}
		p.brokenMsg[p.collecting] = strings.TrimSpace(line[1:])
	}
	if m := sectionHeader.FindStringSubmatch(line); m != nil {
		p.header(strings.TrimSpace(m[1]))
		return
	}
	if p.state == stateSummary && bareFinalStats.MatchString(line) {
		// pytest -q ends with "1 failed, 2 passed in 0.1s" without the "=" frame.
		p.commitSummary()
		p.state, p.finished = stateDone, true
		return
	}
	if p.state == stateSummary && !summaryShaped(line) {
		// A "----- Captured stdout -----" line, a "_____ test_x _____" header, a test's own output: what
		// looked like a summary was printed by a test. Go back to where it started and read on from there.
		p.pending, p.state = nil, p.beforeSummary
		if sepLine.MatchString(line) {
			return
		}
	}
	switch p.state {
	case stateRun:
		if id, status, ok := verboseResult(line); ok {
			p.add(id, status)
			p.started, p.lastStarted = true, ""
		} else if id, _, _ := strings.Cut(line, " "); id != line && plausibleID(id) {
			p.lastStarted = id // "nodeid " waits for its outcome; a kill may append the shell's notice
		} else if bareFinalStats.MatchString(line) {
			p.finished = true // pytest -q without a summary
		}
	case stateErrors:
		if m := collectError.FindStringSubmatch(line); m != nil {
			p.add(m[1], plugin.StatusError)
			p.addBroken(m[1])
			p.collecting = m[1]
		} else if sepLine.MatchString(line) && strings.HasPrefix(line, "_") {
			p.collecting = "" // "___ ERROR at setup of test_x ___": a test's error, not a collection's
		}
	case stateDurations:
		if m := durationLine.FindStringSubmatch(line); m != nil {
			if d, err := strconv.ParseFloat(m[1], 64); err == nil {
				if p.durations == nil {
					p.durations = map[string]float64{}
				}
				p.durations[strings.TrimSpace(m[3])] += d
			}
		}
	case stateSummary:
		if m := summaryLine.FindStringSubmatch(line); m != nil {
			if id := p.summaryID(m[1], m[2]); id != "" {
				p.pending = append(p.pending, pytestResult{id, statusWords[m[1]], m[1] == "PASSED"})
			}
		}
	}
}

func (p *pytestParser) header(title string) {
	if p.state == stateSummary {
		if finalStats.MatchString(title) {
			p.commitSummary()
		}
		p.pending = nil
	}
	p.collecting = ""
	switch {
	case title == "test session starts" && (p.state == stateRun || p.state == stateDone):
		// A new session starts only where none is going on; the same header inside a test's captured
		// output (in FAILURES, say) must not turn that output into results.
		p.state = stateRun
		p.started, p.finished = true, false
	case title == "short test summary info":
		if p.state != stateSummary {
			p.beforeSummary = p.state
		}
		p.state, p.pending = stateSummary, nil
	case slowest.MatchString(title):
		p.state = stateDurations
	case title == "ERRORS":
		p.state = stateErrors
	case finalStats.MatchString(title):
		p.state, p.finished = stateDone, true
	default:
		p.state = stateReport
	}
}

func (p *pytestParser) commitSummary() {
	for _, r := range p.pending {
		p.add(r.id, r.status)
		if r.status == plugin.StatusError && !strings.Contains(r.id, "::") {
			p.addBroken(r.id) // "ERROR tests/test_x.py": the module did not collect
		}
		if p.inSummary == nil {
			p.inSummary = map[string]bool{}
		}
		p.inSummary[r.id] = true
		if r.passWord {
			p.summaryHasPasses = true
		}
	}
	p.pending = nil
}

func (p *pytestParser) add(id, status string) {
	if i, ok := p.index[id]; ok {
		if severity[status] > severity[p.results[i].status] {
			p.results[i].status = status
		}
		return
	}
	p.started = true
	p.index[id] = len(p.results)
	if !slices.Contains(p.idLengths, len(id)) {
		p.idLengths = append(p.idLengths, len(id))
		slices.SortFunc(p.idLengths, func(a, b int) int { return b - a })
	}
	p.results = append(p.results, pytestResult{id: id, status: status})
}

// summaryShaped reports whether a line can belong to a real short test summary: an outcome line (messages are
// cut to one line), pytest's "!!! Interrupted … !!!" notice, or a blank line.
func summaryShaped(line string) bool {
	word, _, _ := strings.Cut(line, " ")
	_, ok := statusWords[word]
	return ok || strings.TrimSpace(line) == "" || strings.HasPrefix(line, "!!!")
}

// verboseResult reads a run-section line of pytest -v: "nodeid STATUS", "nodeid STATUS (reason)", either with
// a progress suffix, or xdist's "[gw0] [ 42%] STATUS nodeid".
func verboseResult(line string) (id, status string, ok bool) {
	if m := xdistLine.FindStringSubmatch(line); m != nil && plausibleID(m[2]) {
		return m[2], statusWords[m[1]], true
	}
	line = progressSuffix.ReplaceAllString(line, "")
	if !strings.Contains(line, "::") {
		return "", "", false
	}
	// The nodeid may itself contain " PASSED" (a parameter id), and a skip reason may too: take the first
	// status word after which only an optional "(reason)" follows and before which stands a plausible nodeid.
	for from := 0; ; {
		i := strings.IndexByte(line[from:], ' ')
		if i < 0 {
			return "", "", false
		}
		at := from + i
		from = at + 1
		cand := line[:at]
		rest := line[at+1:]
		word, tail, _ := strings.Cut(rest, " ")
		st, known := statusWords[word]
		if !known || !plausibleID(cand) {
			continue
		}
		if word == rest || strings.HasPrefix(tail, "(") && strings.HasSuffix(tail, ")") {
			return cand, st, true
		}
	}
}

// plausibleID reports whether s can be a test's nodeid: a path and at least one name separated by "::", no
// surrounding blanks, and a parameter part, if any, closed at the end.
func plausibleID(s string) bool {
	file, names, ok := strings.Cut(s, "::")
	if !ok || file == "" || names == "" || strings.TrimSpace(s) != s || strings.HasPrefix(names, "[") {
		return false
	}
	if i := strings.IndexByte(names, '['); i >= 0 {
		return strings.HasSuffix(names, "]")
	}
	return !strings.ContainsAny(names, " \t")
}

// summaryID finds the nodeid at the start of a summary line's rest ("nodeid - message", "nodeid reason" for
// XPASS, "path - message" for a collection error). Ids already seen in the run section are preferred, the
// longest one that ends at a blank; otherwise the id is delimited by its shape.
func (p *pytestParser) summaryID(word, rest string) string {
	if _, ok := p.index[rest]; ok {
		return rest
	}
	// Try only the lengths of ids seen so far (few distinct ones), longest first: hashing every prefix that
	// ends at a blank would be quadratic in the line's length.
	for _, n := range p.idLengths {
		if n < len(rest) && rest[n] == ' ' {
			if _, ok := p.index[rest[:n]]; ok {
				return rest[:n]
			}
		}
	}
	sep := " - "
	if word == "XPASS" {
		sep = " "
	}
	file, names, ok := strings.Cut(rest, "::")
	if !ok {
		// A module that failed to collect: "ERROR tests/test_x.py - ImportError…".
		if word != "ERROR" {
			return ""
		}
		id, _, _ := strings.Cut(rest, " - ")
		return id
	}
	// Names are identifiers joined by "::"; a parameter part starts at the first "[" and ends at the first "]"
	// followed by the end or the message separator.
	end := len(names)
	if i := strings.IndexAny(names, "[ "); i >= 0 {
		end = i
		if names[i] == '[' {
			end = -1
			for j := i; j < len(names); j++ {
				if names[j] == ']' && (j+1 == len(names) || strings.HasPrefix(names[j+1:], sep)) {
					end = j + 1
					break
				}
			}
			if end < 0 {
				return ""
			}
		}
	}
	id := file + "::" + names[:end]
	if !plausibleID(id) {
		return ""
	}
	return id
}

// fileOf is the part of a nodeid before the first "::" (the whole id for a module's collection error).
func fileOf(id string) string {
	file, _, _ := strings.Cut(id, "::")
	return file
}
