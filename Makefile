# Two commands are all a newcomer needs: `make run` and `make test`.
# Everything they depend on (npm packages, generated data) is made here.

GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

COMMON_PASSWORDS := internal/auth/common_passwords.txt.gz

.PHONY: all build run test test-skips check fuzz assets bench screenshots clean

all: build

# npm packages (data and front-end assets), exactly as the lock file pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(COMMON_PASSWORDS): node_modules/.installed internal/auth/gencommon/main.go
	$(GO) run ./internal/auth/gencommon node_modules/@zxcvbn-ts/language-common/src/passwords.json $@

# Swagger UI for /docs, copied from the npm package into the embedded folder.
SWAGGER_DIST := internal/apidocs/dist
$(SWAGGER_DIST)/.copied: node_modules/.installed
	mkdir -p $(SWAGGER_DIST)
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
		node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE $(SWAGGER_DIST)/
	touch $@

# htmx for the pages, copied from the npm package into the embedded folder.
HTMX := internal/web/static/vendor/htmx.min.js
$(HTMX): node_modules/.installed
	mkdir -p $(dir $(HTMX))
	cp node_modules/htmx.org/dist/htmx.min.js $@

assets: $(COMMON_PASSWORDS) $(SWAGGER_DIST)/.copied $(HTMX)

build: assets
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/latchkey ./cmd/latchkey

run: build
	./bin/latchkey serve

# check: formatting, vet and staticcheck (pinned in go.mod as a tool).
check: assets
	@unformatted=$$(gofmt -l cmd internal verify examples); if [ -n "$$unformatted" ]; then \
		echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# The HTTP suites run a second time on PostgreSQL (a throwaway cluster from
# the local initdb/postgres; skipped with a message where there is none).
test: check
	$(GO) test -race -timeout 12m ./...
	LATCHKEY_TEST_STORE=postgres $(GO) test -race -timeout 8m ./internal/api/ ./internal/web/ ./internal/outbox/ ./internal/forwardauth/
	@$(MAKE) --no-print-directory test-skips

# test-skips says which groups of tests this machine skips (they pass
# without a word otherwise): the browser tests without Chromium, the
# PostgreSQL tests without its server binaries or LATCHKEY_TEST_DATABASE_URL,
# the README's shell examples without curl and jq, the forward-auth proxy
# tests without nginx or Caddy. The look-ups are the ones
# internal/browsertest, internal/store/pgtest, TestReadmeExamples and
# TestForwardAuthBehindNginx/Caddy make.
test-skips:
	@skipped=""; \
	for b in /usr/bin/chromium chromium chromium-browser google-chrome google-chrome-stable; do \
		command -v $$b >/dev/null 2>&1 && found=1; done; \
	[ -n "$$found" ] || skipped="$$skipped the browser tests (no Chromium);"; \
	{ [ -n "$$LATCHKEY_TEST_DATABASE_URL" ] || { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; } || \
		skipped="$$skipped the PostgreSQL tests (no initdb/postgres);"; \
	{ command -v curl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; } || skipped="$$skipped the README examples (no curl or jq);"; \
	{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || skipped="$$skipped the forward-auth test behind nginx (no nginx);"; \
	command -v caddy >/dev/null 2>&1 || skipped="$$skipped the forward-auth test behind Caddy (no caddy);"; \
	echo "skipped:$${skipped:- nothing}"

# fuzz: every fuzz target for FUZZTIME each, as a smoke test that the
# properties still hold a little past the seed corpus (`go test` alone runs
# only the seeds). go test -fuzz takes one target per invocation, hence
# the list of package:target pairs. For a real hunt, run one target for
# longer: go test -run '^$$' -fuzz '^FuzzDecode$$' ./internal/password/
#
# FUZZTIME is a count of inputs, not a duration: with a duration, Go 1.26's
# fuzzing coordinator can report its own deadline as a failure ("context
# deadline exceeded", no input written; golang/go#75804, fixed in Go 1.27),
# which failed CI once on a loaded machine. 10,000 inputs take 1-5 s each.
FUZZTIME ?= 10000x
FUZZ_TARGETS := \
	internal/auth:FuzzCheckUsername \
	internal/auth:FuzzCheckEmail \
	internal/auth:FuzzCleanHeader \
	internal/auth:FuzzNormalizeIdentifier \
	internal/auth:FuzzPageParams \
	internal/password:FuzzDecode \
	internal/password:FuzzVerify \
	internal/token:FuzzVerify \
	verify:FuzzVerify \
	internal/api:FuzzTokenForm \
	internal/api:FuzzRegister \
	internal/web:FuzzRedirect \
	internal/hosts:FuzzURL
fuzz: assets
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg/; \
	done

# screenshots: the README's pictures, taken by the browser tests.
screenshots: assets
	LATCHKEY_SCREENSHOTS=1 $(GO) test -count=1 -run 'Browser' ./cmd/latchkey/

# bench: the load harness against the real binary (budgets enforced), then
# the Go micro-benchmarks.
bench: assets
	$(GO) run ./cmd/latchkey-bench
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

clean:
	rm -rf bin node_modules $(COMMON_PASSWORDS) $(SWAGGER_DIST) $(dir $(HTMX))
