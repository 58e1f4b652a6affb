"""``--ray``'s decisions without Ray: the rows it sends, what a returned row becomes, the processor's config."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.engine import LoopStop
from extractor.raydata import rows as R

MAX = 8


def test_a_request_row_becomes_the_engine_stages_input():
    schema = {"type": "object", "properties": {"entities": {"type": "array"}}}
    row = R.preprocess(R.request_row(3, (1, 2, 3), "/adapters/alpha", schema, MAX))
    assert row == {"row": 3, "tokenized_prompt": [1, 2, 3], "model": "/adapters/alpha",
                   "sampling_params": {"temperature": 0.0, "max_tokens": MAX,
                                       "structured_outputs": {"json": json.dumps(schema)}}}
    assert "structured_outputs" not in R.preprocess(R.request_row(0, [1], "base", None, MAX))["sampling_params"]
    assert "repetition_detection" not in row["sampling_params"]


def test_the_loop_stop_reaches_the_engine_core_typed():
    """Ray Data LLM builds ``SamplingParams(**row)``, so the loop stop is a mapping there; vLLM's AsyncLLM
    always sends requests to its engine core process through msgpack, whose typed decoding makes it the
    ``RepetitionDetectionParams`` the scheduler reads (checked on the installed vLLM)."""
    pytest.importorskip("vllm")
    from vllm import SamplingParams
    from vllm.sampling_params import RepetitionDetectionParams
    from vllm.v1.serial_utils import MsgpackDecoder, MsgpackEncoder

    sampling = R.preprocess(R.request_row(0, [1], "base", None, MAX, LoopStop()))["sampling_params"]
    assert sampling["repetition_detection"] == {"min_pattern_size": 12, "max_pattern_size": 128, "min_count": 3}
    params = MsgpackDecoder(SamplingParams).decode(MsgpackEncoder().encode(SamplingParams(**sampling)))
    assert params.repetition_detection == RepetitionDetectionParams(min_pattern_size=12, max_pattern_size=128,
                                                                    min_count=3)


@pytest.mark.parametrize("text,tokens,loop_stop,reason", [
    pytest.param('{"entities": [{"text": "Roma", "label": "LOC"}, {"text": "Ro', 5, True, "repetition",
                 id="cut-short-by-the-loop-stop"),
    pytest.param('{"entities": []}', 5, True, "stop", id="whole-json-ended-itself"),
    pytest.param('{"entities": [{"text": "Ro', MAX, True, "length", id="cut-at-max-tokens"),
    pytest.param('{"entities": [{"text": "Ro', 5, False, "stop", id="loop-stop-off"),
])
def test_why_a_completion_ended(text, tokens, loop_stop, reason):
    row = {"row": 0, "text": text, "prompt_tokens": 3, "completion_tokens": tokens, "error": ""}
    assert R.generation_of(row, MAX, loop_stop).finish_reason == reason


ANSWERED = {"row": 1, "generated_text": '{"entities": []}', "num_input_tokens": 5, "num_generated_tokens": 4,
            "__inference_error__": "", "prompt": ""}


@pytest.mark.parametrize("row,expected", [
    pytest.param(ANSWERED, ('{"entities": []}', 5, 4, "stop", None), id="answered"),
    pytest.param({**ANSWERED, "num_generated_tokens": MAX}, ('{"entities": []}', 5, MAX, "length", None),
                 id="cut-at-max-tokens"),
    pytest.param({**ANSWERED, "generated_text": "", "num_generated_tokens": 0},
                 ("", 5, 0, None, "the Ray Data LLM engine returned no text for this request"), id="empty-text"),
    pytest.param({"row": 1, "generated_text": "", "num_input_tokens": 0, "num_generated_tokens": 0, "prompt": "x",
                  "__inference_error__": "ValueError: token id 99999 is out of vocabulary"},
                 ("", 0, 0, None, ("the Ray Data LLM engine failed this request: ValueError: token id 99999 is "
                  "out of vocabulary")), id="failed-row"),
])
@pytest.mark.parametrize("shared_block", [False, True], ids=["own-block", "block-shared-with-the-other-kind"])
def test_a_returned_row_becomes_a_generation(row, expected, shared_block):
    out = R.postprocess(row) | {"__inference_error__": ""} if not row["__inference_error__"] else row
    if shared_block:  # Arrow unifies a block's schema: each row gets the other kind's columns as nulls
        columns = set(R.postprocess(ANSWERED)) | set(row) | {"__inference_error__"}
        out = {k: out.get(k) for k in columns}
    settled = R.settle(out)
    assert set(settled) == set(R.RESULT_KEYS) and settled["row"] == 1
    gen = R.generation_of(settled, MAX)
    assert (gen.text, gen.prompt_tokens, gen.completion_tokens, gen.finish_reason, gen.error) == expected


@pytest.mark.parametrize("gpus,placement", [
    pytest.param(False, {"bundles": [{"CPU": 0.5}]}, id="cpu-cluster-asks-cpus"),
    pytest.param(True, None, id="gpu-cluster-keeps-ray-default"),
])
def test_processor_config_places_engines_where_the_cluster_has_room(gpus, placement):
    config = R.processor_config("/m", {}, replicas=2, batch_size=4, gpus=gpus, cpus_per_engine=0.5, env={})
    assert config.get("placement_group_config") == placement
    assert (config["concurrency"], config["batch_size"], config["should_continue_on_error"]) == (2, 4, True)
    assert not (config["tokenize_stage"] or config["detokenize_stage"] or config["chat_template_stage"])


@pytest.mark.parametrize("on_cpu,lora_rank,expected", [
    pytest.param(True, None, {"kv_cache_memory_bytes": 1 << 30}, id="cpu-no-lora"),
    pytest.param(False, 8, {"enable_lora": True, "max_loras": 2, "max_lora_rank": 8}, id="gpu-lora"),
    pytest.param(True, 8, {"enable_lora": True, "max_loras": 3, "max_lora_rank": 8}, id="cpu-lora-empty-last-slot"),
])
def test_engine_kwargs_follow_the_in_process_engine(on_cpu, lora_rank, expected):
    kwargs = R.engine_kwargs(max_model_len=2048, decoding_backend="outlines", eager=False, lora_rank=lora_rank,
                             loras=2, on_cpu=on_cpu, kv_cache_bytes=None)
    assert kwargs.items() >= expected.items()
    assert (kwargs["max_model_len"], kwargs["structured_outputs_config"]) == (2048, {"backend": "outlines"})
    assert ("kv_cache_memory_bytes" in kwargs) == on_cpu


def test_ray_and_server_together_fail_with_one_line(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    box = tmp_path / "a.mbox"
    box.write_text("From a@b Mon Mar  4 09:12:00 2024\nFrom: a@b\nSubject: s\n\nciao\n")
    result = CliRunner().invoke(main, [str(box), "--model", str(model), "--ray", "--server", "http://127.0.0.1:9/v1",
                                       "-q"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().count("\n") == 0 and "--server and --ray" in result.output


@pytest.mark.parametrize("args,replicas", [
    pytest.param(["--ray"], 1, id="one-replica-by-default"),
    pytest.param(["--ray", "--concurrency", "3"], 3, id="concurrency-is-replicas"),
])
def test_concurrency_counts_engine_replicas_with_ray(tmp_path, monkeypatch, args, replicas):
    import extractor.runner
    from extractor.summary import Summary

    seen = []
    monkeypatch.setattr(extractor.runner, "run", lambda config, stop=None, notify=None: seen.append(config) or Summary())
    box = tmp_path / "a.mbox"
    box.write_text("From a@b Mon Mar  4 09:12:00 2024\nFrom: a@b\nSubject: s\n\nciao\n")
    result = CliRunner().invoke(main, [str(box), *args, "-q"])
    assert result.exit_code == 0, result.output
    assert (seen[0].ray.enabled, seen[0].ray.replicas) == (True, replicas)
