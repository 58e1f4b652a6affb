"""The rows Ray Data carries and the processor's configuration, as plain data (no Ray imported here).

A request row holds what the driver planned: the prompt's token ids, the model (the base, or a
LoRA adapter's folder: per-row LoRA), and vLLM's sampling parameters with the JSON schema as a
string (nested dicts would become Arrow structs with every key of every row). A result row is
what came back, settled into the same few columns whether the engine answered or failed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..engine import DEFAULT_CPU_KV_CACHE_BYTES, Generation, LoopStop, lora_slots

RESULT_KEYS = ("row", "text", "prompt_tokens", "completion_tokens", "error")


def request_row(row: int, token_ids: Sequence[int], model: str, json_schema: dict[str, Any] | None,
                max_tokens: int, loop_stop: LoopStop | None = None) -> dict[str, Any]:
    """One chunk's request as built on the driver (``preprocess`` turns it into the engine's input)."""
    repetition = "" if loop_stop is None else json.dumps(loop_stop.vllm_params())
    return {"row": row, "token_ids": list(token_ids), "model": model, "max_tokens": max_tokens,
            "json_schema": json.dumps(json_schema) if json_schema is not None else "", "repetition": repetition}


def preprocess(row: dict[str, Any]) -> dict[str, Any]:
    """The engine stage's input: token-id prompt, model (LoRA when not the base), greedy sampling.

    The loop stop travels as vLLM's ``repetition_detection`` mapping (see :mod:`extractor.raydata.hooks`).
    """
    sampling: dict[str, Any] = {"temperature": 0.0, "max_tokens": int(row["max_tokens"])}
    if row["json_schema"]:
        sampling["structured_outputs"] = {"json": row["json_schema"]}
    if row.get("repetition"):
        sampling["repetition_detection"] = json.loads(row["repetition"])
    return {"row": row["row"], "tokenized_prompt": list(row["token_ids"]), "model": row["model"],
            "sampling_params": sampling}


def postprocess(row: dict[str, Any]) -> dict[str, Any]:
    """A row the engine answered (failed rows skip ``postprocess``; :func:`settle` takes both)."""
    return {"row": row["row"], "text": row.get("generated_text") or "",
            "prompt_tokens": int(row.get("num_input_tokens") or 0),
            "completion_tokens": int(row.get("num_generated_tokens") or 0), "error": ""}


def settle(row: dict[str, Any]) -> dict[str, Any]:
    """Every output row in :data:`RESULT_KEYS`, whether the engine answered it or failed it.

    Failed rows skip ``postprocess`` and keep all of Ray's columns; where both kinds share a
    block, each has the other's columns as nulls, so the error column decides.
    """
    error = row.get("__inference_error__") or ""
    if error:
        return {**postprocess(row), "text": "", "completion_tokens": 0, "error": str(error)}
    if row.get("text") is not None:
        return {k: row.get(k) or ("" if k in ("text", "error") else 0) for k in RESULT_KEYS}
    return postprocess(row)


def generation_of(row: dict[str, Any], max_tokens: int, loop_stop: bool = False) -> Generation:
    """A settled row as a :class:`Generation`; an empty answer is a failure, never an empty entity list.

    Ray Data LLM reports no finish reason: a completion that used every token was cut (``length``);
    with the loop stop on, a shorter one that is not whole JSON was cut by it (``repetition``):
    constrained decoding lets a completion end early only once its JSON is complete.
    """
    if row["error"]:
        return Generation.failed(f"the Ray Data LLM engine failed this request: {row['error']}",
                                 int(row["prompt_tokens"]))
    if not row["text"]:
        return Generation.failed("the Ray Data LLM engine returned no text for this request",
                                 int(row["prompt_tokens"]))
    ctoks = int(row["completion_tokens"])
    reason = "length" if ctoks >= max_tokens else "stop"
    if reason == "stop" and loop_stop and not _whole_json(row["text"]):
        reason = "repetition"
    return Generation(row["text"], int(row["prompt_tokens"]), ctoks, reason)


def _whole_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def engine_kwargs(*, max_model_len: int, decoding_backend: str, eager: bool, lora_rank: int | None,
                  loras: int, on_cpu: bool, kv_cache_bytes: int | None, seed: int = 0) -> dict[str, Any]:
    """vLLM engine arguments of every replica: the in-process engine's (same model length, decoding, LoRA)."""
    kwargs: dict[str, Any] = {"max_model_len": max_model_len, "seed": seed, "enable_prefix_caching": True,
                              "structured_outputs_config": {"backend": decoding_backend},
                              "enforce_eager": eager, "disable_log_stats": True}
    if on_cpu:
        kwargs["kv_cache_memory_bytes"] = kv_cache_bytes or DEFAULT_CPU_KV_CACHE_BYTES
    elif kv_cache_bytes:
        kwargs["kv_cache_memory_bytes"] = kv_cache_bytes
    if lora_rank is not None:
        kwargs.update(enable_lora=True, max_loras=lora_slots(loras, on_cpu), max_lora_rank=lora_rank)
    return kwargs


def processor_config(model: str, engine: dict[str, Any], *, replicas: int, batch_size: int, gpus: bool,
                     cpus_per_engine: float, env: dict[str, str], max_pending: int | None = None) -> dict[str, Any]:
    """``vLLMEngineProcessorConfig`` keyword arguments: tokens in, text out, failures kept as rows.

    Without GPUs in the cluster each replica asks for ``cpus_per_engine`` CPUs (the default
    placement asks for one GPU per engine and would wait for ever).
    """
    config: dict[str, Any] = {
        "model_source": model, "engine_kwargs": engine, "concurrency": replicas, "batch_size": batch_size,
        "chat_template_stage": False, "tokenize_stage": False, "detokenize_stage": False,
        "should_continue_on_error": True, "log_engine_metrics": False, "runtime_env": {"env_vars": env},
        "max_pending_requests": max_pending,
    }
    if not gpus:
        config["placement_group_config"] = {"bundles": [{"CPU": cpus_per_engine}]}
    return config
