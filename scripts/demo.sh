#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), trains the learned parts once if they are missing (about
# two minutes on 2 cores; RECPILOT_DEMO_TRAIN=0 skips it), and serves RecPilot (chat page, HTTP
# API, MCP) on the bundled demo catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${RECPILOT_DEMO_TRAIN:-1}" != "0" ]; then
  status=$(.venv/bin/recpilot train status --json | tail -n 1)
  # a failed training run is reported and the demo still starts: the agent works without them
  if ! grep -q '"active": "' <<<"$status"; then
    .venv/bin/recpilot train ranker --model slim || echo "demo: ranker training failed; serving without it" >&2
  fi
  if ! grep -q '"trained": true' <<<"$status"; then
    .venv/bin/recpilot train parser || echo "demo: parser training failed; serving without it" >&2
  fi
fi
exec .venv/bin/recpilot serve "$@"
