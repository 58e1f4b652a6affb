"""In-process engine vs ``--server`` client of ``vllm serve``: the same box, model, messages and flags.

Each side runs in its own process (one engine at a time on the box): the in-process side starts
``Engine`` and times ``runner.run`` on a synthetic mbox; the server side starts ``vllm serve`` on
127.0.0.1 (the launcher of ``tests/vllm_server.py``) and times ``runner.run`` with
``ServerOptions(url=...)``. Both are eager (no compile), greedy, with the same decoding backend,
``--max-model-len``, KV-cache size and ``--batch-size``; engine/server start is reported apart and
not timed. Last line: server msg/s / in-process msg/s.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_server.py --n 16 --max-tokens 256
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import children, harness, machine, synthetic

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test suite's vllm serve launcher

KV_BYTES = 1 << 30
MAX_MODEL_LEN = 4096


def child(args) -> None:
    from extractor.client.options import ServerOptions
    from extractor.config import EngineOptions
    from extractor.runner import RunConfig, run

    tmp = Path(tempfile.mkdtemp(prefix="bench-server-"))
    mbox = synthetic.write_mbox(tmp / "bench.mbox", synthetic.italian_emails(args.n, args.seed))
    model = harness.default_model_path()
    options = EngineOptions(max_model_len=MAX_MODEL_LEN, eager=True, decoding_backend=args.backend)
    engine = server = None
    with harness.stopwatch() as t:
        if args.one == "in-process":
            engine, _ = harness.make_engine(model, max_model_len=MAX_MODEL_LEN, kv_cache_bytes=KV_BYTES,
                                            enforce_eager=True, decoding_backend=args.backend)
        else:
            from vllm_server import VllmServer

            server = VllmServer(Path(model), {}, tmp / "server.log", max_model_len=MAX_MODEL_LEN, api_key=None,
                                kv_cache_bytes=KV_BYTES, backend=args.backend, eager=True)
            server.start()
    print(f"   {args.one} start: {t[0]:.1f} s", flush=True)
    measure = harness.Measure(f"{args.one} runner.run (mbox -> JSONL)")
    try:
        for i in range(args.rounds + 1):  # round 0 warms the schema compile and the prefix cache, untimed
            config = RunConfig(inputs=(str(mbox),), output=tmp / f"out-{i}.jsonl", restart=True, progress=False,
                               shots=args.shots, max_tokens=args.max_tokens, batch_size=args.batch_size,
                               engine=options, server=ServerOptions(url=server.url if server else None,
                                                                    concurrency=args.concurrency))
            with harness.stopwatch() as t:
                summary = run(config, engine=engine)
            assert summary.messages + summary.errors == args.n, summary.to_dict()
            print(f"   {args.one} round {i}{' (warm-up)' if i == 0 else ''}: {t[0]:.2f} s, "
                  f"{summary.messages} records, {summary.errors} errors", flush=True)
            if i:
                measure.add(t[0], summary.messages + summary.errors, summary.prompt_tokens,
                            summary.completion_tokens, summary.errors)
    finally:
        if server is not None:
            server.kill()
    measure.show()
    children.result_line({"run": measure})


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=16)
    p.add_argument("--batch-size", type=int, default=64, help="texts in flight (the default is 64)")
    p.add_argument("--concurrency", type=int, default=64, help="server side: requests in flight at once")
    p.add_argument("--backend", default="xgrammar", help="structured-outputs backend on both sides")
    args = children.parse_or_run_child(p, child)
    if args is None:
        return
    machine.header("bench_server: in-process engine vs --server client of vllm serve")
    argv = [a for a in sys.argv[1:]]
    results = children.run_children(__file__, ["in-process", "server"], argv)
    local = children.measure_from("in-process", results["in-process"]["measures"]["run"]).show()
    remote = children.measure_from("server client", results["server"]["measures"]["run"]).show()
    machine.footer()
    harness.ratio_line("server client / in-process msg/s", remote.msgs_per_s, local.msgs_per_s,
                       f"{args.n} messages, --concurrency {args.concurrency}, --batch-size {args.batch_size}")


if __name__ == "__main__":
    main()
