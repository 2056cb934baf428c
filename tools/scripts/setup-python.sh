#!/usr/bin/env bash
# Optional: a Python venv (.venv at the repo root) with torch, transformers, tokenizers and safetensors, used by the
# parity tests (our logits/tokens/scores against Hugging Face) and by the PyTorch reference in bench/.
# Installs from the configured pip index (this machine image carries the wheels; no network needed).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
# Prefer a local index when the machine has one (avoids slow retries against an unreachable PyPI).
args=()
for d in /opt/pypi/simple /opt/pypi-more/simple; do
  if [ -d "$d" ]; then
    if [ ${#args[@]} -eq 0 ]; then args+=(--index-url "file://$d"); else args+=(--extra-index-url "file://$d"); fi
  fi
done
.venv/bin/pip install -q --disable-pip-version-check "${args[@]}" \
  'torch==2.13.0+cpu' transformers tokenizers safetensors numpy scipy statsmodels pandas
.venv/bin/python -c "import torch, transformers, tokenizers, safetensors; print('python parity env:', torch.__version__, transformers.__version__)"
