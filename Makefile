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

## bench: benchmarks, six runs each, for benchstat
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.txt
	@echo "compare runs with: benchstat bench.txt"

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
