#!/usr/bin/env bash
# Installs everything (scripts/setup.sh) and serves RecPilot (chat page, HTTP API, MCP) on the
# bundled demo catalog. The demo's trained ranker and distilled parser ship with the repository
# (recpilot/data/models/demo/, built by scripts/build_demo_models.py), so nothing is trained here.
# A learned part that applies to neither (another catalog, or demo data that changed since) is
# trained once first (minutes on 2 cores). RECPILOT_DEMO_TRAIN=0 never trains;
# RECPILOT_DEMO_TRAIN=always retrains both into RECPILOT_HOME, where they take precedence.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
train=${RECPILOT_DEMO_TRAIN:-1}
if [ "$train" != "0" ]; then
  status=$(.venv/bin/recpilot train status --json | tail -n 1)
  # a failed training run is reported and the demo still starts: the agent works without them
  if [ "$train" = "always" ] || ! grep -q '"active": "' <<<"$status"; then
    .venv/bin/recpilot train ranker --model slim || echo "demo: ranker training failed; serving without it" >&2
  fi
  if [ "$train" = "always" ] || ! grep -q '"trained": true' <<<"$status"; then
    .venv/bin/recpilot train parser || echo "demo: parser training failed; serving without it" >&2
  fi
fi
exec .venv/bin/recpilot serve "$@"
