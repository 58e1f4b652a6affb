"""How ``Engine`` drives vLLM, with vLLM's ``LLM`` replaced by a stub that records what it is given."""

from __future__ import annotations

import os

import pytest


def test_cpu_engine_avoids_the_aot_artifact_it_cannot_load(monkeypatch):
    """On vLLM's CPU backend the engine defaults to the Inductor cache path; a user's setting wins.

    vLLM's ``LLM`` is replaced by a stub that records the variable when vLLM would read it.
    """
    vllm = pytest.importorskip("vllm")
    from extractor.engine import Engine, EngineConfig, on_cpu
    from extractor.errors import EngineError

    if not on_cpu():
        pytest.skip("vLLM is not on its CPU backend here")
    seen = []

    def fake_llm(**kwargs):
        seen.append(os.environ.get("VLLM_USE_AOT_COMPILE"))
        raise RuntimeError("stub")

    monkeypatch.setattr(vllm, "LLM", fake_llm)
    monkeypatch.delenv("VLLM_USE_AOT_COMPILE", raising=False)
    for _ in range(2):
        with pytest.raises(EngineError):
            Engine(EngineConfig(model="x"))
        monkeypatch.setenv("VLLM_USE_AOT_COMPILE", "1")
    assert seen == ["0", "1"]


def test_generate_asks_vllm_to_stop_loops_as_configured(monkeypatch):
    vllm = pytest.importorskip("vllm")
    from extractor.engine import Engine, EngineConfig, LoopStop

    calls = []

    class StubLLM:
        def __init__(self, **kwargs):
            pass

        def generate(self, prompts, params, lora_request=None, use_tqdm=False):
            calls.append(params.repetition_detection)
            return []

    monkeypatch.setattr(vllm, "LLM", StubLLM)
    for stop in (LoopStop(), LoopStop(min_tokens=20, max_tokens=40, repeats=4), None):
        Engine(EngineConfig(model="x", loop_stop=stop)).generate(["p"], json_schema=None, max_tokens=8)
    default, custom, off = calls
    assert (default.min_pattern_size, default.max_pattern_size, default.min_count) == (12, 128, 3)
    assert (custom.min_pattern_size, custom.max_pattern_size, custom.min_count) == (20, 40, 4)
    assert off is None
