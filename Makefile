# The two commands the README promises: `make serve` and `make test`.
# The interpreter the venv is made from: the first Python >= 3.11 that can make a venv, the
# distribution's own first. Debian's /usr/bin/python3.11 is built with PGO and LTO and linked
# statically: a never-repeated query costs ~10% less CPU on it than on a plain source build
# such as pyenv's (bench/README.md). `make PYTHON=/path/to/python3 ...` chooses another.
PYTHON ?= $(shell for p in /usr/bin/python3.11 python3.11 python3; do \
	  command -v $$p >/dev/null 2>&1 && \
	  $$p -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && \
	  { command -v $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
# CLAIMGRAPH_HOST / CLAIMGRAPH_PORT work with make serve too (make's own HOST= / PORT= win).
HOST   ?= $(or $(CLAIMGRAPH_HOST),127.0.0.1)
PORT   ?= $(or $(CLAIMGRAPH_PORT),8000)

.PHONY: setup build serve test bench soak fuzz fuzz-gate clean screenshots w3c

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "no Python >= 3.11 that can make a venv: install python3.11 and" \
	  "python3.11-venv (Debian), or name one with make PYTHON=..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Re-install only when the project definition changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The pages' browser assets (YASGUI, Swagger UI, axe-core, cytoscape): pinned npm tarballs,
# integrity-checked, copied under web/static/vendor/ (claimgraph/web/vendor.py); never a CDN at run time.
setup: $(VENV)/.installed
	$(BIN)/python -m claimgraph.web.vendor

build: setup
	$(BIN)/claimgraph build

serve: build
	$(BIN)/claimgraph serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q

# The W3C SPARQL 1.1 suites over HTTP: claimgraph, oxigraph serve and the engine in-process, one run.
w3c: setup
	cd tests && ../$(BIN)/python -m support.w3c.run

$(VENV)/.bench: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

# wrk is Debian's HTTP load generator (httpx saturates near 500 req/s here).
bench: $(VENV)/.bench build
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	ldconfig -p | grep -q libmimalloc || (apt-get update -qq && apt-get install -y -qq libmimalloc2.0)
	$(BIN)/python bench/run.py

# The OpenAPI document against the live service at length (tests/test_openapi_conformance.py runs 10
# examples per operation in CI).
fuzz: setup
	CLAIMGRAPH_ST_EXAMPLES=300 $(BIN)/python -m pytest -q tests/test_openapi_conformance.py
	CLAIMGRAPH_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q tests/test_differential_paths.py

# 20 minutes of coverage-guided fuzzing of the query gate (atheris); tests/test_fuzz_gate.py runs 45 s.
fuzz-gate: setup
	mkdir -p bench/out/fuzz-gate
	cd bench/out/fuzz-gate && $(abspath $(BIN))/python $(abspath bench/fuzz_query_gate.py) -max_total_time=1200 -timeout=10 \
	  -max_len=4096 -rss_limit_mb=2048 corpus

# 8 clients for 30 minutes of mixed traffic (bench/soak.py); tests/test_soak.py runs 25 s of it.
soak: build
	mkdir -p bench/out
	$(BIN)/python bench/soak.py --store var/store --minutes 30 --token soak-$$$$ --json bench/out/soak.json

# A PNG of each page kind into docs/screenshots/ (Debian's chromium, headless, through Playwright).
screenshots: build
	$(BIN)/python -m claimgraph.web.screenshots docs/screenshots

clean:
	rm -rf $(VENV) var .pytest_cache
