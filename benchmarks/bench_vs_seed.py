"""The seeds' approach (transformers ``generate``, one message at a time, parse the text) vs our pipeline.

Seed side: ``AutoModelForCausalLM.generate`` per message, greedy, ``max_new_tokens`` equal to
ours, on the prompt text our PromptBuilder renders, then ``json.loads`` (or the first ``{...}``
found by a regex). Our side: ``Extractor.extract_texts`` on the same texts: one batched vLLM
pass, JSON-schema constrained (outlines, the default), parsed and grounded. Same model
weights (the embedded default model, bf16 on both sides unless ``--hf-dtype``), same prompts.
``--adapter PATH`` serves a peft LoRA adapter on both sides (seed: ``PeftModel``, unmerged, as the
seed notebooks load it; ours: vLLM multi-LoRA, or the adapter merged into the base with ``--merge``,
as ``extract-entities --merge`` serves it). Last line: our msg/s / seed msg/s.

    VLLM_ENABLE_V1_MULTIPROCESSING=0 HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_vs_seed.py --n 8
"""

from __future__ import annotations

import json
import re
from typing import Any

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness, machine, synthetic

_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


def seed_parse(text: str) -> list[Any] | None:
    """What a seed script did with the generated text: JSON, else the first brace-delimited span."""
    for candidate in (text.strip(), *(m.group(0) for m in [_OBJECT.search(text)] if m)):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("entities"), list):
            return data["entities"]
    return None


def main() -> None:
    harness.setup()
    p = harness.parser(__doc__.splitlines()[0], n=8)
    p.add_argument("--adapter", help="peft LoRA folder served on both sides")
    p.add_argument("--merge", action="store_true", help="our side serves --adapter merged into the base")
    p.add_argument("--hf-dtype", default="bfloat16", choices=("bfloat16", "float32"))
    args = p.parse_args()
    machine.header("bench_vs_seed: transformers one-at-a-time vs vLLM batched constrained pipeline")

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from extractor.adapters import load_adapter

    model_path = harness.default_model_path()
    adapters = (load_adapter("bench", args.adapter),) if args.adapter else ()
    if args.merge:
        if not adapters:
            p.error("--merge needs --adapter")
        engine, _ = harness.make_engine(model=harness.merged_model(adapters[0]))
        adapters = ()
    else:
        engine, _ = harness.make_engine(adapters=adapters)
    extractor = harness.served_extractor(engine, args)
    texts = synthetic.email_texts(args.n, args.seed)
    prompts = [extractor.method.prompts.render(t) for t in texts]
    routes = ["bench"] * len(texts) if adapters else None

    tok = AutoTokenizer.from_pretrained(model_path)
    with harness.stopwatch() as t:
        model = AutoModelForCausalLM.from_pretrained(model_path, dtype=getattr(torch, args.hf_dtype))
        if args.adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, args.adapter)
        model.eval()
    print(f"   transformers load: {t[0]:.1f} s (dtype {args.hf_dtype}, torch threads {torch.get_num_threads()})",
          flush=True)
    eos = [tok.convert_tokens_to_ids("<|im_end|>"), tok.eos_token_id]

    def seed_one(prompt: str, max_new: int) -> tuple[int, int, str]:
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=max_new, do_sample=False, eos_token_id=eos,
                                 pad_token_id=tok.pad_token_id or tok.eos_token_id)
        new = out[0, ids["input_ids"].shape[1]:]
        return ids["input_ids"].shape[1], len(new), tok.decode(new, skip_special_tokens=True)

    # Warm both sides on a message outside the timed set (and compile/load the schema).
    warm = extractor.method.prompts.render(synthetic.email_texts(args.n + 1, args.seed)[-1])
    with harness.stopwatch() as t:
        seed_one(warm, 8)
    print(f"   seed warm-up (8 tokens): {t[0]:.1f} s", flush=True)
    with harness.stopwatch() as t:
        extractor.extract_texts([synthetic.email_texts(args.n + 1, args.seed)[-1]])
    print(f"   ours warm-up (1 message, schema compile or disk-cache load included): {t[0]:.1f} s", flush=True)

    seed = harness.Measure("seed: transformers generate, one at a time")
    ours = harness.Measure("ours: Extractor.extract_texts (vLLM batch)")

    def run_seed() -> None:
        with harness.stopwatch() as t:
            results = [seed_one(pr, args.max_tokens) for pr in prompts]
        seed.add(t[0], len(results), sum(r[0] for r in results), sum(r[1] for r in results),
                 sum(seed_parse(r[2]) is None for r in results))
        seed.extra["entities"] = sum(len(seed_parse(r[2]) or []) for r in results)

    def run_ours() -> None:
        engine.llm.reset_prefix_cache()
        with harness.stopwatch() as t:
            results = extractor.extract_texts(texts, routes)
        ours.add_texts(t[0], results)
        ours.extra["entities"] = sum(len(r.entities) for r in results)

    for i in range(args.rounds):
        for side in ((run_seed, run_ours) if i % 2 == 0 else (run_ours, run_seed)):
            side()
            print(f"   round {i} {side.__name__} done (load {machine.load()})", flush=True)
    seed.show()
    ours.show()
    machine.footer()
    harness.ratio_line("ours/seed messages per second", ours.msgs_per_s, seed.msgs_per_s,
                      f"ours {ours.msgs_per_s:.3f} msg/s vs seed {seed.msgs_per_s:.3f} msg/s")


if __name__ == "__main__":
    main()
