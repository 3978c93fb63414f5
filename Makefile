# Two commands do all the set-up on a fresh clone (Python 3.11+ and make):
#   make run    start the service on 127.0.0.1:8000 (embedded shape, nothing else needed)
#   make test   run the whole test suite
# Each creates .venv and installs the pinned dependencies on first use. Optionally:
#   make demo   fill the database with a demo company and data in every app (see README)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

WEB    := src/backlot/web
WEB_STAMP := $(WEB)/node_modules/.installed

.PHONY: run demo test screenshots lint format lock check-lock bench clean

$(STAMP): pyproject.toml requirements/dev.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The pages' browser libraries (socket.io-client, blockly, swagger-ui-dist, redoc) come from npm, pinned by package-lock.json.
$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error && touch $(WEB_STAMP); \
	else echo "npm not found: the web pages will lack their browser libraries"; fi

run: $(STAMP) $(WEB_STAMP)
	$(BIN)/backlot serve

demo: $(STAMP)
	$(BIN)/backlot demo

# The suite runs in TEST_WORKERS processes (pytest-xdist): most of its time is spent
# waiting on servers, sockets and browsers; three workers on two cores overlap those waits
# (17 minutes with three, 33 with two, on a 2-core machine with other work on it).
TEST_WORKERS ?= 3

test: $(STAMP) $(WEB_STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=25

# The README's pictures: the demo tour (tests/web/test_tour.py) keeps its screenshots.
screenshots: $(STAMP) $(WEB_STAMP)
	BACKLOT_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/web/test_tour.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# After changing dependencies in pyproject.toml: refresh uv.lock and the pip pins from it.
lock: $(STAMP)
	$(BIN)/uv lock
	$(BIN)/uv export --frozen --extra dev --no-hashes --no-emit-project -o requirements/dev.txt
	$(BIN)/uv export --frozen --no-hashes --no-emit-project -o requirements/base.txt

check-lock: $(STAMP)
	$(BIN)/uv lock --check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(WEB)/node_modules

# Every benchmark in bench/ (each against a baseline measured in the same run, with
# --json), then the report: docs/benchmarks.md and its plots in docs/benchmarks/.
# Needs a local PostgreSQL, Redis and Debian's nginx. One alone: python -m bench.NAME.
bench: $(STAMP)
	PYTHONPATH=src $(BIN)/python -m bench.report
