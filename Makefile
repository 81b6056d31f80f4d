# clusterd — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
NODE  ?= node
NPM   ?= npm
TSC   := node_modules/.bin/tsc
ESLINT := node_modules/.bin/eslint

# Test files are discovered, so adding a test never means editing this file.
TEST_FILES = $(shell find dist/test -name '*.test.js' 2>/dev/null | sort)
TEST_CONCURRENCY ?= 2
# A hung test fails instead of blocking CI: no single test file may take longer than this (the runner applies it to
# each file). test/e2e/local.test.ts takes a 3+2 cluster of real binaries through scaling, an upgrade and deletion:
# about 5 minutes on 2 cores, more on a loaded machine.
TEST_TIMEOUT_MS ?= 600000

# The real Kubernetes binaries, compiled from Go modules by tools/kube/build.sh into a cache outside git
# (lib/kube-binaries.ts reads the same place). The tests run the first version's kubectl, etcd, kube-apiserver and
# kube-controller-manager; the second is the upgrade source.
KUBE_VERSIONS ?= v1.37.2 v1.36.3
export KUBE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/clusterd/kube
KUBE_BIN := $(KUBE_CACHE)/$(firstword $(KUBE_VERSIONS))/bin
TEST_ENV = PATH="$(KUBE_BIN):$$PATH"

.PHONY: all deps build lint typecheck test test-only test-chaos run bench generate clean kube

all: build

node_modules/.installed: package.json package-lock.json
	@# Native modules (better-sqlite3) compile from source: nothing downloads a prebuilt binary.
	npm_config_build_from_source=true $(NPM) ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

build: deps
	$(TSC) -p tsconfig.json

typecheck: deps
	$(TSC) -p tsconfig.json --noEmit

lint: deps
	$(ESLINT) --max-warnings=0 .

# crds/ is generated from the TypeScript API types in api/: one source of truth.
generate: build
	$(NODE) dist/api/generate-crds.js crds

# Builds what is missing (a few seconds when the cache is warm; see tools/kube/build.sh).
kube:
	@for v in $(KUBE_VERSIONS); do tools/kube/build.sh $$v || exit 1; done

test: lint build kube
	$(TEST_ENV) $(NODE) --test --test-reporter=spec --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=$(TEST_TIMEOUT_MS) $(TEST_FILES)

# Run the tests without lint, for a quick loop while developing.
test-only: build kube
	$(TEST_ENV) $(NODE) --test --test-reporter=spec --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=$(TEST_TIMEOUT_MS) $(TEST_FILES)

# Scenario 6 alone (the daemon SIGKILLed at random moments during the lifecycle; also part of `make test`).
# E2E_SEED=N replays a run's kill moments; E2E_DAEMON_LOG=FILE keeps every daemon's output.
test-chaos: build kube
	$(TEST_ENV) $(NODE) --test --test-reporter=spec --test-timeout=$(TEST_TIMEOUT_MS) dist/test/e2e/crash.test.js

# The embedded default: own API server, in-memory provider, kubeconfig in .clusterd/kubeconfig.
run: build
	@command -v kubectl >/dev/null 2>&1 || { [ -x "$(KUBE_BIN)/kubectl" ] && echo "kubectl: $(KUBE_BIN)/kubectl (built by make kube; put that folder on your PATH)" || echo "kubectl: none on PATH; \`make kube\` builds the real one into $(KUBE_BIN) (or install any kubectl 1.35-1.37)"; }
	$(NODE) dist/cmd/clusterd.js run $(ARGS)

bench: build
	$(NODE) dist/bench/run.js $(ARGS)

clean:
	rm -rf dist .build
