package main

import (
	"strconv"
	"strings"
)

// maxReruns bounds the re-runs of one package whose test binary keeps dying in a new test.
const maxReruns = 5

// testScript is the bash script TestCommand returns. It runs `go test -json` on the packages, streaming
// the events (tee, so that a run killed at its time limit still shows what it reached) and keeping a copy.
// Then, for each package whose test binary died in a test (a "panic: " or "fatal error: " line in a test's
// output, or else top-level tests that started and never ended: os.Exit, a signal), it re-runs that
// package alone with those top-level tests skipped (-skip '^(TestB|…)$', accumulated), at most maxReruns
// times, printing each new stream after the first. A package that died at go test's own -timeout is not
// re-run: the rest would wait again. The script exits with the first run's status. The image has bash,
// grep, sed, sort and comm, but no jq: events are matched as text, relying on test2json's field order
// (Time, Action, Package, Test, Elapsed, Output, FailedBuild).
const testScript = `#!/bin/bash
# ssr-lang-go: run the tests, one JSON event a line; re-run a package whose test binary died in a test
# with that test skipped, so that the package's other tests report (the parser merges the streams).
ssr_out=$(mktemp) || exit 2
trap 'rm -f "$ssr_out" "$ssr_out".*' EXIT
go test -json -count=1 -timeout 5m RUNFLAGS PACKAGES 2>&1 | tee "$ssr_out"
ssr_status=${PIPESTATUS[0]}

# ssr_died FILE PKG: the top-level tests in which PKG's test binary died, one a line.
ssr_died() {
	local ev died
	ev=$(grep -F "\"Package\":\"$2\"" "$1")
	grep -qF "\"Action\":\"fail\",\"Package\":\"$2\",\"Elapsed\"" <<<"$ev" || return 0
	grep -qF '"Output":"panic: test timed out' <<<"$ev" && return 0
	died=$(grep -F '"Action":"output"' <<<"$ev" | grep -E '"Output":"(panic|fatal error): ' |
		sed -nE 's/.*"Test":"([^"/]+)[/"].*/\1/p' | sort -u)
	if [ -z "$died" ]; then
		died=$(comm -23 <(grep -F '"Action":"run"' <<<"$ev" | sed -nE 's/.*"Test":"([^"/]+)".*/\1/p' | sort -u) \
			<(grep -E '"Action":"(pass|fail|skip)"' <<<"$ev" | sed -nE 's/.*"Test":"([^"/]+)".*/\1/p' | sort -u))
	fi
	[ -z "$died" ] || printf '%s\n' "$died"
}

for ssr_pkg in $(sed -nE 's/.*"Action":"fail","Package":"([^"]+)","Elapsed".*/\1/p' "$ssr_out" | sort -u); do
	ssr_skip= ssr_cur=$ssr_out
	for ssr_round in $(seq MAXRERUNS); do
		ssr_new=$(ssr_died "$ssr_cur" "$ssr_pkg")
		[ -n "$ssr_new" ] || break
		for ssr_t in $ssr_new; do
			case "|$ssr_skip|" in *"|$ssr_t|"*) ;; *) ssr_skip=${ssr_skip:+$ssr_skip|}$ssr_t ;; esac
		done
		echo "ssr-lang-go: the test binary of $ssr_pkg died in $(echo $ssr_new); re-running it with -skip '^($ssr_skip)\$' (round $ssr_round of MAXRERUNS)"
		ssr_cur=$ssr_out.$ssr_round
		go test -json -count=1 -timeout 5m RUNFLAGS -skip "^($ssr_skip)\$" "$ssr_pkg" 2>&1 | tee "$ssr_cur"
	done
done
exit $ssr_status
`

// scriptFor fills the script in for the given package patterns, running only the top-level tests named in
// run (all when empty) in them.
func scriptFor(pkgs, run []string) string {
	flags := ""
	if len(run) > 0 {
		flags = "-run '^(" + strings.Join(run, "|") + ")$' "
	}
	return strings.NewReplacer("RUNFLAGS ", flags, "PACKAGES", strings.Join(pkgs, " "), "MAXRERUNS", strconv.Itoa(maxReruns)).Replace(testScript)
}
