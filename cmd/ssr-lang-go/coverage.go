package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// ParserGoCover reads what coverScript prints: each top-level test's own coverage profile.
const ParserGoCover = "gocover-per-test"

// coverScript records which lines each top-level test executes. Every package with tests is built once as
// a test binary with coverage of every package of the module (-cover -coverpkg=./...); then each test,
// example and fuzz target that -test.list names runs alone in its own process (-test.run '^Name$'), from the
// package's directory as go test would, writing its own profile. Only the covered blocks of each profile
// are printed, after a "ssr-cover test <id> exit=<status>" line; a test that covers nothing has the line
// and no blocks. Package initialisation runs in every process, so its lines count for every test. Benchmarks
// are not tests here (go test does not run them). A package whose test binary does not build is named on an
// "ssr-cover build-failed" line and its tests are left out. The test's own output is discarded: only the
// profiles matter.
const coverScript = `#!/bin/bash
# ssr-lang-go: per-test coverage. One coverage-instrumented test binary per package, each top-level test
# run alone with its own profile; prints "ssr-cover test ID exit=N" and that test's covered blocks.
set -u
ssr_dir=$(mktemp -d) || exit 2
trap 'rm -rf "$ssr_dir"' EXIT
echo "ssr-cover module $(go list -m)"
ssr_n=0
for ssr_pkg in $(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do
	ssr_n=$((ssr_n + 1))
	ssr_bin=$ssr_dir/t$ssr_n.test
	ssr_pkgdir=$(go list -f '{{.Dir}}' "$ssr_pkg")
	if ! go test -c -cover -covermode=set -coverpkg=./... -o "$ssr_bin" "$ssr_pkg" >"$ssr_dir/build.log" 2>&1 || [ ! -x "$ssr_bin" ]; then
		echo "ssr-cover build-failed $ssr_pkg"
		tail -n 5 "$ssr_dir/build.log" | sed 's/^/ssr-cover   /'
		continue
	fi
	for ssr_t in $(cd "$ssr_pkgdir" && "$ssr_bin" -test.list '.*' 2>/dev/null | grep -E '^(Test|Example|Fuzz)'); do
		rm -f "$ssr_dir/profile"
		(cd "$ssr_pkgdir" && "$ssr_bin" -test.run "^${ssr_t}\$" -test.count=1 -test.timeout=5m -test.coverprofile="$ssr_dir/profile" >/dev/null 2>&1)
		echo "ssr-cover test $ssr_pkg::$ssr_t exit=$?"
		[ -f "$ssr_dir/profile" ] && awk 'NR > 1 && $NF > 0' "$ssr_dir/profile"
	done
	rm -f "$ssr_bin"
done
echo "ssr-cover end"
`

// CoverageCommand: coverScript, for the root module's packages (the ones TestCommand runs).
func (goLanguage) CoverageCommand(_ context.Context, req *plugin.CoverageCommandRequest) (*plugin.CoverageCommandResponse, error) {
	if len(req.Files) > 0 && !slices.Contains(req.Files, "go.mod") {
		return &plugin.CoverageCommandResponse{Unsupported: "no go.mod at the repository's root: go test ./... has no module to measure"}, nil
	}
	return &plugin.CoverageCommandResponse{Script: coverScript, Parser: ParserGoCover}, nil
}

// ParseCoverage reads coverScript's output.
func (goLanguage) ParseCoverage(_ context.Context, req *plugin.ParseCoverageRequest) (*plugin.ParseCoverageResponse, error) {
	if req.Parser != ParserGoCover && req.Parser != "" {
		return nil, fmt.Errorf("coverage parser %q is not one of ssr-lang-go's (%s)", req.Parser, ParserGoCover)
	}
	return parseGoCover(req.Output), nil
}

// parseGoCover turns coverScript's output into per-test line ranges. Profile paths are import paths
// ("example.com/m/pkg/file.go"); the module line says which prefix to strip for a repo-relative path. A
// block "file:L1.C1,L2.C2 stmts count" covers lines L1 to L2. Lines before the module line, and blocks
// outside the module (none with -coverpkg=./...), are ignored. An output without the closing "ssr-cover
// end" line was cut short (killed at the time limit, its output capped): it gives an error, since tests
// past the cut would wrongly read as covering nothing.
func parseGoCover(out []byte) *plugin.ParseCoverageResponse {
	resp := &plugin.ParseCoverageResponse{}
	var module string
	var cur *coverSet
	var order []string
	sets := map[string]*coverSet{}
	ended := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "ssr-cover module "):
			module = strings.TrimSpace(strings.TrimPrefix(line, "ssr-cover module "))
		case strings.HasPrefix(line, "ssr-cover test "):
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "ssr-cover test "), " ")
			if pkg, name, ok := strings.Cut(id, "::"); !ok || pkg == "" || name == "" {
				cur = nil
				continue
			}
			if cur = sets[id]; cur == nil {
				cur = &coverSet{files: map[string]map[int]bool{}}
				sets[id] = cur
				order = append(order, id)
			}
		case line == "ssr-cover end":
			ended = true
			cur = nil
		case strings.HasPrefix(line, "ssr-cover "):
			cur = nil // build-failed and its log lines
		case cur != nil && module != "":
			file, from, to, ok := profileBlock(line)
			if !ok {
				continue
			}
			rel, ok := strings.CutPrefix(file, module+"/")
			if !ok {
				continue
			}
			cur.add(rel, from, to)
		}
	}
	switch {
	case module == "":
		resp.Error = plugin.WithLastLine("no coverage: the output has no \"ssr-cover module\" line (go list -m failed?)", out)
		return resp
	case !ended:
		resp.Error = plugin.WithLastLine("no coverage: the output stops before \"ssr-cover end\" (killed at its time limit, or cut)", out)
		return resp
	}
	slices.Sort(order)
	for _, id := range order {
		resp.Tests = append(resp.Tests, plugin.TestCoverage{ID: id, Files: sets[id].lines()})
	}
	return resp
}

// profileBlock reads one coverage profile line, "file.go:12.34,15.2 3 1".
func profileBlock(line string) (file string, from, to int, ok bool) {
	f := strings.Fields(line)
	if len(f) != 3 {
		return "", 0, 0, false
	}
	colon := strings.LastIndexByte(f[0], ':')
	if colon <= 0 {
		return "", 0, 0, false
	}
	file = f[0][:colon]
	start, end, ok := strings.Cut(f[0][colon+1:], ",")
	if !ok {
		return "", 0, 0, false
	}
	from, err1 := strconv.Atoi(strings.SplitN(start, ".", 2)[0])
	to, err2 := strconv.Atoi(strings.SplitN(end, ".", 2)[0])
	count, err3 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || err3 != nil || count <= 0 || from < 1 || to < from || to-from > maxBlockLines {
		return "", 0, 0, false
	}
	return file, from, to, true
}

// maxBlockLines bounds one block's span: a profile line claiming more is corrupt, not code.
const maxBlockLines = 1 << 16

// coverSet is the lines one test covered, per repo-relative file.
type coverSet struct {
	files map[string]map[int]bool
}

func (c *coverSet) add(file string, from, to int) {
	m := c.files[file]
	if m == nil {
		m = map[int]bool{}
		c.files[file] = m
	}
	for l := from; l <= to; l++ {
		m[l] = true
	}
}

// lines gives the set as sorted files of merged ranges.
func (c *coverSet) lines() []plugin.FileLines {
	var out []plugin.FileLines
	for _, file := range slices.Sorted(maps.Keys(c.files)) {
		out = append(out, plugin.FileLines{Path: file, Lines: ranges(slices.Sorted(maps.Keys(c.files[file])))})
	}
	return out
}

// ranges merges sorted, unique line numbers into ranges of consecutive lines.
func ranges(lines []int) []plugin.LineRange {
	var out []plugin.LineRange
	for _, l := range lines {
		if n := len(out); n > 0 && out[n-1].End+1 == l {
			out[n-1].End = l
			continue
		}
		out = append(out, plugin.LineRange{Start: l, End: l})
	}
	return out
}
