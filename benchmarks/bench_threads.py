"""Torch intra-op threads 1 vs 2 for serving on this 2-core box (the OMP_NUM_THREADS question).

vLLM logs "Reducing Torch threads from 2 to 1 for serving. Set OMP_NUM_THREADS in the external
environment to override.", but in-process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``, what
``Engine`` uses) its CPU worker has already replaced ``torch.set_num_threads`` with a no-op, so
serving keeps torch's default (nproc = 2) unless ``OMP_NUM_THREADS`` is set: OMP_NUM_THREADS=2
is what already happens, OMP_NUM_THREADS=1 is the other choice. This script times the same
``LLM.generate`` pass (constrained, as served) at 1 and 2 threads on one engine, switching with
``torch._C.set_num_threads`` and alternating the order over ``--rounds``; the load average
is printed with every pass because other work on the box changes the answer.
Last line: threads-2 msg/s / threads-1 msg/s.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_threads.py --n 8
"""

from __future__ import annotations

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness, machine, synthetic


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=8)
    p.set_defaults(rounds=2)
    args = p.parse_args()
    machine.header("bench_threads: torch threads 1 vs 2 while serving")
    import torch
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    engine, _ = harness.make_engine()
    print(f"   torch threads after engine start: {torch.get_num_threads()}", flush=True)
    builder = harness.prompt_builder(engine, args.shots)
    texts = synthetic.email_texts(args.n + 1, args.seed)
    prompts = [builder.render(t) for t in texts[: args.n]]
    so = StructuredOutputsParams(json=harness.schema().json_schema())
    params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens, structured_outputs=so)
    with harness.stopwatch() as t:
        engine.llm.generate([builder.render(texts[-1])], SamplingParams(temperature=0.0, max_tokens=1,
                                                                        structured_outputs=so), use_tqdm=False)
    print(f"   first constrained request, 1 token (schema compile or disk-cache load): {t[0]:.1f} s", flush=True)
    before = torch.get_num_threads()
    ms = {k: harness.Measure(f"LLM.generate, torch threads {k}") for k in (1, 2)}
    try:
        for i in range(args.rounds):
            for k in ((1, 2) if i % 2 == 0 else (2, 1)):
                torch._C.set_num_threads(k)
                engine.llm.reset_prefix_cache()
                load0 = machine.load()
                with harness.stopwatch() as t:
                    outs = engine.llm.generate(prompts, params, use_tqdm=False)
                ms[k].add(t[0], len(outs), sum(len(o.prompt_token_ids) for o in outs),
                          sum(len(o.outputs[0].token_ids) for o in outs))
                print(f"   round {i} threads {k}: {t[0]:.2f} s (load before {load0}, after {machine.load()})",
                      flush=True)
    finally:
        torch._C.set_num_threads(before)
    for m in ms.values():
        m.show()
    machine.footer()
    harness.ratio_line("torch threads 2 / 1, messages per second", ms[2].msgs_per_s, ms[1].msgs_per_s,
                      "> 1: two threads help")


if __name__ == "__main__":
    main()
