"""``--ray`` on a local Ray (two CPUs) with the tiny model: Ray Data LLM's vLLM replicas, our records.

The same mailboxes go through the in-process engine and Ray Data LLM; the records must be equal.
A request the engine fails comes back as a failed row and ends as an error, not as no entities.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from test_server_client import config, lines, write_mbox

from extractor.config import EngineOptions
from extractor.raydata.options import RayOptions
from extractor.runner import run

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    pytest.importorskip("ray.data.llm", reason="ray[data] is not installed: pip install 'extract-entities[ray]'")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def mailboxes(tmp_path: Path) -> list[Path]:
    boxes = [tmp_path / name for name in ("a.mbox", "b.mbox", "c.mbox")]
    for i, box in enumerate(boxes):
        write_mbox(box, 2 + i, first=10 * i)
    return boxes


def test_ray_records_equal_in_process_records(local_ray, engine, tiny_model, tiny_adapters, mailboxes, tmp_path):
    # The loop stop on on both sides. One request at a time on both sides (a batch of other sequences flips a
    # random tiny model's greedy choice). Base-model messages (b.mbox) used to come out differently after
    # earlier tests had filled both adapter slots: vLLM's CPU LoRA ops served them with the last slot's
    # adapter, which the spare slot of extractor.engine.lora_slots prevents (tests/test_lora_slots.py).
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    adapters = tuple(f"{n}={p}" for n, p in tiny_adapters.items())
    here = run(replace(config(tiny_model, mailboxes, local, adapters), batch_size=1), engine=engine)
    there = run(replace(config(tiny_model, mailboxes, remote, adapters), engine=EngineOptions(max_model_len=2048),
                        batch_size=1, ray=RayOptions(enabled=True, max_pending=1)))
    key = lambda r: (r["source"], r["key"])
    ours, theirs = sorted(lines(local), key=key), sorted(lines(remote), key=key)
    assert len(ours) + here.errors == 9
    # Ray hands rows back as its replicas finish them, so error records come in any order.
    assert sorted((r["key"], r["reason"]) for r in lines(remote.with_name("ray.errors.jsonl"))) == sorted(
        (r["key"], r["reason"]) for r in lines(local.with_name("local.errors.jsonl")))
    differ = [(a["message_id"], f, a[f], b.get(f)) for a, b in zip(ours, theirs) for f in a if a[f] != b.get(f)]
    assert not differ
    assert {r["adapter"] for r in theirs} <= {"alpha", "beta", None}
    assert (there.messages, there.errors, there.options["backend"]) == (here.messages, here.errors, "ray-data-llm")

    # Resume: a second run over the same output finds every message done and sends nothing to Ray.
    again = run(replace(config(tiny_model, mailboxes, remote, adapters), ray=RayOptions(enabled=True)))
    assert (again.messages, again.errors, again.skipped) == (0, 0, 9)
    assert sorted(lines(remote), key=key) == theirs


def test_a_request_the_engine_fails_comes_back_failed(local_ray, tiny_model, tiny_adapters):
    from transformers import AutoTokenizer

    from extractor.options import ExtractOptions
    from extractor.raydata.method import RayEngineSpec, RayMethod
    from extractor.raydata.rows import engine_kwargs
    from extractor.serving import resolve_schema

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    kwargs = engine_kwargs(max_model_len=2048, decoding_backend="outlines", eager=True, lora_rank=None, loras=0,
                           on_cpu=True, kv_cache_bytes=256 << 20)
    method = RayMethod(RayEngineSpec(str(tiny_model), {}, kwargs), RayOptions(enabled=True), tokenizer,
                       ExtractOptions(schema=resolve_schema(None), shots=0, max_tokens=16), max_model_len=2048)
    good = method.planner.plan("La fattura di Edilnord S.r.l. è pronta.")[0].token_ids
    out = dict(method.complete([(list(good), None), ([len(tokenizer) + 1000] * 4, None)]))
    assert out[0].error is None and out[0].completion_tokens > 0
    assert out[1].error is not None and out[1].error.startswith("the Ray Data LLM engine failed this request")
