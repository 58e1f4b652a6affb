"""CLI: bad input gives a non-zero exit and one clear line (no traceback); help stays fast."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.engine import LoopStop

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


ENGINE_FLAGS = [
    pytest.param((), {"enforce_eager": False, "loop_stop": LoopStop()}, id="defaults"),
    pytest.param(("--eager",), {"enforce_eager": True, "loop_stop": LoopStop()}, id="eager"),
    pytest.param(("--no-loop-stop",), {"enforce_eager": False, "loop_stop": None}, id="no-loop-stop"),
]


@pytest.mark.parametrize("flag,expected", ENGINE_FLAGS)
def test_engine_flags_reach_the_engine_config(fake_model, monkeypatch, flag, expected):
    """--eager and --loop-stop end up in EngineConfig (the engine itself is replaced: pure plumbing)."""
    from extractor import serving

    seen = []

    class Stop(Exception):
        pass

    def fake_engine(config):
        seen.append(config)
        raise Stop

    monkeypatch.setattr(serving, "Engine", fake_engine)
    with pytest.raises(Stop):
        invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), "-q", *flag)
    assert [{k: getattr(c, k) for k in expected} for c in seen] == [expected]


@pytest.mark.parametrize(("flag", "expected"), [
    pytest.param((), True, id="default-on"),
    pytest.param(("--recognizers", "off"), False, id="off"),
])
def test_recognizers_flag_reaches_the_run_config(fake_model, monkeypatch, flag, expected):
    from extractor import runner

    seen = []

    def fake_run(config, stop, notify=None):
        seen.append(config.recognizers)
        return runner.Summary()

    monkeypatch.setattr(runner, "run", fake_run)
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), *flag)
    assert res.exit_code == 0 and seen == [expected]
    assert res.output.strip().startswith("done: 0 messages")


def test_summary_json_is_written(fake_model, monkeypatch, tmp_path):
    from extractor import runner

    monkeypatch.setattr(runner, "run", lambda config, stop, notify=None: runner.Summary(messages=3, entities=7))
    res = invoke(str(REPO / "examples" / "italian.mbox"), "--model", str(fake_model), "-q",
                 "--summary-json", str(tmp_path / "s.json"))
    assert res.exit_code == 0 and res.output == ""
    data = json.loads((tmp_path / "s.json").read_text())
    assert (data["messages"], data["entities"]) == (3, 7)


def test_evaluate_mail_gold_with_the_recognizers_alone(tmp_path):
    """--model none scores the recognizers without an engine: pattern labels found, model labels not."""
    out = tmp_path / "rec.json"
    res = invoke("evaluate", "--model", "none", "--data", f"mailgold:{REPO / 'examples' / 'gold'}", "--split", "dev",
                 "-o", str(out))
    assert res.exit_code == 0, res.output
    report = json.loads(out.read_text())
    per_label = report["scores"]["per_label"]
    assert per_label["PER"]["tp"] == per_label["PER"]["fp"] == 0 and per_label["IBAN"]["tp"] > 0
    assert report["setup"]["recognizers"] == "on" and report["scores"]["n_messages"] == 15


def test_evaluate_mail_gold_missing_folder_is_one_line(tmp_path):
    res = invoke("evaluate", "--model", "none", "--data", f"mailgold:{tmp_path / 'nope'}")
    assert res.exit_code == 1 and "no such directory" in res.output and "Traceback" not in res.output
