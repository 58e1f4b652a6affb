"""A base-model request served beside adapter requests gets no adapter (vLLM's CPU LoRA kernels).

vLLM's CPU LoRA ops index the adapter stack with each token's slot, and a base token's slot is -1:
without an empty last slot, a base request batched beside an adapter request is served with the
last adapter (upstream: vllm-project/vllm#48421). The probe runs in a fresh process so that no
earlier test has filled the adapter slots.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.engine import lora_slots

HERE = Path(__file__).parent


@pytest.mark.parametrize("adapters,cpu,slots", [
    pytest.param(2, True, 3, id="cpu-one-empty-slot"),
    pytest.param(1, True, 2, id="cpu-single-adapter"),
    pytest.param(2, False, 2, id="gpu-kernels-skip-base-tokens"),
    pytest.param(0, False, 1, id="at-least-one"),
])
def test_lora_slots(adapters, cpu, slots):
    assert lora_slots(adapters, cpu) == slots


@pytest.mark.engine
@pytest.mark.slow
def test_a_base_request_beside_an_adapter_request_gets_no_adapter(tiny_model, tiny_adapters):
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
    done = subprocess.run([sys.executable, str(HERE / "lora_slot_probe.py"), str(tiny_model),
                           *(f"{n}={p}" for n, p in tiny_adapters.items())],
                          check=False, env=env, text=True, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["max_loras"] == len(tiny_adapters) + 1

    def gap(a: dict[str, float], b: dict[str, float]) -> float:
        common = a.keys() & b.keys()
        return max((abs(a[t] - b[t]) for t in common), default=float("inf")) if len(common) >= 4 else float("inf")

    assert gap(out["base_alone"], out["base_beside_adapter"]) < 1e-3
    assert gap(out["base_alone"], out["adapter"]) > 1e-2  # the adapter does change this prompt's logits
