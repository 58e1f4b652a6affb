"""CLI: bad input gives a non-zero exit and one clear line (no traceback); help stays fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_model(tmp_path: Path) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


@pytest.fixture
def adapter_for_other_base(tmp_path: Path) -> Path:
    folder = tmp_path / "ad"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": 8, "base_model_name_or_path": "mistralai/Mistral-7B-Instruct-v0.2"}))
    return folder


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_missing_path():
    res = invoke("does/not/exist.mbox")
    assert res.exit_code == 1
    assert "does/not/exist.mbox: no such file or directory" in res.output
    assert "Traceback" not in res.output


def test_empty_mailbox(tmp_path):
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    res = invoke(str(empty))
    assert res.exit_code == 1
    assert "no messages found" in res.output


def test_empty_folder(tmp_path):
    (tmp_path / "box").mkdir()
    res = invoke(str(tmp_path / "box"))
    assert res.exit_code == 1 and "no messages found" in res.output


def test_unknown_alias():
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", "gpt-17")
    assert res.exit_code == 1
    assert "unknown model 'gpt-17'" in res.output and "mixtral" in res.output


def test_registry_model_without_weights_says_where_to_put_them(isolated_cache):
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", "mixtral")
    assert res.exit_code == 1
    assert "mistralai/Mixtral-8x7B-Instruct-v0.1" in res.output
    assert str(isolated_cache / "models" / "mixtral") in res.output


def test_bad_schema_file(tmp_path):
    bad = tmp_path / "schema.json"
    bad.write_text("{not json")
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--schema", str(bad))
    assert res.exit_code == 1 and "is not valid JSON" in res.output


def test_schema_file_without_labels(tmp_path):
    bad = tmp_path / "schema.json"
    bad.write_text(json.dumps({"type": "object"}))
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--schema", str(bad))
    assert res.exit_code == 1 and "label.enum" in res.output


def test_mismatched_adapter(fake_model, adapter_for_other_base):
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model),
                 "--adapter", f"x={adapter_for_other_base}")
    assert res.exit_code == 1
    assert "was trained for base model mistralai/Mistral-7B-Instruct-v0.2" in res.output


def test_adapter_not_a_folder(fake_model, tmp_path):
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), "--adapter", f"x={tmp_path}")
    assert res.exit_code == 1 and "not a peft adapter folder" in res.output


def test_bad_adapter_syntax(fake_model):
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), "--adapter", "nonameonly")
    assert res.exit_code == 1 and "NAME=VALUE" in res.output


def test_route_to_unknown_adapter(fake_model):
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), "--route", "PEC=pec")
    assert res.exit_code == 1 and "no adapter named pec" in res.output


def test_merge_needs_one_adapter(fake_model):
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), "--merge")
    assert res.exit_code == 1 and "--merge serves exactly one adapter" in res.output


def test_models_lists_every_alias():
    res = invoke("models")
    assert res.exit_code == 0
    for alias in ("default", "llama2-7b", "llama3-8b", "phi-1.5", "mistral-7b", "mixtral", "gemma-7b", "llama3.2-1b"):
        assert alias in res.output


def test_help_does_not_import_vllm():
    code = "import sys; from extractor.cli import main; sys.argv=['x','--help'];\n" \
           "try:\n main()\nexcept SystemExit: pass\nprint('vllm' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False False")


@pytest.mark.parametrize("flag,expected", [((), False), (("--eager",), True)], ids=["compiled", "eager"])
def test_eager_flag_reaches_the_engine(fake_model, monkeypatch, flag, expected):
    """--eager is passed to vLLM as enforce_eager (the engine itself is replaced: pure plumbing)."""
    from extractor import runner

    seen = []

    class Stop(Exception):
        pass

    def fake_engine(config):
        seen.append(config)
        raise Stop

    monkeypatch.setattr(runner, "Engine", fake_engine)
    with pytest.raises(Stop):
        invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), "-q", *flag)
    assert [c.enforce_eager for c in seen] == [expected]


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
