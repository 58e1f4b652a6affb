"""Fine-tuning: config, CLI, and one real LoRA run on the tiny model that is then served by vLLM.

The slow tests train on a KIND slice (skipped when ../shared/data is absent) for a few steps:
the adapter's quality is meaningless, its shape, metadata and servability are what is checked.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from data_paths import REPO_ROOT, require_shared_file, shared_data_dir

from extractor.adapters import METADATA_FILE, check_compatible, load_adapter
from extractor.errors import ConfigError, ModelNotFoundError
from extractor.models import REGISTRY, ResolvedModel, resolve_model
from extractor.settings import load_settings
from schemas import load_schema
from training.cli import train as train_command
from training.config import TrainConfig, default_eval, default_schema
from training.runs import last_checkpoint, licence_note
from training.trainer import effective_quant

# --- config ------------------------------------------------------------------------------------


def test_defaults_follow_the_data():
    kind = TrainConfig(data="kind:WN_train")
    assert (kind.schema, kind.eval, kind.model, kind.format) == ("kind", "kind:WN_dev", "default", "json")
    assert kind.out == Path("adapters/default-kind-WN_train-json")
    mail = TrainConfig(data="exports/mail.jsonl", model="/models/llama3-8b", format="alpaca")
    assert (mail.schema, mail.eval) == ("italian_email", None)
    assert mail.out == Path("adapters/llama3-8b-mail.jsonl-alpaca")
    assert default_schema("wikineural:train") == "italian_email"
    assert default_eval("kind:FIC_train") == "kind:FIC_dev"
    assert default_eval("kind:FIC_test") is None


def test_eval_none_turns_evaluation_off_and_survives_replace():
    config = TrainConfig(data="kind:WN_train", eval="none")
    assert config.eval == ""
    assert config.replace(lr=1e-4).eval == ""


@pytest.mark.parametrize(("change", "message"), [
    pytest.param({"lora_rank": 4}, "8, 16, 32, 64, 128, 256", id="rank-vllm-cannot-serve"),
    pytest.param({"lora_rank": 512}, "not one vLLM serves", id="rank-too-large"),
    pytest.param({"quant": "2bit"}, "4bit, 8bit, none", id="quant"),
    pytest.param({"format": "bio"}, "json, alpaca, inst-tags", id="format"),
    pytest.param({"max_steps": 0}, "max_steps", id="max-steps"),
    pytest.param({"lr": "fast"}, "lr must be a number", id="lr-not-a-number"),
    pytest.param({"batch_size": 2.5}, "whole number", id="batch-size-fraction"),
    pytest.param({"eval_f1": True, "format": "alpaca"}, "json format", id="f1-needs-json"),
    pytest.param({"eval_f1": True, "eval": "none"}, "needs a dev set", id="f1-needs-dev"),
    pytest.param({"resume": "maybe"}, "true or false", id="bool"),
])
def test_bad_values_are_refused(change: dict, message: str):
    with pytest.raises(ValueError, match=message):
        TrainConfig(data="kind:WN_train", **change)


def test_from_yaml_with_overrides(tmp_path: Path):
    path = tmp_path / "t.yaml"
    path.write_text("data: kind:FIC_train\nlr: 2e-4\nlora-rank: '32'\ntarget_modules: [q_proj, v_proj]\n"
                    "max_steps: 100\nextra: {warmup_steps: 0.1}\n")
    config = TrainConfig.from_yaml(path, max_steps=7, epochs=None, out=tmp_path / "ad")
    assert config.lr == 2e-4 and config.lora_rank == 32 and config.max_steps == 7
    assert config.target_modules == ("q_proj", "v_proj")
    assert config.eval == "kind:FIC_dev" and config.out == tmp_path / "ad"
    assert config.extra == {"warmup_steps": 0.1}


def test_from_yaml_errors(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="not found"):
        TrainConfig.from_yaml(tmp_path / "missing.yaml")
    typo = tmp_path / "typo.yaml"
    typo.write_text("data: kind:WN_train\nlearning_rate: 1e-4\n")
    with pytest.raises(ValueError, match="unknown training option.*learning_rate"):
        TrainConfig.from_yaml(typo)
    with pytest.raises(ValueError, match="data is required"):
        TrainConfig.from_yaml(None)
    listed = tmp_path / "list.yaml"
    listed.write_text("- data\n")
    with pytest.raises(ValueError, match="mapping"):
        TrainConfig.from_yaml(listed)


def test_example_config_loads():
    config = TrainConfig.from_yaml(REPO_ROOT / "examples" / "train.yaml")
    assert config.data == "kind:WN_train" and config.format == "json" and config.schema == "kind"
    assert config.lora_rank == 16 and config.quant == "none"


# --- helpers -----------------------------------------------------------------------------------


def test_quant_falls_back_on_cpu_with_a_message():
    quant, message = effective_quant("4bit", cuda=False)
    assert quant == "none"
    assert "--quant 4bit needs CUDA" in message and "unquantised" in message
    assert effective_quant("8bit", cuda=True) == ("8bit", None)
    assert effective_quant("none", cuda=False) == ("none", None)


def test_licence_note_for_non_commercial_data():
    assert licence_note("kind:WN_train", "kind:WN_dev") == "KIND annotations: CC BY-NC 4.0; adapter for non-commercial use"
    assert "WikiNEuRal" in licence_note("wikineural:train")
    assert licence_note("exports/mail.jsonl", None) is None


def test_last_checkpoint(tmp_path: Path):
    assert last_checkpoint(tmp_path / "none") is None
    for step in (5, 40, 10):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-99").mkdir()  # interrupted while saving: no trainer state
    assert last_checkpoint(tmp_path) == tmp_path / "checkpoint-40"


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    runner = CliRunner()
    result = runner.invoke(train_command, ["--lora-rank", "32"])
    assert result.exit_code == 1 and result.output.strip() == (
        "Error: data is required: pass --data or set data: in the config file")
    result = runner.invoke(train_command, ["--data", "kind:WN_train", "--lora-rank", "4"])
    assert result.exit_code == 2 and "'4' is not one of" in result.output
    result = runner.invoke(train_command, ["--config", str(tmp_path / "nope.yaml"), "--data", "x.jsonl"])
    assert result.exit_code == 1 and "nope.yaml not found" in result.output

    def refuse(config: TrainConfig) -> Path:
        raise ModelNotFoundError("weights for llama3-8b are not on this machine\nand the hub is off")

    monkeypatch.setattr("training.trainer.train", refuse)
    result = runner.invoke(train_command, ["--data", "kind:WN_train", "-m", "llama3-8b"])
    assert result.exit_code == 1
    assert result.output == "Error: weights for llama3-8b are not on this machine and the hub is off\n"


def test_cli_passes_options_through(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    seen: list[TrainConfig] = []
    monkeypatch.setattr("training.trainer.train", lambda config: seen.append(config) or config.out)
    result = CliRunner().invoke(train_command, [
        "--config", str(REPO_ROOT / "examples" / "train.yaml"), "--format", "inst-tags", "--quant", "4bit",
        "--max-steps", "3", "--limit", "8", "--eval", "none", "--target-modules", "q_proj, v_proj",
        "--lora-rank", "8", "--restart", "-q", "--out", str(tmp_path / "ad"),
    ])
    assert result.exit_code == 0, result.output
    (config,) = seen
    assert (config.format, config.quant, config.max_steps, config.limit, config.eval) == ("inst-tags", "4bit", 3, 8, "")
    assert config.target_modules == ("q_proj", "v_proj") and config.lora_rank == 8
    assert config.resume is False and config.progress is False and config.out == tmp_path / "ad"
    assert config.lr == 2e-4  # from the YAML


def test_cli_is_registered_and_help_is_fast():
    import subprocess
    import sys

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "extractor.cli", "train", "--help"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "--quant [4bit|8bit|none]" in proc.stdout and "--format [json|alpaca|inst-tags]" in proc.stdout
    assert time.perf_counter() - t0 < 20
    probe = "import sys, extractor.cli; print(sorted({'torch', 'trl', 'peft', 'vllm'} & set(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.stdout.strip() == "[]", proc.stderr


# --- one real run on the tiny model --------------------------------------------------------------

@pytest.fixture(scope="module")
def data_root() -> Path:
    require_shared_file("kind", "WN_train.tsv")
    root = shared_data_dir()
    assert root is not None
    return root


@pytest.fixture(scope="module")
def trained(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A LoRA trained for 5 steps on 16 KIND sentences, asking for 4bit (which falls back on CPU),
    then scored on 8 dev sentences through vLLM (``eval_f1``)."""
    from training.trainer import train

    out = tmp_path_factory.mktemp("trained") / "kind-lora"
    messages: list[str] = []
    config = TrainConfig(data="kind:WN_train", model=str(tiny_model), out=out, limit=16, eval_limit=8,
                         max_steps=5, eval_steps=2, batch_size=4, grad_accum=1, lora_rank=8, lora_alpha=16,
                         quant="4bit", logging_steps=1, data_root=data_root, progress=False, eval_f1=True)
    t0 = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EXTRACT_ENTITIES_CACHE", str(tmp_path_factory.mktemp("cache")))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("EXTRACT_ENTITIES_KV_CACHE_BYTES", str(256 << 20))
        path = train(config, echo=messages.append)
    return {"out": path, "messages": messages, "config": config, "seconds": time.perf_counter() - t0}


@pytest.mark.slow
@pytest.mark.engine
def test_adapter_folder_and_metadata(trained: dict, tiny_model: Path):
    out: Path = trained["out"]
    assert out == trained["config"].out
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "adapter_model.safetensors",
                                                     METADATA_FILE]
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["r"] == 8 and cfg["lora_alpha"] == 16 and cfg["peft_type"] == "LORA"
    assert set(cfg["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    meta = json.loads((out / METADATA_FILE).read_text())
    schema = load_schema("kind")
    assert meta["base_model"] == meta["base_checkpoint"] == str(tiny_model.resolve())
    assert meta["schema"] == "kind" and meta["schema_fingerprint"] == schema.fingerprint()
    assert (meta["format"], meta["prompt_format"], meta["shots"]) == ("json", "chat", 0)
    assert meta["labels"] == ["PER", "ORG", "LOC"]
    assert (meta["data"], meta["eval_data"], meta["n_train"], meta["n_eval"], meta["steps"]) == (
        "kind:WN_train", "kind:WN_dev", 16, 8, 5)
    assert meta["quant"] == "none" and meta["quant_requested"] == "4bit"
    assert meta["best_step"] in (2, 4, 5)
    assert {"train_loss", "eval_loss", "best_eval_loss", "eval_f1", "eval_precision", "eval_recall"} <= set(
        meta["metrics"])
    assert 0.0 <= meta["metrics"]["eval_f1"] <= 1.0 and meta["metrics"]["eval_f1_examples"] == 8
    assert meta["licence"] == "KIND annotations: CC BY-NC 4.0; adapter for non-commercial use"
    assert meta["created"].endswith("+00:00")
    assert any("--quant 4bit needs CUDA" in m for m in trained["messages"])
    assert not (out / "checkpoints").exists()
    from safetensors import safe_open

    with safe_open(str(out / "adapter_model.safetensors"), "pt") as weights:
        keys = list(weights.keys())
    assert keys and all("lora_A" in k or "lora_B" in k for k in keys)  # no embeddings / lm_head: vocab untouched


@pytest.mark.slow
@pytest.mark.engine
def test_prompt_tokens_are_the_serving_tokens(tiny_model: Path):
    from transformers import AutoTokenizer

    from extractor.prompts import PromptBuilder
    from training.trainer import build_rows, tokenize_pair

    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    prompt = PromptBuilder(load_schema("kind"), 0, "chat", tok).render("Mario Rossi è a Roma.")
    completion = '{"entities": [{"text": "Mario Rossi", "label": "PER"}]}'
    ids, mask = tokenize_pair(tok, prompt, completion)
    n_prompt = mask.index(1)
    assert ids[:n_prompt] == tok(prompt)["input_ids"]  # what vLLM feeds the model for this prompt
    assert tok.decode(ids[n_prompt:]) == completion + tok.eos_token
    assert ids[-1] == tok.eos_token_id
    from training.formats import Pair

    rows = build_rows([Pair(prompt, completion), Pair(prompt * 20, completion)], tok, max_seq_len=len(ids))
    assert len(rows) == 1 and rows.skipped_long == 1


@pytest.mark.slow
@pytest.mark.engine
def test_adapter_loads_for_its_base_and_schema(trained: dict, tiny_model: Path):
    adapter = load_adapter("kind", trained["out"])
    assert adapter.rank == 8
    model = resolve_model(str(tiny_model), load_settings())
    check_compatible(adapter, model, load_schema("kind").fingerprint())
    with pytest.raises(ConfigError, match="trained for schema kind"):
        check_compatible(adapter, model, load_schema("italian_email").fingerprint())


@pytest.mark.slow
@pytest.mark.engine
def test_adapter_for_another_base_is_refused(trained: dict, tmp_path: Path, tiny_model: Path):
    adapter = load_adapter("kind", trained["out"])
    other = ResolvedModel("llama3-8b", "/models/llama3-8b", REGISTRY["llama3-8b"], True)
    with pytest.raises(ConfigError, match=r"was trained for base model .*, not llama3-8b: pass --model"):
        check_compatible(adapter, other)

    # The same weights declared for another base (metadata and adapter_config) are refused on the tiny model.
    moved = tmp_path / "moved"
    shutil.copytree(trained["out"], moved)
    meta = json.loads((moved / METADATA_FILE).read_text())
    meta.update(base_model="mistral-7b", base_checkpoint="mistralai/Mistral-7B-Instruct-v0.2")
    (moved / METADATA_FILE).write_text(json.dumps(meta))
    cfg = json.loads((moved / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "mistralai/Mistral-7B-Instruct-v0.2"
    (moved / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(ConfigError, match="was trained for base model mistral-7b, not .*: pass --model mistral-7b"):
        check_compatible(load_adapter("moved", moved), resolve_model(str(tiny_model), load_settings()))


@pytest.mark.slow
@pytest.mark.engine
def test_resume_seed_format_and_registry_base(tiny_model: Path, data_root: Path, tmp_path: Path):
    """An alpaca-format run kept at 2 steps, then resumed to 3: it continues from checkpoint-2.

    The base is the tiny model in a folder named after a registry alias, so the metadata records
    the alias and its checkpoint id, as for a real registry model.
    """
    from training.trainer import train

    aliased = tmp_path / "llama3.2-1b"
    aliased.symlink_to(tiny_model, target_is_directory=True)
    config = partial(TrainConfig, data="kind:WN_train", model=str(aliased), out=tmp_path / "ad", limit=8,
                     eval="none", format="alpaca", batch_size=4, grad_accum=1, lora_rank=8, eval_steps=2,
                     data_root=data_root, progress=False)
    first: list[str] = []
    train(config(max_steps=2, keep_checkpoints=True), echo=first.append)
    assert last_checkpoint(tmp_path / "ad" / "checkpoints") == tmp_path / "ad" / "checkpoints" / "checkpoint-2"
    second: list[str] = []
    train(config(max_steps=3), echo=second.append)
    assert any(m.startswith("resuming from") and m.endswith("checkpoint-2") for m in second)
    assert not (tmp_path / "ad" / "checkpoints").exists()

    meta = json.loads((tmp_path / "ad" / METADATA_FILE).read_text())
    assert (meta["steps"], meta["format"], meta["prompt_format"], meta["eval_data"]) == (3, "alpaca", None, None)
    assert "eval_loss" not in meta["metrics"]
    spec = REGISTRY["llama3.2-1b"]
    assert (meta["base_model"], meta["base_checkpoint"]) == (spec.alias, spec.checkpoint)
    cfg = json.loads((tmp_path / "ad" / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == spec.checkpoint  # portable, not this machine's path
    check_compatible(load_adapter("a", tmp_path / "ad"), resolve_model(str(aliased), load_settings()))
    with pytest.raises(ConfigError, match="trained for base model llama3.2-1b"):
        check_compatible(load_adapter("a", tmp_path / "ad"), resolve_model(str(tiny_model), load_settings()))


@pytest.mark.slow
@pytest.mark.engine
def test_trained_adapter_is_served_and_scored(trained: dict, tiny_model: Path, data_root: Path,
                                              monkeypatch: pytest.MonkeyPatch):
    """Through the serving path: vLLM loads the adapter and the harness scores its answers."""
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    monkeypatch.setenv("EXTRACT_ENTITIES_KV_CACHE_BYTES", str(256 << 20))
    from training.evaluate import EvalConfig, evaluate

    report = evaluate(EvalConfig(model=str(tiny_model), adapter=f"kind={trained['out']}", data="kind:WN_test",
                                 limit=8, schema="kind", data_root=data_root))
    assert report.n_examples == 8 and report.adapter == "kind"
    assert report.extra["schema"] == load_schema("kind").name
    assert 0.0 <= report.f1 <= 1.0
    # Scored on the labels of the whole split, not only those in its first 8 sentences.
    assert report.scores.labels == ("LOC", "ORG", "PER")
