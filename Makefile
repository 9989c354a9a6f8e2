# The two commands the README promises: `make serve` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup build serve test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Re-install only when the project definition changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

build: setup
	$(BIN)/claimgraph build

serve: build
	$(BIN)/claimgraph serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q

$(VENV)/.bench: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

# wrk is Debian's HTTP load generator (httpx saturates near 500 req/s here).
bench: $(VENV)/.bench build
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	ldconfig -p | grep -q libmimalloc || (apt-get update -qq && apt-get install -y -qq libmimalloc2.0)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
