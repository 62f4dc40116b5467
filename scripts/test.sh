#!/usr/bin/env bash
# Install everything (as scripts/install.sh --test) and run the whole test suite:
# lint, the corpus check and pytest. What .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export OPENBLAS_NUM_THREADS=1
.venv/bin/ruff check .
.venv/bin/ddh knowledge check
.venv/bin/python -m pytest -q "$@"
