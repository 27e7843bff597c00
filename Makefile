# lyhord — `make demo`, `make test`, `make wheel`, `make bench`, `make lint`.
# Everything is installed from the project's own files into .venv; the Rust toolchain comes
# from rustup, installed by .ci/install_rust.sh when cargo is missing.

SHELL := /bin/bash
VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
SYSTEM_PYTHON ?= python3
# rustup installs cargo into ~/.cargo/bin; appended, so a cargo already on PATH wins.
export PATH := $(PATH):$(HOME)/.cargo/bin
CARGO ?= cargo
# One environment for every cargo call, so the extension build and the Rust tests share
# their compiled dependencies (polars is built once), and `make wheel` and `make bench`
# share theirs (one release build).
export PYO3_PYTHON := $(PY)
export PYO3_BUILD_EXTENSION_MODULE := 1
export VIRTUAL_ENV := $(VENV)
EXT := python/lyhord/_lyhord.abi3.so
RUST_SOURCES := $(shell find src -type f) Cargo.toml build.rs

# The venv in steps, each a stamp file:
#   .created  the venv itself, with a current pip
#   .maturin  + maturin only (pyproject's build-system requires): all `make wheel` needs
#   .runtime  + lyhord's runtime dependencies and the extras the demo uses (excel, plot), the
#             source tree made importable and the `lyhord` command (.ci/dev_install.py)
#   .dev      + the dev extra (tests, notebooks, lint, benchmarks)
CREATED := $(VENV)/.created
MATURIN := $(VENV)/.maturin
RUNTIME := $(VENV)/.runtime
DEV := $(VENV)/.dev
PIP := $(PY) -m pip install --quiet

.PHONY: setup setup-runtime rust rust-lint build browser r-reference screenshot demo test test-rust test-python \
	wheel bench lint typecheck stubtest docs check test-polars-lowest fmt clean

setup: $(DEV)
setup-runtime: $(RUNTIME)

$(CREATED):
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	touch $@

$(MATURIN): pyproject.toml .ci/deps.py | $(CREATED)
	$(PIP) $$($(PY) .ci/deps.py --build-system)
	touch $@

$(RUNTIME): pyproject.toml .ci/deps.py .ci/dev_install.py | $(CREATED)
	$(PIP) $$($(PY) .ci/deps.py excel plot)
	$(PY) .ci/dev_install.py
	touch $@

$(DEV): pyproject.toml .ci/deps.py $(RUNTIME)
	$(PIP) $$($(PY) .ci/deps.py dev)
	touch $@

# cargo, and a C linker for it (installed when missing; see the script).
rust:
	@command -v $(CARGO) >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 || .ci/install_rust.sh

# rustup's minimal profile has no rustfmt or clippy: added when missing (through rustup).
rust-lint: rust
	@$(CARGO) fmt --version >/dev/null 2>&1 && $(CARGO) clippy --version >/dev/null 2>&1 || \
	  rustup component add rustfmt clippy

# The extension module: a dev-profile cdylib copied next to the Python sources (the venv
# sees python/ through a .pth file written by .ci/dev_install.py).
build: $(RUNTIME) $(EXT)

# Same features and environment as `test-rust` (dev-dependencies are chosen so they change
# no feature of a crate polars shares; see Cargo.toml), so polars is compiled once.
$(EXT): $(RUST_SOURCES) | rust $(CREATED)
	$(CARGO) build --features python --lib --message-format=short
	cp target/debug/liblyhord.so $(EXT)

demo: build
	$(VENV)/bin/lyhord demo --out lyhord-demo

test: $(DEV) build test-rust test-python

# The library's own unit tests (src/) find libpython through LD_LIBRARY_PATH (build.rs).
test-rust: build
	LD_LIBRARY_PATH=$$($(PY) -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))') \
	  $(CARGO) test --features python --message-format=short

# Headless chromium renders the report pages in the tests (Debian's package, installed
# here when missing and the machine lets us: as root or with sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "chromium is missing and cannot be installed here: the page tests will skip"; exit 0; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# R with survey, psych, GPArotation, lavaan, sandwich and clubSandwich, for the differential
# tests against R (Debian's packages, installed here when missing and the machine lets us;
# otherwise those tests skip).
R_PACKAGES := r-base-core r-cran-survey r-cran-psych r-cran-gparotation r-cran-lavaan \
	r-cran-sandwich r-cran-clubsandwich
r-reference:
	@Rscript -e 'library(survey); library(psych); library(GPArotation); library(lavaan); library(sandwich); library(clubSandwich)' >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "R is missing and cannot be installed here: the R differential tests will skip"; exit 0; fi; \
	  command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: the R differential tests will skip"; exit 0; }; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends $(R_PACKAGES) >/dev/null; }

# The README's picture of a manager page, rendered by headless chromium from the demo.
SCREENSHOT_PAGE := lyhord-demo/sidor/1-socialförvaltningen.html
screenshot: build browser
	$(VENV)/bin/lyhord demo --out lyhord-demo >/dev/null
	mkdir -p docs/img
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1500 \
	  --screenshot=docs/img/chefssida.png "file://$(CURDIR)/$(SCREENSHOT_PAGE)" 2>/dev/null

test-python: $(DEV) build browser r-reference
	$(PY) -m pytest -q

# The abi3 wheel users install (one per platform, any CPython >= 3.10), release profile,
# into dist/: 15-25 minutes on 2 cores the first time, seconds when nothing changed (cargo
# decides). Needs only maturin and the Rust toolchain.
wheel: $(MATURIN) | rust
	rm -f dist/lyhord-*.whl
	$(VENV)/bin/maturin build --release --out dist --interpreter $(PY)

# The side-by-side benchmarks, on the extension module of the wheel (the same release
# build, so `make wheel` after `make bench` or the other way round compiles nothing).
bench: $(DEV) wheel
	rm -rf target/bench-ext
	$(PY) -m zipfile -e $$(ls dist/lyhord-*.whl) target/bench-ext
	$(PY) bench/run.py --ext target/bench-ext/lyhord/_lyhord.abi3.so
	$(PY) bench/scaling.py --ext target/bench-ext/lyhord/_lyhord.abi3.so

lint: $(DEV) rust-lint
	$(CARGO) fmt --check
	$(CARGO) clippy --features python --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests bench notebooks .ci
	$(VENV)/bin/ruff format --check python tests bench notebooks .ci

# The Python package's types (mypy), and the hand-written stub of the extension module
# checked against the built module, so the two cannot drift apart.
typecheck: $(DEV) build
	$(PY) -m mypy python/lyhord

stubtest: $(DEV) build
	$(PY) -m mypy.stubtest lyhord._lyhord --allowlist .ci/stubtest-allowlist.txt

# The documentation site: API pages from the docstrings, the notebooks executed, methods and
# the privacy guarantee. Warnings are errors.
docs: $(DEV) build
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs/_build/html/index.html"

# The Python suite again under the lowest polars pyproject allows (the venv has the newest):
# installed beside the venv and put first on the path, so nothing else changes.
POLARS_LOWEST_DIR := target/polars-lowest
test-polars-lowest: $(DEV) build
	rm -rf $(POLARS_LOWEST_DIR)
	$(PY) -m pip install --quiet --target $(POLARS_LOWEST_DIR) \
	  "polars==$$($(PY) -c 'from lyhord._compat import POLARS_RANGE as r; print("%d.%d.0" % r[0])')"
	PYTHONPATH=$(POLARS_LOWEST_DIR) $(PY) -m pytest -q -p no:cacheprovider \
	  --ignore tests/python/test_notebooks.py

# What CI runs after `make test`: nothing here compiles the extension again.
check: lint typecheck stubtest docs

fmt: $(DEV) rust-lint
	$(CARGO) fmt
	$(VENV)/bin/ruff format python tests bench notebooks .ci
	$(VENV)/bin/ruff check --fix python tests bench notebooks .ci

clean:
	rm -rf target $(VENV) $(EXT) lyhord-demo dist docs/_build docs/notebooks docs/api/generated
