#!/usr/bin/env bash
# The wheel in dist/ as a user gets it: a fresh venv with the runtime dependencies only runs
# `lyhord demo` (Excel and figures left out, with a note), then with [excel,plot] the whole
# demo; and tests/python/test_wheel.py checks the wheel's files and metadata. Run by
# .github/workflows/wheels.yml on each platform whose wheel the runner can load.
set -euo pipefail
python -m venv "$RUNNER_TEMP/smoke"
if [ -d "$RUNNER_TEMP/smoke/Scripts" ]; then bin="$RUNNER_TEMP/smoke/Scripts"; else bin="$RUNNER_TEMP/smoke/bin"; fi
wheel=$(ls dist/lyhord-*.whl)
"$bin/python" -m pip install "$wheel"
"$bin/lyhord" --version
"$bin/lyhord" demo --out "$RUNNER_TEMP/demo-runtime" | tee "$RUNNER_TEMP/demo-runtime.txt"
grep -q 'pip install "lyhord\[excel,plot\]"' "$RUNNER_TEMP/demo-runtime.txt"
"$bin/python" -m pip install "${wheel}[excel,plot]" pytest
"$bin/lyhord" demo --out "$RUNNER_TEMP/demo-full"
ls "$RUNNER_TEMP/demo-full"/hme_rapport_*.xlsx "$RUNNER_TEMP/demo-full"/hme_heatmap_*.png
"$bin/python" -m pytest -q -p no:cacheprovider tests/python/test_wheel.py
