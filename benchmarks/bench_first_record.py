"""Time to the first record on disk and msg/s: one engine pass per batch (before) vs streamed records (after).

Before: the pipeline handed ``--batch-size`` messages to one engine call and wrote their records
when the whole pass was done, so the first record waited for the slowest message. After: the
pipeline keeps ``--batch-size`` messages in flight, steps the engine, and writes each record as
its message finishes (a finished message makes room for the next). Both sides run on one
engine, the same parsed messages and the same prompts; the prefix cache is emptied before each
pass. The "before" side is the batch pass itself (``Extractor.extract_texts`` over the whole
batch, records written afterwards), which is what the old ``Extractor.run`` did per batch.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_first_record.py --n 64
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness, machine, synthetic


def first_line_watcher(path: Path, started: float, seen: list[float], stop: threading.Event) -> None:
    """Record the seconds from ``started`` until ``path`` holds its first complete line."""
    while not stop.is_set():
        if path.exists() and b"\n" in path.read_bytes()[:1 << 20]:
            seen.append(time.perf_counter() - started)
            return
        time.sleep(0.05)


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=64)
    p.add_argument("--batch-size", type=int, default=64, help="messages per pass / in flight (default 64)")
    args = p.parse_args()
    machine.header("bench_first_record: batch pass vs streamed records")

    from extractor.mail import parse_message
    from extractor.methods.generative import GenerativeMethod
    from extractor.pipeline import ExtractOptions, Extractor
    from extractor.runner import RunConfig, run
    from extractor.sinks import JsonlSink
    from extractor.sources.files import iter_path

    tmp = Path(tempfile.mkdtemp(prefix="bench-first-record-"))
    mbox = synthetic.write_mbox(tmp / "bench.mbox", synthetic.italian_emails(args.n, args.seed))
    engine, _ = harness.make_engine()
    options = ExtractOptions(schema=harness.schema(), shots=args.shots, max_tokens=args.max_tokens,
                             batch_size=args.batch_size)
    extractor = Extractor(GenerativeMethod(engine, options), options, model_name="default")
    messages = [parse_message(raw) for raw in iter_path(mbox)]
    with harness.stopwatch() as t:
        extractor.extract_texts([messages[0].text[:40]])
    print(f"   warm-up request (schema compile or disk-cache load): {t[0]:.1f} s", flush=True)

    sides = {"before": harness.Measure("before: one pass per batch, records at the end"),
             "after": harness.Measure("after: streamed, a record per finished message")}
    first: dict[str, list[float]] = {"before": [], "after": []}

    def before(i: int) -> None:
        out = tmp / f"before-{i}.jsonl"
        engine.llm.reset_prefix_cache()
        sink = JsonlSink(out)
        results: list = []
        first_at = None
        with harness.stopwatch() as t:
            started = time.perf_counter()
            for start in range(0, len(messages), args.batch_size):
                batch = messages[start:start + args.batch_size]
                batch_results = extractor.extract_texts([m.text for m in batch])
                for msg, res in zip(batch, batch_results):
                    sink.write({"key": msg.key, "entities": [e.to_dict() for e in res.entities]})
                sink.commit()
                first_at = first_at if first_at is not None else time.perf_counter() - started
                results += batch_results
        sink.close()
        sides["before"].add_texts(t[0], results)
        first["before"].append(first_at or t[0])
        print(f"   round {i} before: {t[0]:.2f} s, first record after {first_at:.1f} s", flush=True)

    def after(i: int) -> None:
        out = tmp / f"after-{i}.jsonl"
        config = RunConfig(inputs=(str(mbox),), output=out, restart=True, progress=False, shots=args.shots,
                           max_tokens=args.max_tokens, batch_size=args.batch_size)
        engine.llm.reset_prefix_cache()
        stop, seen = threading.Event(), []
        watcher = threading.Thread(target=first_line_watcher, args=(out, time.perf_counter(), seen, stop))
        watcher.start()
        with harness.stopwatch() as t:
            summary = run(config, engine=engine)
        stop.set()
        watcher.join()
        assert summary.messages + summary.errors == args.n, summary.to_dict()
        sides["after"].add(t[0], summary.messages + summary.errors, summary.prompt_tokens,
                           summary.completion_tokens, summary.errors)
        first["after"].append(seen[0] if seen else t[0])
        print(f"   round {i} after: {t[0]:.2f} s, first record after {first['after'][-1]:.1f} s, "
              f"summary {json.dumps(summary.to_dict())}", flush=True)

    for i in range(args.rounds):
        for side in ((before, after) if i % 2 == 0 else (after, before)):
            side(i)
    for name, m in sides.items():
        m.show()
        print(f"   {name}: time to first record {', '.join(f'{x:.1f} s' for x in first[name])}", flush=True)
    machine.footer()
    b = sum(first["before"]) / len(first["before"])
    a = sum(first["after"]) / len(first["after"])
    print(f"   mean time to first record: before {b:.1f} s, after {a:.1f} s", flush=True)
    harness.ratio_line("after/before messages per second", sides["after"].msgs_per_s, sides["before"].msgs_per_s,
                      "goal >= 0.95, with the first record <= 30 s after the engine is ready")


if __name__ == "__main__":
    main()
