# ssr — see README.md. Every target works on a fresh machine of the go-docker kind.
GO        ?= go
BIN       := bin
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
PLUGINS   := $(patsubst cmd/%/,%,$(dir $(wildcard cmd/ssr-lang-*/main.go)))
GOTEST    ?= $(GO) test
TESTFLAGS ?= -count=1 -timeout 40m

.PHONY: all build demo test bench lint fuzz setup soak learn gpu-check clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ssr ./cmd/ssr
	@# Plugins carry their own version (it is part of every repo image's inputs), not the tree's.
	@for p in $(PLUGINS); do echo "$(GO) build -o $(BIN)/$$p ./cmd/$$p"; $(GO) build -o $(BIN)/$$p ./cmd/$$p || exit 1; done

# setup installs what the machine lacks: debootstrap for local base images, and Debian's pytest so that the
# Python plugin's tests run against the same pytest the sandboxes use.
setup:
	@missing=""; command -v debootstrap >/dev/null 2>&1 || missing="$$missing debootstrap"; \
	 /usr/bin/python3 -c 'import pytest' >/dev/null 2>&1 || missing="$$missing python3-pytest"; \
	 if [ -n "$$missing" ]; then echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

# demo is the main job: a short self-play run on the built-in example repositories.
demo: setup build
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/ssr run

test: setup build
	PATH="$(CURDIR)/$(BIN):$$PATH" $(GOTEST) $(TESTFLAGS) ./...

# bench runs every benchmark once, then prints the self-play table (arena's TestBenchTable: a job on each
# example and on a generated repository, whole suite and test selection; about 40 minutes; docs/perf.md).
bench: setup build
	PATH="$(CURDIR)/$(BIN):$$PATH" $(GO) test -run '^$$' -bench . -benchtime 1x ./... | tee $(BIN)/bench.txt
	PATH="$(CURDIR)/$(BIN):$$PATH" SSR_BENCH=1 $(GO) test -count=1 -timeout 120m -v -run '^TestBenchTable$$' ./arena | tee $(BIN)/bench-table.txt

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# soak (not in CI: it takes an hour) runs `ssr run` on the built-in examples for SOAK_DURATION (default 1h),
# killing it with SIGKILL every SOAK_KILL_EVERY on average (default 3m; each wait drawn from [0.5x, 1.5x]) and
# resuming it each time, lets the last job finish, checks the store, the engine and /proc for anything lost,
# duplicated or left behind, and writes a report to SOAK_REPORT (default bin/soak.md). See docs/reliability.md.
SOAK_TIMEOUT ?= 3h
soak: setup build
	SSR_SOAK=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(GO) test ./cmd/ssr -run '^TestSoak$$' -count=1 -timeout $(SOAK_TIMEOUT) -v

# fuzz runs every fuzz target briefly (FUZZTIME per target).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done

# learn is the learning benchmark (not in CI; hours by default): it freezes a held-out bug set, measures the
# uniform policy on it, runs self-play with in-process training for LEARN_DURATION (2h), measures the final
# version, and writes docs/learning.md and docs/learning.png. Knobs: LEARN_DURATION, LEARN_BUGS (40),
# LEARN_ATTEMPTS (2), LEARN_K, LEARN_CONTAINERS (2), LEARN_EXAMPLES, LEARN_DIR (bin/learn; steps done there
# are skipped on a rerun), LEARN_DOCS (docs). See cmd/ssr-learn.
learn: setup build
	$(GO) build -o $(BIN)/ssr-learn ./cmd/ssr-learn
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/ssr-learn

# gpu-check builds the GPU check into bin/gpu (no CUDA needed here: the cuda backend loads the driver and
# NVRTC at run time): copy bin/gpu to a machine with an NVIDIA GPU and run bin/gpu/gpu-check.sh there. With
# GPU_JOB=JOB GPU_DB=FILE it also copies that job's database (copy it while no job writes it), and the check
# trains the job with 'ssr train' on both backends and compares the checkpoints.
gpu-check:
	@mkdir -p $(BIN)/gpu
	CGO_ENABLED=0 $(GO) test -c -tags cuda -o $(BIN)/gpu/kernels.test ./kernels
	CGO_ENABLED=0 $(GO) test -c -tags ssr_cuda -o $(BIN)/gpu/policy.test ./policy
	CGO_ENABLED=0 $(GO) build -tags ssr_cuda -ldflags '-s -w' -o $(BIN)/gpu/ssr ./cmd/ssr
	cp kernels/testdata/gpu-check.sh kernels/testdata/compare_checkpoints.py $(BIN)/gpu/
	rm -f $(BIN)/gpu/jobs.db $(BIN)/gpu/job.txt
	@if [ -n "$(GPU_JOB)" ]; then \
		[ -n "$(GPU_DB)" ] || { echo "gpu-check: GPU_JOB=$(GPU_JOB) needs GPU_DB=FILE, the job's database (ssr's default is jobs.db in its cache directory)"; exit 1; }; \
		echo "cp $(GPU_DB) $(BIN)/gpu/jobs.db"; cp "$(GPU_DB)" $(BIN)/gpu/jobs.db && echo "$(GPU_JOB)" > $(BIN)/gpu/job.txt; \
	fi

clean:
	rm -rf $(BIN)
