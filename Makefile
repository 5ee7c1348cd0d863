# Two commands matter: `make run` and `make test` (see README.md).
# Both install what they need first; an unchanged install is skipped.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
BENCH_INSTALLED := $(VENV)/.installed-bench

.PHONY: install run test test-fast lint format fuzz bench check-deploy reliability-report clean

install: $(INSTALLED)
	@scripts/install-system-packages

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(INSTALLED)

run: install
	scripts/run-local

test: install
	@scripts/install-system-packages test
	scripts/ensure-services
	scripts/test

# The inner loop: everything not marked slow, so no Celery worker, gunicorn, ffmpeg run or chromium.
test-fast: install
	scripts/ensure-services
	scripts/test -m "not slow"

$(BENCH_INSTALLED): $(INSTALLED)
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,bench]"
	touch $(BENCH_INSTALLED)

# Not part of `make test`: about 10 minutes of media, API load and a 2 GiB upload, each against
# a baseline in the same run (bench/README.md). BENCH_ARGS="--only api" runs one part.
bench: install $(BENCH_INSTALLED)
	scripts/ensure-services
	$(PY) -m bench.run $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: install
	DJANGO_SECRET_KEY=$$(openssl rand -hex 32) DJANGO_ALLOWED_HOSTS=review.example.com DJANGO_HTTPS=True \
		REDIS_URL=redis://127.0.0.1:6379/1 $(PY) manage.py check --deploy --fail-level WARNING

# The schema fuzzing of `make test`, with many more examples per operation and role (a few minutes).
fuzz: install
	scripts/ensure-services
	REVIEWSVC_FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} scripts/test tests/test_fuzz.py

# Runs the reliability tests and rewrites docs/reliability.md from what they measured.
reliability-report: install
	scripts/ensure-services
	scripts/reliability-report

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
