"""The tokens method through a real vLLM pooling server (``vllm serve`` on 127.0.0.1) on a tiny trained adapter.

The server is started on the folder and with the options that ``extract-entities merge`` plans
(:func:`extractor.client.serve.plan_serving`), so the printed command is the one tested. Records
must carry the spans the same merged classifier gives in-process; a server killed mid-run stops
the run with one line, and once it is back the run resumes with no message lost or doubled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_server_client import kill_mid_run_then_resume, lines, write_mbox
from test_token_method import token_base, token_data, trained_adapter  # noqa: F401 - session fixtures
from vllm_server import API_KEY, VllmServer

from extractor.cli import main
from extractor.client.http import describe_server
from extractor.client.options import ServerOptions
from extractor.client.pooling import PoolingBackend
from extractor.client.serve import ServePlan, plan_serving
from extractor.runner import RunConfig, run
from extractor.settings import load_settings
from extractor.tokens import TokenClassifier, TokenEngineConfig

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture(scope="session")
def serve_plan(token_base: Path, trained_adapter: Path, tmp_path_factory) -> ServePlan:  # noqa: F811
    cache = tmp_path_factory.mktemp("token-serve-cache")
    settings = load_settings({"EXTRACT_ENTITIES_CACHE": str(cache), "HF_HUB_OFFLINE": "1"})
    return plan_serving(str(token_base), f"tok={trained_adapter}", settings)


@pytest.fixture(scope="session")
def pooling_server(serve_plan: ServePlan, tmp_path_factory) -> Iterator[VllmServer]:
    pytest.importorskip("vllm", reason="vllm is not installed: the server tests need `vllm serve`")
    # VllmServer's own --served-model-name and --max-model-len come first; the plan's win (argparse: last one)
    server = VllmServer(serve_plan.folder, {}, tmp_path_factory.mktemp("pool-serve") / "server.log",
                        max_model_len=512, eager=True, kv_cache_bytes=64 << 20,
                        extra=(*serve_plan.args, "--dtype", "float32"))
    server.start()
    try:
        yield server
    finally:
        server.kill()


def config(base: Path, adapter: Path, inputs: list[Path], out: Path, url: str, **server: object) -> RunConfig:
    return RunConfig(inputs=tuple(map(str, inputs)), model=str(base), adapters=(f"tok={adapter}",), output=out,
                     schema="kind", batch_size=4, progress=False, include_text=True, settings=load_settings(),
                     server=ServerOptions(url=url, **server))  # type: ignore[arg-type]


def test_the_planned_command_serves_the_merged_classifier(serve_plan: ServePlan):
    assert serve_plan.method == "tokens" and (serve_plan.folder / "config.json").is_file()
    assert json.loads((serve_plan.folder / "config.json").read_text())["is_causal"] is False
    assert serve_plan.command().startswith(f"vllm serve {serve_plan.folder} --served-model-name tok --runner pooling")


def test_the_merge_command_prints_the_folder_and_the_serve_line(serve_plan, token_base, trained_adapter,  # noqa: F811
                                                                 tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACT_ENTITIES_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(main, ["merge", "--adapter", f"tok={trained_adapter}", "--model", str(token_base)])
    assert result.exit_code == 0, result.output
    folder = Path(result.stdout.strip())
    assert (folder / "config.json").is_file() and folder.name == serve_plan.folder.name
    assert "--runner pooling" in result.stderr and f"--adapter tok={trained_adapter}" in result.stderr


def test_server_records_equal_the_in_process_classifier(pooling_server, serve_plan, tmp_path, monkeypatch,
                                                        token_base, trained_adapter):  # noqa: F811
    monkeypatch.setenv("EXTRACT_ENTITIES_API_KEY", API_KEY)
    box, out = tmp_path / "a.mbox", tmp_path / "out.jsonl"
    write_mbox(box, 12)
    summary = run(config(token_base, trained_adapter, [box], out, pooling_server.url, concurrency=2))
    records = lines(out)
    assert (summary.messages, summary.errors, len(records)) == (12, 0, 12)
    assert summary.options["method"] == "tokens" and summary.options["backend"] == "vllm-server"
    meta = json.loads((trained_adapter / "extract_entities.json").read_text())
    reference = TokenClassifier(TokenEngineConfig(model=str(serve_plan.folder), backend="transformers",
                                                  max_len=meta["max_seq_len"], overlap=meta["overlap"],
                                                  dtype="float32"))
    want = reference.extract_texts([r["text"] for r in records])
    got = [[(e["text"], e["label"], e["start"], e["end"]) for e in r["entities"]] for r in records]
    assert got == [[(e.text, e.label, e.start, e.end) for e in ents] for ents in want]
    # Equal spans could be equally empty: the logits themselves come back equal to the in-process ones.
    ids = [list(w) for r in records[:4] for w in reference.encode(r["text"]).inputs]
    served = PoolingBackend(describe_server(pooling_server.url, API_KEY), ServerOptions(url=pooling_server.url),
                            API_KEY).logits(ids)
    for got_row, want_row in zip(served, reference.backend.logits(ids), strict=True):
        assert got_row.shape == want_row.shape and (got_row.argmax(-1) == want_row.argmax(-1)).all()
        np.testing.assert_allclose(got_row, want_row, atol=1e-4)
    assert {r["adapter"] for r in records} == {"tok"}


def test_pooling_server_killed_mid_run_then_restarted_resumes_exactly_once(pooling_server, tmp_path, monkeypatch,
                                                                           token_base, trained_adapter):  # noqa: F811
    monkeypatch.setenv("EXTRACT_ENTITIES_API_KEY", API_KEY)
    n = 1500
    box, out = tmp_path / "a.mbox", tmp_path / "out.jsonl"
    write_mbox(box, n)
    cfg = replace(config(token_base, trained_adapter, [box], out, pooling_server.url, concurrency=1, retries=1,
                         backoff_s=0.1), batch_size=1)
    kill_mid_run_then_resume(cfg, pooling_server, n, out)
    assert not lines(out.with_name("out.errors.jsonl"))


def test_a_generate_server_is_refused_for_the_tokens_method_in_one_line(vllm_server, tiny_model, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setenv("EXTRACT_ENTITIES_API_KEY", API_KEY)
    adapter = tmp_path / "tok"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8}))
    (adapter / "extract_entities.json").write_text(json.dumps({
        "method": "tokens", "labels": ["O", "B-PER", "I-PER"], "entity_labels": ["PER"],
        "base_model": str(tiny_model), "schema": "kind"}))
    box = tmp_path / "a.mbox"
    write_mbox(box, 1)
    result = CliRunner().invoke(main, [str(box), "--model", str(tiny_model), "--server", vllm_server.url,
                                       "--adapter", f"tok={adapter}", "--schema", "kind", "-q"])
    assert result.exit_code == 1
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "does no token classification" in message, message
    assert "extract-entities merge" in message
