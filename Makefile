# Developer targets. CI runs .ci/run, which runs the same test command.
GO ?= go

.PHONY: test lint bench fuzz run deadcode

# Linters, pinned so that everyone and CI get the same findings. `go run
# pkg@version` builds them in the Go cache: nothing to install, nothing added
# to go.mod.
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
DEADCODE = golang.org/x/tools/cmd/deadcode@v0.52.0

# The modules of the root go.work. bench/ has a go.work of its own.
MODULES = . contrib/prometheus example

## test: the README's test command: every workspace module under the race detector, the browser test included
test:
	$(GO) test -race -count=1 ./... ./contrib/prometheus/... ./example/...

## lint: formatting, vet and staticcheck, of every workspace module
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	@set -e; for module in $(MODULES); do \
		echo "vet and staticcheck: $$module"; \
		(cd $$module && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...); \
	done

## deadcode: functions that no test, fuzz target or command reaches. Expected
## in its list: Example functions without an Output comment, which go test
## compiles but does not run. Anything else is code to delete or to test.
deadcode:
	$(GO) run $(DEADCODE) -test ./...

## bench: the suite against bare Gin and the peers (bench/), as ROUNDS interleaved rounds; prints BENCHMARKS.md's tables
ROUNDS ?= 20
BENCHTIME ?= 500ms
bench:
	cd bench && $(GO) run ./cmd/benchrounds -rounds $(ROUNDS) -benchtime $(BENCHTIME)

## fuzz: each fuzz target for FUZZTIME (default 10m), one after the other (FUZZFLAGS='-parallel 1' on a shared machine)
FUZZTIME ?= 10m
FUZZFLAGS ?=
# One target:package per line.
FUZZ_TARGETS = \
	FuzzCookieValue:./manager \
	FuzzIsValidID:./manager \
	FuzzTokenHeader:./manager \
	FuzzContribCarrier:. \
	FuzzVerifiedCookies:. \
	FuzzDecodeRecord:./store/redisstore \
	FuzzOpenMemory:./store
fuzz:
	@set -e; for target in $(FUZZ_TARGETS); do \
		echo "fuzz: $${target%%:*} in $${target#*:} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${target%%:*}\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $${target#*:}; \
	done

## run: the example app on http://localhost:8080
run:
	$(GO) run ./example
