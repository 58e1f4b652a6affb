"""In-process engine vs ``--ray`` (Ray Data LLM on a local Ray): the same box, model, messages and flags.

Each side runs in its own process (one engine at a time on the box). The in-process side starts
``Engine`` once (start reported apart, not timed) and times ``runner.run``; the Ray side starts a
local Ray (``ray.init(num_cpus=<cores>)``) and times ``runner.run`` with ``RayOptions(enabled=True)``,
which starts its engine replica inside every run: a Ray run's time includes its engine start, as a
user's does. Both eager, greedy, same decoding backend, ``--max-model-len`` and ``--batch-size``.
Last line: Ray msg/s / in-process msg/s.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_ray.py --n 16 --max-tokens 256
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import children, harness, machine, synthetic

MAX_MODEL_LEN = 4096


def child(args) -> None:
    from extractor.config import EngineOptions
    from extractor.raydata.options import RayOptions
    from extractor.runner import RunConfig, run

    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    mbox = synthetic.write_mbox(tmp / "bench.mbox", synthetic.italian_emails(args.n, args.seed))
    model = harness.default_model_path()
    options = EngineOptions(max_model_len=MAX_MODEL_LEN, eager=True, decoding_backend=args.backend)
    engine = None
    with harness.stopwatch() as t:
        if args.one == "in-process":
            engine, _ = harness.make_engine(model, max_model_len=MAX_MODEL_LEN, enforce_eager=True,
                                            decoding_backend=args.backend)
        else:
            import ray

            ray.init(num_cpus=len(os.sched_getaffinity(0)), include_dashboard=False, log_to_driver=False)
    print(f"   {args.one} start: {t[0]:.1f} s", flush=True)
    measure = harness.Measure(f"{args.one} runner.run (mbox -> JSONL)")
    for i in range(args.rounds + 1):  # round 0 warms the schema compile, untimed
        config = RunConfig(inputs=(str(mbox),), output=tmp / f"out-{i}.jsonl", restart=True, progress=False,
                           shots=args.shots, max_tokens=args.max_tokens, batch_size=args.batch_size, engine=options,
                           ray=RayOptions(enabled=args.one == "ray"))
        with harness.stopwatch() as t:
            summary = run(config, engine=engine)
        assert summary.messages + summary.errors == args.n, summary.to_dict()
        print(f"   {args.one} round {i}{' (warm-up)' if i == 0 else ''}: {t[0]:.2f} s, "
              f"{summary.messages} records, {summary.errors} errors", flush=True)
        if i:
            measure.add(t[0], summary.messages + summary.errors, summary.prompt_tokens,
                        summary.completion_tokens, summary.errors)
    measure.show()
    children.result_line({"run": measure})


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=16)
    p.add_argument("--batch-size", type=int, default=64, help="texts in flight in-process; rows per Ray batch")
    p.add_argument("--backend", default="xgrammar", help="structured-outputs backend on both sides")
    args = children.parse_or_run_child(p, child)
    if args is None:
        return
    machine.header("bench_ray: in-process engine vs --ray (Ray Data LLM, local Ray)")
    results = children.run_children(__file__, ["in-process", "ray"], sys.argv[1:])
    local = children.measure_from("in-process", results["in-process"]["measures"]["run"]).show()
    remote = children.measure_from("ray (engine start included)", results["ray"]["measures"]["run"]).show()
    machine.footer()
    harness.ratio_line("ray / in-process msg/s", remote.msgs_per_s, local.msgs_per_s,
                       f"{args.n} messages, 1 replica, --batch-size {args.batch_size}")


if __name__ == "__main__":
    main()
