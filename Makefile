# Developer targets. CI runs .ci/run, which runs the same test command.
GO ?= go

.PHONY: test lint bench fuzz run

## test: the test suite under the race detector (the README's test command)
test:
	$(GO) test -race -count=1 ./...

## lint: formatting and vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

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
	FuzzContribCarrier:. \
	FuzzDecodeRecord:./store/redisstore
fuzz:
	@set -e; for target in $(FUZZ_TARGETS); do \
		echo "fuzz: $${target%%:*} in $${target#*:} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${target%%:*}\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $${target#*:}; \
	done

## run: the example app on http://localhost:8080
run:
	$(GO) run ./example
