#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and serves RecPilot (chat page, HTTP API, MCP) on the bundled demo catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/recpilot serve "$@"
