"""Classes through the real engine (the tiny model): one constrained generation per message.

What the tiny model says is not asserted; what the code decides is: every message ends as a
record or an error record, each record's ``classes`` holds exactly the asked class schemas, each
value is one of its labels (the JSON schema allows nothing else), and with ``--schema none`` the
completion is the class field alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.config import EngineOptions
from extractor.runner import RunConfig, run
from extractor.settings import load_settings
from schemas.classes import SENTIMENT, SPAM

pytestmark = [pytest.mark.engine, pytest.mark.slow]
MBOX = Path(__file__).resolve().parents[1] / "examples" / "italian.mbox"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def classify(engine, tiny_model, tiny_adapters, tmp_path, schema, classify, max_tokens):
    out = tmp_path / "out.jsonl"
    adapters = tuple(f"{n}={p}" for n, p in tiny_adapters.items())
    summary = run(RunConfig(inputs=(str(MBOX),), model=str(tiny_model), adapters=adapters, output=out, schema=schema,
                            classify=classify, shots=0, max_tokens=max_tokens, progress=False,
                            engine=EngineOptions(max_model_len=2048), settings=load_settings()), engine=engine)
    return summary, read_jsonl(out), read_jsonl(out.with_name("out.errors.jsonl"))


@pytest.mark.parametrize(("schema", "classes", "max_tokens"), [
    pytest.param("none", (SPAM,), 24, id="classes-only"),
    pytest.param("italian_email", (SENTIMENT, SPAM), 160, id="entities-and-classes"),
])
def test_records_carry_classes_from_the_label_sets(engine, tiny_model, tiny_adapters, tmp_path, schema, classes,
                                                   max_tokens):
    summary, records, errors = classify(engine, tiny_model, tiny_adapters, tmp_path, schema,
                                        tuple(c.name for c in classes), max_tokens)
    assert len(records) + len(errors) == summary.messages + summary.errors > 0
    for rec in records:
        assert set(rec["classes"]) == {c.name for c in classes}
        for c in classes:
            assert rec["classes"][c.name] in c.labels
        assert rec["schema"] == schema
    if schema == "none":
        assert records and all(r["entities"] == [] for r in records)
        assert all(r["completion_tokens"] <= 24 for r in records)
