#!/usr/bin/env bash
# The wheel in dist/ as a user gets it: a fresh venv with the runtime dependencies only runs
# `lyhord demo` (Excel and figures left out, with a note), then with [excel,plot] the whole
# demo; and tests/python/test_wheel.py checks the wheel's files and metadata. Run by
# .github/workflows/wheels.yml on each platform whose wheel the runner can load; locally:
# PYTHON=python3 .github/smoke.sh
set -euo pipefail
work=$(mktemp -d)
"${PYTHON:-python}" -m venv "$work/smoke"
# bin/ on Linux and macOS, Scripts/ on Windows
if [ -d "$work/smoke/Scripts" ]; then bin="$work/smoke/Scripts"; else bin="$work/smoke/bin"; fi
wheel=$(ls dist/lyhord-*.whl)
"$bin/python" -m pip install "$wheel"
"$bin/lyhord" --version
"$bin/lyhord" demo --out "$work/demo-runtime" | tee "$work/demo-runtime.txt"
grep -q 'pip install "lyhord\[excel,plot\]"' "$work/demo-runtime.txt"
"$bin/python" -m pip install "${wheel}[excel,plot]" pytest
"$bin/lyhord" demo --out "$work/demo-full"
ls "$work/demo-full"/hme_rapport_*.xlsx "$work/demo-full"/hme_heatmap_*.png
"$bin/python" -m pytest -q -p no:cacheprovider tests/python/test_wheel.py
