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


class _StubTokenizer:
    def encode(self, text, add_special_tokens=True):
        return [1] * len(text)


def _stub_llm(calls: list, refuse: str | None = None):
    """A vLLM ``LLM`` whose engine records each request's params and finishes nothing."""

    class StubEngine:
        def add_request(self, request_id, prompt, params, lora_request=None):
            if refuse is not None and request_id == refuse:
                raise ValueError("prompt too long")
            calls.append((request_id, prompt, params))

        def has_unfinished_requests(self):
            return False

        def step(self):
            return []

        def abort_request(self, ids):
            pass

    class StubLLM:
        def __init__(self, **kwargs):
            self.llm_engine = StubEngine()

        def get_tokenizer(self):
            return _StubTokenizer()

    return StubLLM


def test_generate_asks_vllm_to_stop_loops_as_configured(monkeypatch):
    vllm = pytest.importorskip("vllm")
    from extractor.engine import Engine, EngineConfig, LoopStop

    calls: list = []
    monkeypatch.setattr(vllm, "LLM", _stub_llm(calls))
    for stop in (LoopStop(), LoopStop(min_tokens=20, max_tokens=40, repeats=4), None):
        Engine(EngineConfig(model="x", loop_stop=stop)).generate(["p"], json_schema=None, max_tokens=8)
    default, custom, off = (params.repetition_detection for _, _, params in calls)
    assert (default.min_pattern_size, default.max_pattern_size, default.min_count) == (12, 128, 3)
    assert (custom.min_pattern_size, custom.max_pattern_size, custom.min_count) == (20, 40, 4)
    assert off is None


def test_generate_returns_a_refused_request_as_failed_and_keeps_the_others(monkeypatch):
    """One request vLLM refuses (too long, bad schema) comes back with its reason; the batch goes on."""
    vllm = pytest.importorskip("vllm")
    from extractor.engine import Engine, EngineConfig

    calls: list = []
    monkeypatch.setattr(vllm, "LLM", _stub_llm(calls, refuse="g1"))
    gens = Engine(EngineConfig(model="x")).generate(["aa", "bbb", "c"], json_schema=None, max_tokens=8)
    assert [rid for rid, _, _ in calls] == ["g0", "g2"]
    assert [prompt["prompt_token_ids"] for _, prompt, _ in calls] == [[1, 1], [1]]
    assert "refused" in gens[1].error and "prompt too long" in gens[1].error
    # The stub finishes nothing: the others come back failed with a reason, not lost.
    assert all(g.error for g in gens)
