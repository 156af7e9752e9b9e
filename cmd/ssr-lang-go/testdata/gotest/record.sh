#!/bin/sh
# Re-record the real `go test -json` outputs the parser's golden tests read: one run per package of the
# throwaway module (pass, fail, skip, subtests, parallel, panic, timeout, build error, setup failure,
# TestMain exiting) and one of the whole module. Then: go test ./cmd/ssr-lang-go -run Golden -update
set -u
cd "$(dirname "$0")/module" || exit 1
for c in pass fail skip subtests parallel panic timeout builderr testmain setupfail; do
	GOPROXY=off GOFLAGS=-mod=mod go test -json -count=1 -timeout 3s ./$c > ../$c.json 2>&1
done
GOPROXY=off GOFLAGS=-mod=mod go test -json -count=1 -timeout 3s ./... > ../all.json 2>&1
exit 0
