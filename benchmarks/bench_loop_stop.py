"""Loop stop (vLLM repetition detection, ``EngineConfig.loop_stop``) on vs off, same engine, same texts.

A small model decoding greedily sometimes lists one entity over and over until ``max_tokens``;
the batch waits for it. This times ``Extractor.extract_texts`` (the served path: prompts,
Outlines-constrained decoding, grounding) over the same texts with the loop stop as served and
with it off, alternating sides per round. The prefix cache is emptied before each pass, so
neither side reuses the other's prompts. It also reports what the stop costs in results: the
texts whose entity set differs between the sides (a loop that would have recovered later).

``--data emails`` (default) uses the benchmark email generator; ``--data kind:WN_test`` (or any
spec ``training.data.load_dataset`` reads) the first ``--n`` sentences of a dataset.
Last line: msg/s with the stop / without.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_loop_stop.py --n 64 --data kind:WN_test
"""

from __future__ import annotations

import dataclasses

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness, machine, synthetic

SIDES = ("loop stop on (served)", "loop stop off")


def texts_for(spec: str, n: int, seed: int) -> list[str]:
    if spec == "emails":
        return synthetic.email_texts(n, seed)
    from training.data import load_dataset

    return [ex.text for ex in load_dataset(spec, limit=n)]


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=32)
    p.add_argument("--data", default="emails", help="'emails' (generator) or a dataset spec such as kind:WN_test")
    args = p.parse_args()
    machine.header(f"bench_loop_stop: repetition detection on vs off ({args.data})")

    from extractor.engine import LoopStop

    texts = texts_for(args.data, args.n, args.seed)
    engine, _ = harness.make_engine()
    extractor = harness.served_extractor(engine, args)
    configs = {SIDES[0]: dataclasses.replace(engine.config, loop_stop=LoopStop()),
               SIDES[1]: dataclasses.replace(engine.config, loop_stop=None)}
    with harness.stopwatch() as t:
        extractor.extract_texts(synthetic.email_texts(1, seed=10_000))
    print(f"   warm-up, 1 other text (schema compile or disk-cache load): {t[0]:.1f} s", flush=True)

    measures = {side: harness.Measure(side) for side in SIDES}
    found: dict[str, list[set[tuple[str, str]]]] = {}
    stopped: set[int] = set()
    for i in range(args.rounds):
        for side in SIDES if i % 2 == 0 else SIDES[::-1]:
            engine.config = configs[side]
            engine.llm.reset_prefix_cache()
            with harness.stopwatch() as t:
                results = extractor.extract_texts(texts)
            measures[side].add_texts(t[0], results)
            found[side] = [{(e.text, e.label) for e in r.entities} for r in results]
            looped = {j for j, r in enumerate(results) if r.looped}
            if side == SIDES[0]:
                stopped = looped
            capped = sum(r.truncated and not r.looped for r in results)
            print(f"   round {i} {side}: {t[0]:.2f} s, {sum(r.completion_tokens for r in results)} generated, "
                  f"{len(looped)} stopped as loops, {capped} cut at max_tokens", flush=True)
    differ = [i for i, (a, b) in enumerate(zip(found[SIDES[0]], found[SIDES[1]])) if a != b]
    for i in differ:
        on, off = found[SIDES[0]][i], found[SIDES[1]][i]
        why = "the stop fired here" if i in stopped else "the stop did not fire here: batch-composition noise"
        print(f"   text {i} ({why}): only without the stop {sorted(off - on)}; only with it {sorted(on - off)}")
    for m in measures.values():
        m.show()
    print(f"   texts whose entities differ between the sides: {len(differ)} of {len(texts)}")
    machine.footer()
    on, off = measures[SIDES[0]], measures[SIDES[1]]
    harness.ratio_line("loop stop on/off messages per second", on.msgs_per_s, off.msgs_per_s,
                      f"on {on.msgs_per_s:.3f} vs off {off.msgs_per_s:.3f} msg/s")


if __name__ == "__main__":
    main()
