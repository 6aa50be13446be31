#!/usr/bin/env bash
# Installs everything (scripts/setup.sh --dev) and runs the linter and the whole test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -m "not model" -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
