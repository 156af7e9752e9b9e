#!/bin/sh
# Re-record the real `go test -json` outputs the parser's golden tests read: one run per package of the
# throwaway module (pass, fail, skip, subtests, parallel, panic, timeout, build error, setup failure,
# TestMain exiting, a panic mid-package in a subtest, os.Exit mid-package), a build failure beside a
# passing package, and one of the whole module. Then: go test ./cmd/ssr-lang-go -run Golden -update
# (rerun.json, the test script's own output with its re-runs, is re-recorded by
# go test ./cmd/ssr-lang-go -run TestScriptOnRealGo -update).
set -u
cd "$(dirname "$0")/module" || exit 1
for c in pass fail skip subtests parallel panic timeout builderr testmain setupfail panicmid exitmid; do
	GOPROXY=off GOFLAGS=-mod=mod go test -json -count=1 -timeout 3s ./$c > ../$c.json 2>&1
done
GOPROXY=off GOFLAGS=-mod=mod go test -json -count=1 -timeout 3s ./builderr ./pass > ../builderr_mixed.json 2>&1
GOPROXY=off GOFLAGS=-mod=mod go test -json -count=1 -timeout 3s ./... > ../all.json 2>&1
exit 0
