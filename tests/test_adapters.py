"""Adapters: NAME=PATH parsing, stable ids, base/schema compatibility, routing."""

from __future__ import annotations

import json

import pytest

from extractor.adapters import Adapter, Router, check_compatible, load_adapter, parse_pairs
from extractor.errors import ConfigError
from extractor.models import REGISTRY, ResolvedModel


def make_adapter(tmp_path, name="a", r=8, base="Qwen/Qwen2.5-Coder-0.5B-Instruct", meta=None):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": r, "base_model_name_or_path": base}))
    if meta is not None:
        (folder / "extract_entities.json").write_text(json.dumps(meta))
    return folder


DEFAULT = ResolvedModel("default", "/cache/models/qwen2.5-coder-0.5b-instruct", REGISTRY["default"], True)


def test_parse_pairs():
    assert parse_pairs(["a=b", " x = y/z=1 "], "--adapter") == [("a", "b"), ("x", "y/z=1")]
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        parse_pairs(["=b"], "--adapter")


def test_stable_ids(tmp_path):
    a = load_adapter("fatture", make_adapter(tmp_path, "x"))
    b = load_adapter("fatture", make_adapter(tmp_path, "y"))
    c = load_adapter("pec", make_adapter(tmp_path, "z"))
    assert a.int_id == b.int_id != c.int_id and a.int_id >= 1


def test_rank_must_be_servable(tmp_path):
    with pytest.raises(ConfigError, match="rank 12"):
        load_adapter("a", make_adapter(tmp_path, r=12))


COMPAT = [
    ("checkpoint-id", "Qwen/Qwen2.5-Coder-0.5B-Instruct", None, None),
    ("local-path-of-base", "/cache/models/qwen2.5-coder-0.5b-instruct", None, None),
    ("metadata-alias", "/somewhere/else", {"base_model": "default"}, None),
    ("other-base", "mistralai/Mistral-7B-Instruct-v0.2", None, "trained for base model"),
    ("metadata-other-base-wins", "Qwen/Qwen2.5-Coder-0.5B-Instruct", {"base_model": "mistral-7b"}, "trained for base"),
    ("other-schema", "Qwen/Qwen2.5-Coder-0.5B-Instruct", {"schema": "kind", "schema_fingerprint": "0000"}, "schema kind"),
]


@pytest.mark.parametrize("base,meta,error", [c[1:] for c in COMPAT], ids=[c[0] for c in COMPAT])
def test_check_compatible(tmp_path, base, meta, error):
    adapter = load_adapter("a", make_adapter(tmp_path, base=base, meta=meta))
    if error:
        with pytest.raises(ConfigError, match=error):
            check_compatible(adapter, DEFAULT, "ffff")
    else:
        check_compatible(adapter, DEFAULT, "ffff")


ROUTES = [
    ("folder-match", "/m/Maildir", "PEC", "pec"),
    ("file-name-match", "/m/fatture-2024.mbox", None, "fatture"),
    ("base-route", "/m/spam.mbox", None, None),
    ("default-first-adapter", "/m/other.mbox", "INBOX", "fatture"),
]


@pytest.mark.parametrize("source,folder,expected", [c[1:] for c in ROUTES], ids=[c[0] for c in ROUTES])
def test_router(tmp_path, source, folder, expected):
    adapters = {n: Adapter(n, tmp_path, 8, None, {}) for n in ("fatture", "pec")}
    router = Router.build([("PEC", "pec"), ("fatture-*", "fatture"), ("spam.mbox", "base")], adapters)
    assert router.pick(source, folder) == expected


def test_router_without_adapters_uses_base():
    assert Router.build([], {}).pick("/x.mbox", None) is None
