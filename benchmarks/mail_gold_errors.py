"""False positives and negatives of one setup on the e-mail gold set, as normalised (text, label) pairs.

For looking at what a setup gets wrong on the **dev** part (the default; never tune on test),
as the ANNOTATION.md conventions were checked: one ``FP``/``FN`` line per pair, then the counts.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/mail_gold_errors.py \\
        --adapter kind=examples/adapters/kind-tokens
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from extractor.config import EngineOptions
from extractor.options import ExtractOptions
from extractor.pipeline import Extractor
from extractor.serving import build_served_method, prepare_model, resolve_schema
from extractor.settings import load_settings
from extractor.summary import Summary
from training.mail_gold import entity_pairs, load_mail_gold, normalize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default="examples/gold", help="gold folder (mbox + gold.jsonl)")
    parser.add_argument("--split", default="dev", help="dev (default) or test")
    parser.add_argument("--model", default="default")
    parser.add_argument("--adapter", default=None, help="NAME=PATH, as for extract")
    parser.add_argument("--shots", type=int, default=0)
    args = parser.parse_args()

    examples = load_mail_gold(Path(args.gold), args.split, keep_quotes=True)
    schema = resolve_schema("italian_email")
    settings = load_settings()
    options = ExtractOptions(schema=schema, shots=args.shots, max_tokens=512, recognizers=True)
    adapters = (args.adapter,) if args.adapter else ()
    prepared = prepare_model(args.model, adapters, merge=False, settings=settings, schema=schema)
    method, _ = build_served_method(prepared, EngineOptions(eager=True), settings, options)
    name = prepared.adapters[0].name if prepared.adapters else None
    results = Extractor(method, options, model_name=prepared.name).extract_texts(
        [e.text for e in examples], [name] * len(examples), Summary())
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for example, result in zip(examples, results, strict=True):
        gold = {(normalize(t), label) for t, label in example.pairs}
        pred = {(normalize(t), label) for t, label in entity_pairs([e for e in result.entities if e.grounded])}
        for t, label in sorted(pred - gold):
            fp[label] += 1
            print("FP", label, repr(t))
        for t, label in sorted(gold - pred):
            fn[label] += 1
            print("FN", label, repr(t))
    print("false positives:", dict(fp))
    print("false negatives:", dict(fn))


if __name__ == "__main__":
    main()
