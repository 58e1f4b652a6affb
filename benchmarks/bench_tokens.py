"""Token method vs generative method vs the seed's one-at-a-time loop, msg/s on the same texts.

Three sides, one engine per child process, the same texts (KIND sentences, then the synthetic
Italian e-mails): (1) ours, token method: the token adapter merged into the base, vLLM's pooling
runner (``extract_texts``, batched by a token budget); (2) ours, generative method: a generative
adapter merged into the base (``--merge``), vLLM generation constrained to the ``kind`` schema
(PER/ORG/LOC, as the token adapter), zero-shot as the adapter was trained; (3) the seed (004) loop: the same merged token model in transformers, one text at
a time, argmax per token. Last lines: token/generative and token/seed msg/s.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_tokens.py \\
        --tokens examples/adapters/kind-tokens --generative examples/adapters/kind-default --n 64
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import children, harness, machine, synthetic

SIDES = ["tokens", "generative", "seed"]


def _texts(args: argparse.Namespace) -> dict[str, list[str]]:
    from training.data import load_dataset

    kind = [ex.text for ex in load_dataset("kind:WN_test", args.data_root, args.n)]
    return {"kind": kind, "emails": synthetic.email_texts(args.n, args.seed)}


def _token_classifier(args: argparse.Namespace, backend: str):
    from extractor.adapters import load_adapter
    from extractor.settings import load_settings
    from extractor.tokens import TokenClassifier

    adapter = load_adapter("tokens", args.tokens)
    return TokenClassifier.for_adapter(adapter, harness.default_model_path(), load_settings().cache_dir,
                                       backend=backend)


def child(args: argparse.Namespace) -> None:
    harness.setup()
    sets = _texts(args)
    measures: dict[str, harness.Measure] = {}
    t0 = time.perf_counter()
    if args.one == "tokens":
        classifier = _token_classifier(args, "vllm")
        classifier.extract_texts(sets["kind"][:2])  # warm-up
        run = classifier.extract_texts
    elif args.one == "seed":
        classifier = _token_classifier(args, "transformers")
        classifier.extract_texts(sets["kind"][:2])

        def run(texts: list[str]) -> list:
            return [classifier.extract_texts([t])[0] for t in texts]  # one text per forward, as the seed did
    else:
        from extractor.adapters import load_adapter

        merged = harness.merged_model(load_adapter("generative", args.generative))
        from extractor.methods.generative import GenerativeMethod
        from extractor.pipeline import ExtractOptions, Extractor
        from schemas import load_schema

        engine, _ = harness.make_engine(model=merged)
        options = ExtractOptions(schema=load_schema("kind"), shots=0, max_tokens=args.max_tokens, recognizers=False)
        extractor = Extractor(GenerativeMethod(engine, options), options, model_name="default")
        extractor.extract_texts(sets["kind"][:2])

        def run(texts: list[str]) -> list:
            return [r.entities for r in extractor.extract_texts(texts)]
    print(f"   {args.one}: start and warm-up {time.perf_counter() - t0:.1f} s", flush=True)
    for name, texts in sets.items():
        with harness.stopwatch() as t:
            results = run(texts)
        m = harness.Measure(f"{args.one} on {name}")
        m.add(t[0], len(texts), 0, 0)
        m.extra["entities"] = sum(len(r) for r in results)
        measures[name] = m
        print(f"   {args.one} {name}: {t[0]:.2f} s for {len(texts)} texts, {m.extra['entities']} entities", flush=True)
    children.result_line(measures)


def main() -> None:
    p = harness.parser(__doc__.splitlines()[0], n=64)
    p.add_argument("--tokens", type=Path, required=True, help="token-classification adapter folder")
    p.add_argument("--generative", type=Path, required=True, help="generative adapter folder (served merged)")
    p.add_argument("--data-root", type=Path, default=None)
    args = children.parse_or_run_child(p, child)
    if args is None:
        return
    harness.setup()
    machine.header("bench_tokens: token method vs generative method vs the seed loop")
    argv = ["--n", str(args.n), "--seed", str(args.seed), "--tokens", str(args.tokens),
            "--generative", str(args.generative), "--shots", str(args.shots), "--max-tokens", str(args.max_tokens)]
    if args.data_root:
        argv += ["--data-root", str(args.data_root)]
    results = children.run_children(__file__, SIDES, argv)
    rates = {side: {name: children.measure_from(f"{side} {name}", d).msgs_per_s
                    for name, d in res["measures"].items()} for side, res in results.items()}
    for side, by_set in rates.items():
        print(f"   {side}: " + ", ".join(f"{name} {r:.3f} msg/s" for name, r in by_set.items()), flush=True)
    machine.footer()
    for name in ("kind", "emails"):
        if "tokens" in rates and "generative" in rates:
            harness.ratio_line(f"tokens/generative msg/s on {name}", rates["tokens"][name],
                               rates["generative"][name], "goal >= 5")
        if "tokens" in rates and "seed" in rates:
            harness.ratio_line(f"tokens/seed loop msg/s on {name}", rates["tokens"][name], rates["seed"][name],
                               "goal >= 50")


if __name__ == "__main__":
    main()
