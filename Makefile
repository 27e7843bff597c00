# lyhord — `make demo`, `make test`, `make bench`, `make lint`.
# Everything is installed from the project's own files into .venv; the Rust toolchain comes
# from rustup (installed here if missing).

SHELL := /bin/bash
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
CARGO ?= $(shell command -v cargo 2>/dev/null || echo $(HOME)/.cargo/bin/cargo)
# One environment for every cargo call, so the extension build and the Rust tests share
# their compiled dependencies (polars is built once).
export PYO3_PYTHON := $(PY)
export PYO3_BUILD_EXTENSION_MODULE := 1
export VIRTUAL_ENV := $(VENV)
EXT := python/lyhord/_lyhord.abi3.so
RUST_SOURCES := $(shell find src -type f) Cargo.toml build.rs

.PHONY: setup build browser screenshot demo test test-rust test-python test-polars-lowest bench lint typecheck stubtest docs check fmt clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $$($(PY) .ci/deps.py dev)
	$(PY) .ci/dev_install.py
	touch $@

# The extension module: a dev-profile cdylib copied next to the Python sources (the venv
# sees python/ through a .pth file written by .ci/dev_install.py).
build: setup $(EXT)

# Same features and environment as `test-rust` (dev-dependencies are chosen so they change
# no feature of a crate polars shares; see Cargo.toml), so polars is compiled once.
$(EXT): $(RUST_SOURCES)
	$(CARGO) build --features python --lib --message-format=short
	cp target/debug/liblyhord.so $(EXT)

demo: build
	$(VENV)/bin/lyhord demo --out lyhord-demo

test: build test-rust test-python

test-rust: build
	$(CARGO) test --features python --message-format=short

# Headless chromium renders the report pages in the tests (Debian's package, installed
# here when missing and the machine lets us: as root or with sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "chromium is missing and cannot be installed here: the page tests will skip"; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The README's picture of a manager page, rendered by headless chromium from the demo.
SCREENSHOT_PAGE := lyhord-demo/sidor/1-socialförvaltningen.html
screenshot: build browser
	$(VENV)/bin/lyhord demo --out lyhord-demo >/dev/null
	mkdir -p docs/img
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1500 \
	  --screenshot=docs/img/chefssida.png "file://$(CURDIR)/$(SCREENSHOT_PAGE)" 2>/dev/null

test-python: build browser
	$(PY) -m pytest -q

# Release build (about 10 minutes on 2 cores) + the side-by-side benchmarks.
bench: setup
	$(CARGO) build --release --features python --lib
	mkdir -p target/bench-ext && cp target/release/liblyhord.so target/bench-ext/_lyhord.abi3.so
	$(PY) bench/run.py --ext target/bench-ext/_lyhord.abi3.so

lint: setup
	$(CARGO) fmt --check
	$(CARGO) clippy --features python --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests bench notebooks .ci
	$(VENV)/bin/ruff format --check python tests bench notebooks .ci

# The Python package's types (mypy), and the hand-written stub of the extension module
# checked against the built module, so the two cannot drift apart.
typecheck: build
	$(PY) -m mypy python/lyhord

stubtest: build
	$(PY) -m mypy.stubtest lyhord._lyhord --allowlist .ci/stubtest-allowlist.txt

# The documentation site: API pages from the docstrings, the notebooks executed, methods and
# the privacy guarantee. Warnings are errors.
docs: build
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs/_build/html/index.html"

# The Python suite again under the lowest polars pyproject allows (the venv has the newest):
# installed beside the venv and put first on the path, so nothing else changes.
POLARS_LOWEST_DIR := target/polars-lowest
test-polars-lowest: build
	rm -rf $(POLARS_LOWEST_DIR)
	$(PY) -m pip install --quiet --target $(POLARS_LOWEST_DIR) \
	  "polars==$$($(PY) -c 'from lyhord._compat import POLARS_RANGE as r; print("%d.%d.0" % r[0])')"
	PYTHONPATH=$(POLARS_LOWEST_DIR) $(PY) -m pytest -q -p no:cacheprovider \
	  --ignore tests/python/test_notebooks.py

# What CI runs after `make test`: nothing here compiles the extension again.
check: lint typecheck stubtest docs

fmt: setup
	$(CARGO) fmt
	$(VENV)/bin/ruff format python tests bench notebooks .ci
	$(VENV)/bin/ruff check --fix python tests bench notebooks .ci

clean:
	rm -rf target $(VENV) $(EXT) lyhord-demo
