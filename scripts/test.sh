#!/usr/bin/env bash
# Install everything (as scripts/install.sh --test) and run the whole test suite:
# lint (ruff; lint-imports for the package layers; pyright for types), the corpus check, pytest, and the
# fast evaluation suites (routing, retrieval, privacy, injection; grounded mode) with
# their thresholds. What .ci/run calls.
# The evaluation report is kept in test-artifacts/eval/ (report.html, .md, .json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export OPENBLAS_NUM_THREADS=1
.venv/bin/ruff check .
.venv/bin/lint-imports
.venv/bin/pyright
.venv/bin/ddh knowledge check
# Three workers, each taking whole files (their module fixtures are set up once): the
# voice tests wait on real-time audio most of the time, so three share two cores; with
# four, the browser tests of several agents and citizens starved the real-time calls.
.venv/bin/python -m pytest -q -n "${DDH_TEST_WORKERS:-3}" --dist loadfile "$@"
# Without files, `ddh eval run` runs the fast suites: all but voice (cli/evals.py FAST_SUITES).
.venv/bin/ddh eval run --mode grounded --report test-artifacts/eval
