"""The embedded default model, when it is converted in the cache: schema compilation and examples/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extractor import default_model
from extractor.settings import load_settings

pytestmark = [pytest.mark.default_model, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    models = load_settings().models_dir
    if not default_model.is_ready(models):
        pytest.skip(f"default model not converted in {models}: run `make default-model` first")
    return default_model.default_model_dir(models)


def test_default_schema_compiles_under_outlines_with_the_default_tokenizer(model_dir):
    """Outlines builds the index for the default schema on Qwen's 151k vocabulary in bounded time.

    (With ``maxLength`` on strings this timed out in vLLM and requests came back empty.)
    """
    import outlines_core
    import outlines_core.json_schema as oc_json
    from transformers import AutoTokenizer
    from vllm.v1.structured_output.utils import _reduced_vocabulary

    from schemas import load_schema

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    vocab = outlines_core.Vocabulary(tok.eos_token_id, _reduced_vocabulary(tok))
    regex = oc_json.build_regex_from_schema(json.dumps(load_schema("italian_email").json_schema()))
    t0 = time.perf_counter()
    index = outlines_core.Index(regex, vocab)
    elapsed = time.perf_counter() - t0
    assert index.get_initial_state() is not None
    from extractor.engine import EngineConfig

    assert elapsed < EngineConfig(model="x").regex_timeout_s


def demo_args() -> list[str]:
    """The options `make demo` passes (its DEMO_ARGS), so this test runs what the demo runs."""
    line = next(x for x in (REPO / "Makefile").read_text().splitlines() if x.startswith("DEMO_ARGS :="))
    return line.split(":=", 1)[1].split()


def test_examples_get_at_least_the_expected_entities(model_dir, tmp_path):
    # The CLI in a process of its own: an engine started and torn down in the test process would
    # tear down vLLM's process-wide parallel state under the session's tiny engine.
    out, summary_path = tmp_path / "demo.jsonl", tmp_path / "summary.json"
    env = {**os.environ, "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
    done = subprocess.run([sys.executable, "-m", "extractor.cli", "examples/italian.mbox", *demo_args(),
                           "-o", str(out), "-q", "--summary-json", str(summary_path)], check=False, env=env, text=True,
                          capture_output=True, timeout=1200, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    assert summary["errors"] == 0 and summary["messages"] == 5
    assert (summary["method"], summary["recognizers"]) == ("tokens", "on")
    expected = json.loads((REPO / "examples" / "expected_entities.json").read_text())
    records = {r["message_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    missing = []
    for mid, ents in expected.items():
        if mid.startswith("_"):
            continue
        got = {(e["text"], e["label"]) for e in records[mid]["entities"]}
        missing += [(mid, text, label) for text, label in ents if (text, label) not in got]
        for e in records[mid]["entities"]:
            assert records[mid]["text"][e["start"]:e["end"]] == e["text"]
    assert not missing, missing
    sources = {e["source"] for r in records.values() for e in r["entities"]}
    assert sources == {"model", "pattern"}
