"""How sure the token classifier is of each PER/ORG/LOC span in a run's records (top-1 minus top-2 logit).

For each model span, the smallest margin over its tokens and the token after it: spans with a
small margin can flip between runs (bf16 CPU kernels), so ``examples/expected_entities.json``
lists only spans with a margin of at least 1.5.

    .venv/bin/extract-entities examples/italian.mbox --adapter kind=examples/adapters/kind-tokens -o /tmp/demo.jsonl
    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/demo_margins.py /tmp/demo.jsonl \\
        examples/adapters/kind-tokens
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from extractor.adapters import load_adapter
from extractor.models import resolve_model
from extractor.settings import load_settings
from extractor.tokens import TokenClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path, help="JSONL records written with the adapter (text included)")
    parser.add_argument("adapter", help="the token adapter's folder")
    parser.add_argument("--model", default="default")
    args = parser.parse_args()

    settings = load_settings()
    base = resolve_model(args.model, settings)
    clf = TokenClassifier.for_adapter(load_adapter("tokens", args.adapter), base.path, settings.cache_dir,
                                      enforce_eager=True)
    for record in map(json.loads, args.records.read_text(encoding="utf-8").splitlines()):
        enc = clf.encode(record["text"])
        logits = clf.backend.logits(enc.inputs)
        rows = [logits[w][k] for w, k in (enc.row(i) for i in range(len(enc.ids)))]
        for e in record["entities"]:
            if e.get("source") != "model":
                continue
            inside = [i for i, (a, b) in enumerate(enc.offsets) if a < e["end"] and b > e["start"]]
            after = [i for i, (a, b) in enumerate(enc.offsets) if a >= e["end"] and b > a][:1]
            margins = [float(top[0] - top[1]) for top in (sorted(rows[i], reverse=True) for i in inside + after)]
            print(f"{record['message_id']}\t{e['text']!r}\t{e['label']}\tmin margin {min(margins):.2f}")


if __name__ == "__main__":
    main()
