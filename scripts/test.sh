#!/usr/bin/env bash
# The whole test suite with lint and type checks: the README's second Quick start command,
# and what .ci/run calls. Installs into .venv (created if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# Two processes (pytest-xdist): each test has its own database either way. --dist loadgroup keeps
# the tests of a module-scoped fixture, and the browser tests, in one process (tests/conftest.py).
# Arguments come after, so `bash scripts/test.sh -n 0` runs everything in one process.
.venv/bin/pytest -n 2 --dist loadgroup "$@"
