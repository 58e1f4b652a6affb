# Two commands on a fresh machine:
#   make demo   installs everything (CPU) and runs the extraction on examples/ with the embedded model
#   make test   installs everything plus the test services (Dovecot, Chromium) and runs the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Extra pip options, e.g. PIP_OPTS="--extra-index-url https://download.pytorch.org/whl/cpu" where
# torch==2.13.0+cpu is not already reachable.
PIP_OPTS ?=
PYTEST_ARGS ?=

.PHONY: install demo test test-deps default-model lint clean
# The demo's setup: the token method (a KIND-trained adapter on the embedded model) + the recognizers,
# the best CPU combination on the e-mail gold set (README "Evaluation and training").
DEMO_ARGS := --adapter kind=examples/adapters/kind-tokens

$(VENV)/.installed: pyproject.toml scripts/install.sh
	VENV=$(VENV) PYTHON=$(PYTHON) PIP_OPTS="$(PIP_OPTS)" bash scripts/install.sh
	touch $@

install: $(VENV)/.installed

default-model: install
	$(PY) -m extractor.default_model

demo: default-model
	$(VENV)/bin/extract-entities examples/italian.mbox $(DEMO_ARGS) -o out/demo.jsonl --restart
	@echo "--- out/demo.jsonl (one record per message) ---"
	@cat out/demo.jsonl

test-deps: install
	bash scripts/install-test-deps.sh

test: test-deps default-model
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check extractor schemas training tests benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
