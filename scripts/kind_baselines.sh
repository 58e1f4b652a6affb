#!/usr/bin/env bash
# Zero-shot vs few-shot vs tuned entity F1 of the embedded default model on fixed KIND subsets
# (the first N sentences of WN_test and FIC_test; same subset and schema for every row).
# Usage: scripts/kind_baselines.sh [N] [ADAPTER_DIR]      -> runs/*.json, runs/leaderboard.md/.png
set -euo pipefail
N=${1:-100}
ADAPTER=${2:-examples/adapters/kind-default}
BIN=${BIN:-.venv/bin/extract-entities}
mkdir -p runs
for data in WN_test FIC_test; do
  for shots in 0 2; do
    "$BIN" evaluate --model default --schema kind --data "kind:$data" --limit "$N" --shots "$shots" \
      -o "runs/default-${data}-${shots}shot.json" >/dev/null
  done
  if [ -f "$ADAPTER/adapter_config.json" ]; then
    "$BIN" evaluate --model default --schema kind --data "kind:$data" --limit "$N" --shots 0 \
      --adapter "kind=$ADAPTER" --merge -o "runs/default-${data}-tuned.json" >/dev/null
  fi
done
"$BIN" leaderboard runs/default-*.json -o runs/leaderboard.md --plot runs/leaderboard.png
cat runs/leaderboard.md
