"""Every registry entry, as a tiny random model of its real architecture: templates, LoRA targets,
train -> serve (adapter and merged) -> evaluate, and the prompt the trainer saw is the one served.

The tiny models come from :mod:`benchmarks.tiny_archs`. What they generate is noise; the tests
assert what the code decides: the prompt format, the BOS count, the LoRA targets written, that
the served prompt matched the trained one, and that every example got a prediction or an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from data_paths import require_shared_file

from benchmarks.tiny_archs import FAMILIES, build_all
from extractor.errors import ConfigError
from extractor.models import REGISTRY, find_spec
from extractor.prompt_check import check_served_prompt, probe
from extractor.prompts import PromptBuilder, encode_prompt
from schemas import load_schema

ALIASES = list(REGISTRY)


@pytest.fixture(scope="module")
def families(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("families"))


def _tokenizer(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(folder))


def test_every_registry_entry_has_a_tiny_family():
    assert sorted(FAMILIES) == sorted(REGISTRY)


@pytest.mark.parametrize("alias", ALIASES)
def test_prompt_format_and_one_bos(families: dict[str, Path], alias: str):
    """The registry's prompt format renders with the family's template; the encoded prompt has one BOS."""
    tok = _tokenizer(families[alias])
    spec = find_spec(alias)
    builder = PromptBuilder(load_schema("kind"), 2, spec.prompt_format, tok)
    assert builder.prompt_format == spec.prompt_format
    ids = encode_prompt(tok, builder.render("Mario Rossi vive a Roma."))
    if tok.bos_token_id is not None:
        assert ids[0] == tok.bos_token_id
        turns = 3 if alias == "llama2-7b" else 1  # Llama-2 opens every [INST] turn with <s>
        assert ids.count(tok.bos_token_id) == turns
    assert tok.decode(ids, skip_special_tokens=False).endswith(builder.render("Mario Rossi vive a Roma.")[-20:])


@pytest.mark.parametrize(("alias", "refuses_system"), [
    ("gemma-7b", True), ("mistral-7b", True), ("mixtral", True),
    ("llama2-7b", False), ("llama3-8b", False), ("llama3.2-1b", False), ("default", False),
])
def test_system_role_as_the_family_does(families: dict[str, Path], alias: str, refuses_system: bool):
    """Templates refusing a system role get the instruction folded into the first user turn."""
    tok = _tokenizer(families[alias])
    messages = [{"role": "system", "content": "ISTRUZIONE"}, {"role": "user", "content": "testo"}]
    if refuses_system:
        with pytest.raises(Exception, match="(?i)system role|alternate"):
            tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt = PromptBuilder(load_schema("kind"), 0, "chat", tok).render("MESSAGGIO_QUI")
    assert prompt.count("MESSAGGIO_QUI") == 1
    assert prompt.index("Estrai") < prompt.index("MESSAGGIO_QUI")


@pytest.mark.parametrize("alias", ALIASES)
def test_registry_lora_targets_are_linear_layers(families: dict[str, Path], alias: str):
    import transformers

    from training.runs import target_modules

    arch = json.loads((families[alias] / "config.json").read_text())["architectures"][0]
    model = getattr(transformers, arch).from_pretrained(str(families[alias]))
    assert target_modules(model, REGISTRY[alias].lora_targets) == list(REGISTRY[alias].lora_targets)


PROBE_CASES = {
    "same prompt": (0, None, "matched"),
    "other shots": (1, "would be served a prompt it was not trained on", None),
    "other tokenizer ids": (0, "token ids differ", None),
}


@pytest.mark.parametrize("case", list(PROBE_CASES), ids=list(PROBE_CASES))
def test_served_prompt_check(families: dict[str, Path], case: str):
    tok = _tokenizer(families["gemma-7b"])
    schema = load_schema("kind")
    trained = PromptBuilder(schema, 0, "chat", tok)
    metadata = {"shots": 0, "schema": "kind", "prompt_format": "chat",
                "prompt_probe": probe(trained.render, lambda p: encode_prompt(tok, p))}
    shots, error, status = PROBE_CASES[case]
    served = PromptBuilder(schema, shots, "chat", tok)

    def served_ids(text: str) -> list[int]:
        ids = encode_prompt(tok, served.render(text))
        return ids[1:] if case == "other tokenizer ids" else ids

    if error:
        with pytest.raises(ConfigError, match=error):
            check_served_prompt("a", metadata, served.render, served_ids, shots)
    else:
        assert check_served_prompt("a", metadata, served.render, served_ids, shots) == status
    assert check_served_prompt("a", {}, served.render, served_ids, shots) == "not recorded"


LORA_REFUSED_ON_CPU = {"mixtral"}
"""Mixture-of-experts: vLLM's CPU backend runs its MoE LoRA kernels in Triton, so unmerged adapters are refused."""


def _on_cpu() -> bool:
    from extractor.engine import on_cpu

    return on_cpu()


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], check=False, env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=900)


@pytest.mark.slow
@pytest.mark.engine
@pytest.mark.parametrize("alias", ALIASES)
def test_train_serve_evaluate(families: dict[str, Path], alias: str, tmp_path: Path, isolated_cache: Path):
    """``train`` a few steps with the registry's targets, ``evaluate`` with ``--adapter`` and ``--merge``."""
    data = require_shared_file("kind", "WN_train.tsv").parents[1]
    env = {**os.environ, "EXTRACT_ENTITIES_MODELS": str(families[alias].parent), "EXTRACT_ENTITIES_DATA": str(data),
           "EXTRACT_ENTITIES_KV_CACHE_BYTES": str(64 << 20), "VLLM_ENABLE_V1_MULTIPROCESSING": "0",
           "HF_HUB_OFFLINE": "1"}
    model = str(families[alias]) if alias == "default" else alias
    adapter = tmp_path / "adapter"
    done = _cli(["train", "--model", model, "--data", "kind:WN_train", "--limit", "16", "--max-steps", "2",
                 "--batch-size", "4", "--grad-accum", "1", "--eval", "kind:WN_dev", "--eval-limit", "4",
                 "--eval-steps", "2", "-o", str(adapter), "-q"], env, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    written = json.loads((adapter / "adapter_config.json").read_text())
    assert sorted(written["target_modules"]) == sorted(REGISTRY[alias].lora_targets)
    meta = json.loads((adapter / "extract_entities.json").read_text())
    assert meta["base_model"] == alias and meta["prompt_format"] == REGISTRY[alias].prompt_format
    assert meta["prompt_probe"]["n_ids"] > 0

    for how in ("adapter", "merged"):
        report_path = tmp_path / f"{how}.json"
        args = ["evaluate", "--model", model, "--adapter", f"tiny={adapter}", "--data", "kind:WN_test",
                "--limit", "3", "--eager", "--max-tokens", "32", "--max-model-len", "2048", "-o", str(report_path)]
        done = _cli(args + (["--merge"] if how == "merged" else []), env, tmp_path)
        if how == "adapter" and alias in LORA_REFUSED_ON_CPU and _on_cpu():
            assert done.returncode == 1 and "cannot serve LoRA adapters" in done.stderr, done.stderr[-3000:]
            continue
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(report_path.read_text())
        assert report["model"] == model and report["n_examples"] == 3 and report["shots"] == 0
        assert report["adapter"] == ("tiny (merged)" if how == "merged" else "tiny")
        assert report["extra"]["prompt_check"] == "tiny: matched"
        # The engine generated for every example (an engine failure generates nothing); a random model's
        # answer may only be cut before its first entity.
        assert report["extra"]["completion_tokens"] > 0
        reasons = report["extra"]["error_reasons"]
        assert all(r.startswith("model output") for r in reasons), reasons
        assert sum(reasons.values()) == report["extra"]["errors"] <= 3


TOKEN_ALIASES = [a for a in ALIASES if FAMILIES[a].token_architecture]
SERVED_BY_TRANSFORMERS = {"gemma-7b", "mixtral", "phi-1.5"}
"""vLLM's Gemma and Mixtral classes ignore ``is_causal=False`` (the classifier's probe finds them causal) and
Phi has only vLLM's Transformers backend: the token classifier serves these with transformers."""


@pytest.mark.slow
@pytest.mark.engine
@pytest.mark.parametrize("alias", TOKEN_ALIASES)
def test_token_method_trains_and_serves(families: dict[str, Path], alias: str, tmp_path: Path, isolated_cache: Path):
    """``train --method tokens`` on the architecture's ``*ForTokenClassification``, served by vLLM's pooling runner
    (bidirectional) with the logits transformers gives, then ``evaluate`` through the tokens method."""
    data = require_shared_file("kind", "WN_train.tsv").parents[1]
    env = {**os.environ, "EXTRACT_ENTITIES_MODELS": str(families[alias].parent), "EXTRACT_ENTITIES_DATA": str(data),
           "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "HF_HUB_OFFLINE": "1"}
    model = str(families[alias]) if alias == "default" else alias
    adapter = tmp_path / "tokens"
    done = _cli(["train", "--method", "tokens", "--model", model, "--data", "kind:WN_train", "--limit", "16",
                 "--max-steps", "2", "--batch-size", "4", "--eval", "kind:WN_dev", "--eval-limit", "4",
                 "--eval-steps", "2", "-o", str(adapter), "-q"], env, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    meta = json.loads((adapter / "extract_entities.json").read_text())
    assert meta["method"] == "tokens" and meta["base_model"] == alias

    check = subprocess.run([sys.executable, str(Path(__file__).with_name("token_backends_check.py")),
                            str(families[alias]), str(adapter), str(tmp_path / "merged")],
                           check=False, env=env, text=True, capture_output=True, timeout=600)
    assert check.returncode == 0, check.stderr[-3000:]
    result = json.loads(next(line for line in check.stdout.splitlines() if line.startswith("RESULT "))[7:])
    expected = "transformers" if alias in SERVED_BY_TRANSFORMERS else "vllm"
    assert result["backend"] == expected and result["same_argmax"], result
    assert result["max_abs_diff"] < 1e-3, result

    report_path = tmp_path / "report.json"
    done = _cli(["evaluate", "--model", model, "--adapter", f"tok={adapter}", "--data", "kind:WN_test", "--limit", "3",
                 "--eager", "-o", str(report_path)], env, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["extra"]["method"] == "tokens" and report["extra"]["backend"] == expected
    assert report["n_examples"] == 3 and report["extra"]["errors"] == 0
