"""Full pipeline (runner.run on an mbox -> JSONL) vs raw ``LLM.generate`` on the same prompts.

Both sides use one engine (``runner.run(config, engine=...)``), the same messages and identical
``SamplingParams`` (greedy, ``max_tokens``, the schema's JSON constraint). The raw side gets
the very prompts the pipeline renders (same parsed text, same PromptBuilder). The first
constrained request (schema compile or disk-cache load) is made before timing and reported
separately. The prefix cache is emptied before each timed pass, so neither side reuses the
other's prompts. Last line: pipeline msg/s / raw msg/s (goal >= 0.9).

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_pipeline.py --n 16
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness, machine, synthetic


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=16)
    p.add_argument("--batch-size", type=int, default=64, help="pipeline batch size (the default is 64)")
    args = p.parse_args()
    machine.header("bench_pipeline: runner.run vs LLM.generate on the same prompts")

    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    from extractor.mail import parse_message
    from extractor.methods.generative import GenerativeMethod
    from extractor.pipeline import ExtractOptions, Extractor
    from extractor.runner import RunConfig, run
    from extractor.sources.files import iter_path

    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    mbox = synthetic.write_mbox(tmp / "bench.mbox", synthetic.italian_emails(args.n, args.seed))
    engine, _ = harness.make_engine()
    schema = harness.schema()

    # The prompts the pipeline renders for these messages, rendered here outside any timing.
    options = ExtractOptions(schema=schema, shots=args.shots, max_tokens=args.max_tokens, batch_size=args.batch_size)
    extractor = Extractor(GenerativeMethod(engine, options), options, model_name="default")
    texts = [parse_message(raw).text for raw in iter_path(mbox)]
    prompts = [extractor.method.prompts.render(t) for t in texts]
    assert len(prompts) == args.n, (len(prompts), args.n)
    params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens,
                            structured_outputs=StructuredOutputsParams(json=schema.json_schema()))

    first = SamplingParams(temperature=0.0, max_tokens=1, structured_outputs=params.structured_outputs)
    with harness.stopwatch() as t:
        engine.llm.generate(prompts[:1], first, use_tqdm=False)
    print(f"   first constrained request, 1 token (schema compile or disk-cache load): {t[0]:.1f} s", flush=True)

    pipe = harness.Measure("pipeline runner.run (mbox -> JSONL)")
    raw = harness.Measure("raw LLM.generate (same prompts)")
    stages: dict[str, float] = {}

    def run_pipeline(i: int) -> None:
        out = tmp / f"out-{i}.jsonl"
        config = RunConfig(inputs=(str(mbox),), output=out, restart=True, progress=False, shots=args.shots,
                           max_tokens=args.max_tokens, batch_size=args.batch_size)
        engine.llm.reset_prefix_cache()  # both sides prefill the same: no whole-prompt hits from the other side
        with harness.stopwatch() as t:
            summary = run(config, engine=engine)
        assert summary.messages + summary.errors == args.n, summary.to_dict()
        pipe.add(t[0], summary.messages + summary.errors, summary.prompt_tokens, summary.completion_tokens,
                 summary.errors)
        for k, v in summary.stages.items():
            stages[k] = stages.get(k, 0.0) + v
        print(f"   round {i} pipeline: {t[0]:.2f} s, summary {summary.to_dict()}", flush=True)

    def run_raw(i: int) -> None:
        engine.llm.reset_prefix_cache()
        with harness.stopwatch() as t:
            outs = engine.llm.generate(prompts, params, use_tqdm=False)
        pt = sum(len(o.prompt_token_ids or ()) for o in outs)
        ct = sum(len(o.outputs[0].token_ids) for o in outs)
        raw.add(t[0], len(outs), pt, ct)
        print(f"   round {i} raw: {t[0]:.2f} s", flush=True)

    for i in range(args.rounds):
        for side in ((run_pipeline, run_raw) if i % 2 == 0 else (run_raw, run_pipeline)):
            side(i)

    print("   pipeline stage seconds (summed over rounds): "
          + "  ".join(f"{k}={v:.3f}" for k, v in stages.items())
          + f"  other={pipe.seconds - sum(stages.values()):.3f}")
    pipe.show()
    raw.show()
    machine.footer()
    harness.ratio_line("pipeline/raw messages per second", pipe.msgs_per_s, raw.msgs_per_s, "goal >= 0.9")


if __name__ == "__main__":
    main()
