#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and starts RecPilot on the bundled demo catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/recpilot chat "$@"
