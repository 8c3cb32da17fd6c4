# Two entry points for a newcomer (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: install demo test lint bench
install: $(VENV)/.installed

demo: install
	$(VENV)/bin/silta run --demo

test: install
	$(VENV)/bin/python -m pytest

lint: install
	$(VENV)/bin/ruff check contracts adapters services deploy tests bench
	$(VENV)/bin/mypy contracts adapters services deploy

bench: install
	$(VENV)/bin/python -m bench
