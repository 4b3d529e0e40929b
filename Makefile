# spotsyncd — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
# Tests run this many at a time (pytest-xdist): most of the suite waits on real daemons, servers
# and sockets, so three share two cores well. TEST_WORKERS=0 runs them one by one.
TEST_WORKERS ?= 3
# The unit tests keep the cores busy themselves: one worker per core.
FAST_WORKERS ?= 2

.PHONY: run test test-fast lint docs bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(STAMP)

# make exits 2 whenever spotsyncd fails; its "Error N" line shows spotsyncd's own code (3: another
# spotsyncd runs on this state dir; see docs/reference/scripting.md). Scripts and service managers
# that need the code run .venv/bin/spotsyncd directly.
run: $(STAMP)
	$(BIN)/spotsyncd run

lint: $(TSTAMP)
	$(BIN)/ruff check spotsyncd tests bench
	$(BIN)/ruff format --check spotsyncd tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile
	@# The docs site, strict (broken links, anchors, pages left out of the nav), into a temp folder.
	@# (not --quiet: it hides the warnings that --strict counts, and the build passes)
	d=$$(mktemp -d) && NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir "$$d"; \
	  rc=$$?; rm -rf "$$d"; exit $$rc

# The documentation site (MkDocs, Material theme) into site/; open site/index.html.
docs: $(TSTAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

test: $(TSTAMP) lint
	$(BIN)/python -m pytest -q -rs -p no:randomly -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The unit tests only (tests/support/kinds.py: in-process, no daemon, browser or database of
# their own, under about a second each), in parallel and without lint: about a minute.
# `make test` runs them too, with the end-to-end ones (`pytest -m "not unit"`) and lint.
test-fast: $(TSTAMP)
	$(BIN)/python -m pytest -q -rs -p no:randomly -n $(FAST_WORKERS) --dist worksteal -m unit $(PYTEST_ARGS)

bench: $(TSTAMP)
	$(BIN)/python -m bench

bench-quick: $(TSTAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) build site *.egg-info
