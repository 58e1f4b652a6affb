"""Run as a script by test_lora_slots: a fresh engine's first-token log-probabilities, as JSON on stdout.

``python tests/lora_slot_probe.py MODEL alpha=PATH beta=PATH``: one prompt served by the base model
alone (before any adapter is loaded), then beside an adapter request in one batch, then by the
last adapter; each as ``{token_id: logprob}`` of the top tokens.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

PROMPT = "La fattura di Edilnord S.r.l. per Mario Rossi è pronta a Torino."


def main(model: str, adapter_args: list[str]) -> None:
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    from vllm import SamplingParams

    from extractor.adapters import load_adapter
    from extractor.engine import Engine, EngineConfig

    adapters = tuple(load_adapter(*arg.split("=", 1)) for arg in adapter_args)
    engine = Engine(EngineConfig(model=model, adapters=adapters, max_model_len=512, kv_cache_bytes=64 << 20,
                                 cache_dir=Path(tempfile.mkdtemp()), enforce_eager=True, prefix_caching=False,
                                 extra={"dtype": "float32"}))
    params = SamplingParams(temperature=0.0, max_tokens=1, logprobs=8)
    last = engine.lora_requests[adapters[-1].name]

    def top(output) -> dict[int, float]:
        return {int(t): float(lp.logprob) for t, lp in output.outputs[0].logprobs[0].items()}

    alone = top(engine.llm.generate([PROMPT], params, use_tqdm=False)[0])
    for a in adapters:  # every adapter slot filled
        engine.llm.generate([PROMPT], params, lora_request=engine.lora_requests[a.name], use_tqdm=False)
    batch = engine.llm.generate([PROMPT, PROMPT], params, lora_request=[last, None], use_tqdm=False)
    print(json.dumps({"base_alone": alone, "base_beside_adapter": top(batch[1]), "adapter": top(batch[0]),
                      "max_loras": engine.llm.llm_engine.vllm_config.lora_config.max_loras}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
