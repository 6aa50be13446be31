#!/usr/bin/env bash
# Serves RecPilot's chat page (and the HTTP API and MCP) on the "movies" catalog: ReDial's movie
# list joined with MovieLens (genres, tags, ratings), built from files on this machine.
#
# Usage: scripts/demo-movies.sh MOVIELENS_DIR [REDIAL_MOVIES_CSV] [serve options...]
#   MOVIELENS_DIR      an unpacked ml-latest-small (movies.csv, ratings.csv, tags.csv), from
#                      https://grouplens.org/datasets/movielens/latest/ (research use only)
#   REDIAL_MOVIES_CSV  ReDial's movies_with_mentions.csv (default: ../shared/data/redial/)
# The catalog is built once into RECPILOT_HOME (rebuilt only when the files change); a ranker is
# trained on its ratings when the catalog version has none (seconds), and a conversations model on
# ReDial's dialogues (RECPILOT_DEMO_DIALOGUES, default dev.jsonl beside the movie list) when
# that file is there. RECPILOT_DEMO_TRAIN=0 never trains.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
movielens=$1
shift
movies=../shared/data/redial/movies_with_mentions.csv
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then  # a second argument that is not an option: the ReDial list
  movies=$1
  shift
fi
scripts/setup.sh
recpilot=(.venv/bin/recpilot --catalog movies)
"${recpilot[@]}" catalog movies --movies "$movies" --movielens "$movielens"
if [ "${RECPILOT_DEMO_TRAIN:-1}" != "0" ] && ! "${recpilot[@]}" train status --json | tail -n 1 | grep -q '"active": "'; then
  # the agent works without it (preference × popularity): a failed run is reported, not fatal
  "${recpilot[@]}" train ranker --model slim || echo "demo: ranker training failed; serving without it" >&2
fi
dialogues=${RECPILOT_DEMO_DIALOGUES:-$(dirname "$movies")/dev.jsonl}
if [ "${RECPILOT_DEMO_TRAIN:-1}" != "0" ] && [ -f "$dialogues" ]; then
  # which films people name together in ReDial's dialogues (seconds); optional like the ranker
  "${recpilot[@]}" train conversations --data "$dialogues" || echo "demo: no conversations model" >&2
fi
exec "${recpilot[@]}" serve "$@"
