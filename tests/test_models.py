"""Model resolution: aliases, checkpoint ids, local folders, missing weights."""

from __future__ import annotations

import pytest

from extractor.errors import ModelNotFoundError
from extractor.models import REGISTRY, find_spec, resolve_model
from extractor.settings import load_settings


def test_registry_covers_the_compared_models():
    assert set(REGISTRY) == {"default", "llama2-7b", "llama3-8b", "phi-1.5", "mistral-7b", "mixtral", "gemma-7b",
                             "llama3.2-1b"}
    assert REGISTRY["mixtral"].lora_targets == ("q_proj", "k_proj", "v_proj", "o_proj")
    assert REGISTRY["phi-1.5"].prompt_format == "alpaca"


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACT_ENTITIES_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return load_settings()


def make_folder(path):
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


CASES = [
    # id, name, folder to create under models_dir (or None), expected resolved name, expects error substring
    ("alias-in-models-dir", "mistral-7b", "mistral-7b", "mistral-7b", None),
    ("alias-by-checkpoint-folder", "llama3-8b", "meta-llama--Meta-Llama-3-8B-Instruct", "llama3-8b", None),
    ("checkpoint-id-maps-to-alias", "mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral", "mixtral", None),
    ("alias-missing-offline", "gemma-7b", None, None, "google/gemma-7b-it"),
    ("unknown-word", "gpt-17", None, None, "unknown model 'gpt-17'"),
    ("unknown-hub-id-offline", "org/some-model", None, None, "hub is off"),
]


@pytest.mark.parametrize("name,folder,expected,error", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resolve(settings, name, folder, expected, error):
    if folder:
        make_folder(settings.models_dir / folder)
    if error:
        with pytest.raises(ModelNotFoundError, match=error.replace("(", r"\(")):
            resolve_model(name, settings)
        return
    res = resolve_model(name, settings)
    assert res.name == expected and res.local
    assert res.path.endswith(folder)


def test_local_folder_path(settings, tmp_path):
    folder = make_folder(tmp_path / "mymodel")
    res = resolve_model(str(folder), settings)
    assert res.path == str(folder.resolve()) and res.spec is None and res.prompt_format == "chat"


def test_folder_without_config_is_refused(settings, tmp_path):
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        resolve_model(str(tmp_path), settings)


def test_missing_weights_message_names_the_folder(settings):
    with pytest.raises(ModelNotFoundError) as exc:
        resolve_model("mixtral", settings)
    assert str(settings.models_dir / "mixtral") in str(exc.value)


def test_find_spec():
    assert find_spec("microsoft/phi-1_5").alias == "phi-1.5"
    assert find_spec("nothing") is None
