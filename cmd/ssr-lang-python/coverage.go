package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// parserCoverage reads what coverageScript prints: pytest's own output, then coverage.py's JSON report
// with a context per test.
const parserCoverage = "coverage-contexts"

// coverageMarker starts the JSON part of coverageScript's output.
const coverageMarker = "=== ssr-coverage json"

// coverageScript runs the whole suite once under coverage.py (Debian's python3-coverage, through
// python3-pytest-cov's --cov-context=test, which records each line against the node id of the test that
// ran it and the phase: "tests/test_a.py::test_x[1]|run"). Only the repository's source files are measured
// (an include list in a private rc file, so the project's own coverage settings do not interfere). Then it
// prints coverage's JSON report, cut to what the parser reads (executed lines and their contexts per file)
// plus, per file, the line spans of statements that run over several lines: coverage.py names a statement
// by its first line, and a change on a later line of it must still find the tests that ran it. The report
// goes out after a marker line; pytest's own output comes first, so that tests covering nothing are known
// too.
const coverageScript = `#!/usr/bin/env bash
# Written by ssr-lang-python: runs every test once under coverage.py with one context per test, then prints
# the JSON report after a marker line (builtin coverage parser "coverage-contexts").
set -u
export PYTHONDONTWRITEBYTECODE=1
ssr_dir=$(mktemp -d) || exit 2
trap 'rm -rf "$ssr_dir"' EXIT
export COVERAGE_FILE=$ssr_dir/data
cat >"$ssr_dir/rc" <<'SSR_RC'
[run]
INCLUDE
SSR_RC
args=(PYTESTARGS)
python3 -m pytest "${args[@]}" --cov --cov-config="$ssr_dir/rc" --cov-context=test --cov-report= 2>&1
echo "ssr-coverage: pytest exited with status $?"
if ! python3 -m coverage json --show-contexts --rcfile="$ssr_dir/rc" -o "$ssr_dir/report.json" >"$ssr_dir/json.log" 2>&1; then
	echo "ssr-coverage: coverage json failed: $(tail -n 3 "$ssr_dir/json.log" | tr '\n' ' ')"
	exit 0
fi
echo "` + coverageMarker + `"
python3 - "$ssr_dir/report.json" <<'SSR_PY'
import ast, json, sys

report = json.load(open(sys.argv[1]))
out = {"meta": report.get("meta", {}), "files": {}}
for path, data in report.get("files", {}).items():
    spans = []
    try:
        tree = ast.parse(open(path, "rb").read())
    except (OSError, SyntaxError, ValueError):
        tree = None
    for node in ast.walk(tree) if tree is not None else ():
        if not isinstance(node, ast.stmt):
            continue
        end = getattr(node, "end_lineno", None) or node.lineno
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            end = body[0].lineno - 1  # a compound statement: its header, not its body
        if end > node.lineno:
            spans.append([node.lineno, end])
    out["files"][path] = {"executed_lines": data.get("executed_lines", []), "contexts": data.get("contexts", {}), "ssr_spans": sorted(spans)}
json.dump(out, sys.stdout, separators=(",", ":"))
print()
SSR_PY
echo "ssr-coverage: end"
`

// CoverageCommand returns coverageScript with the repository's source files (the Sources rule of
// TestFiles) as the include list; with no files given it measures every file under /repo.
func (p *python) CoverageCommand(ctx context.Context, req *plugin.CoverageCommandRequest) (*plugin.CoverageCommandResponse, error) {
	include := "source = ."
	if len(req.Files) > 0 {
		tf, err := p.TestFiles(ctx, &plugin.TestFilesRequest{Files: req.Files})
		if err != nil {
			return nil, err
		}
		if len(tf.Sources) == 0 {
			return &plugin.CoverageCommandResponse{Unsupported: "no Python source file outside the tests: nothing to measure"}, nil
		}
		var b strings.Builder
		b.WriteString("include =")
		for _, f := range tf.Sources {
			if strings.ContainsAny(f, "\n\r") {
				continue
			}
			b.WriteString("\n    " + f)
		}
		include = b.String()
	}
	script := strings.NewReplacer("INCLUDE", include, "PYTESTARGS", strings.Join(quoteAll(pytestArgs), " ")).Replace(coverageScript)
	return &plugin.CoverageCommandResponse{Script: script, Parser: parserCoverage}, nil
}

// ParseCoverage reads coverageScript's output.
func (*python) ParseCoverage(ctx context.Context, req *plugin.ParseCoverageRequest) (*plugin.ParseCoverageResponse, error) {
	if req.Parser != parserCoverage {
		return nil, fmt.Errorf("parse coverage: unknown parser %q: this plugin offers only %q", req.Parser, parserCoverage)
	}
	return parseCoverageContexts(req.Output), nil
}

// coverageReport is the part of coverage.py's JSON report (format 3) that the parser reads, plus the
// statement spans coverageScript adds.
type coverageReport struct {
	Files map[string]struct {
		ExecutedLines []int               `json:"executed_lines"`
		Contexts      map[string][]string `json:"contexts"`
		Spans         [][2]int            `json:"ssr_spans"`
	} `json:"files"`
}

// parseCoverageContexts turns coverageScript's output into per-test line ranges. The tests are those
// pytest's output reports (parsePytest, so ids match ParseTestOutput's) and those the contexts name; a
// context's phase suffix (|setup, |run, |teardown) is dropped, so a fixture's lines count for the test
// that used it. Lines recorded under the empty context ran outside any test (imports, module-level code,
// session fixtures): they are Shared. Each executed line stands for its whole statement when the
// statement spans several lines (coverage.py reports the first), and for a compound statement's header.
func parseCoverageContexts(out []byte) *plugin.ParseCoverageResponse {
	resp := &plugin.ParseCoverageResponse{}
	head, jsonPart, found := bytes.Cut(out, []byte(coverageMarker+"\n"))
	if !found {
		resp.Error = plugin.WithLastLine("no coverage report in the output", head)
		return resp
	}
	jsonPart, _, _ = bytes.Cut(jsonPart, []byte("\nssr-coverage: end"))
	var rep coverageReport
	if err := json.Unmarshal(bytes.TrimSpace(jsonPart), &rep); err != nil {
		resp.Error = "the coverage report is not JSON: " + err.Error()
		return resp
	}
	tests := map[string]map[string]map[int]bool{} // test → file → lines
	for _, t := range parsePytest(head) {
		if !strings.HasPrefix(t.ID, "[") { // not a collection-error pseudo-test
			tests[t.ID] = map[string]map[int]bool{}
		}
	}
	shared := map[string]map[int]bool{}
	for path, f := range rep.Files {
		if path == "" || strings.HasPrefix(path, "/") || strings.Contains(path, "..") {
			continue // outside the repository
		}
		spans := map[int]int{}
		for _, s := range f.Spans {
			if s[0] >= 1 && s[1] > s[0] && s[1]-s[0] <= maxSpan {
				spans[s[0]] = max(spans[s[0]], s[1])
			}
		}
		for key, ctxs := range f.Contexts {
			line, err := strconv.Atoi(key)
			if err != nil || line < 1 {
				continue
			}
			end := max(line, spans[line])
			for _, c := range ctxs {
				id, _, _ := strings.Cut(c, "|")
				var into map[string]map[int]bool
				if id == "" {
					into = shared
				} else {
					if tests[id] == nil {
						tests[id] = map[string]map[int]bool{}
					}
					into = tests[id]
				}
				if into[path] == nil {
					into[path] = map[int]bool{}
				}
				for l := line; l <= end; l++ {
					into[path][l] = true
				}
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(tests)) {
		resp.Tests = append(resp.Tests, plugin.TestCoverage{ID: id, Files: fileLines(tests[id])})
	}
	resp.Shared = fileLines(shared)
	if len(resp.Tests) == 0 {
		resp.Error = "the coverage report names no test"
	}
	return resp
}

// maxSpan bounds one statement's span: more lines than that is a corrupt report, not a statement.
const maxSpan = 1 << 14

// fileLines gives file → lines as sorted files of merged ranges.
func fileLines(m map[string]map[int]bool) []plugin.FileLines {
	var out []plugin.FileLines
	for _, path := range slices.Sorted(maps.Keys(m)) {
		var rs []plugin.LineRange
		for _, l := range slices.Sorted(maps.Keys(m[path])) {
			if n := len(rs); n > 0 && rs[n-1].End+1 == l {
				rs[n-1].End = l
				continue
			}
			rs = append(rs, plugin.LineRange{Start: l, End: l})
		}
		out = append(out, plugin.FileLines{Path: path, Lines: rs})
	}
	return out
}
