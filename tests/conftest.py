"""Shared fixtures: an isolated cache per test, and one tiny model + one vLLM engine per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from vllm_server import vllm_server  # noqa: F401 - one `vllm serve` per session, for every module that asks

from extractor.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the tool's cache at a temp dir (tests marked default_model keep the real one)."""
    if request.node.get_closest_marker("default_model"):
        yield load_settings().cache_dir
        return
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("EXTRACT_ENTITIES_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("EXTRACT_ENTITIES_MODELS", raising=False)
    yield cache


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama (head_dim 32) with its own tokenizer, trained to answer in JSON."""
    from tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_adapters(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two LoRA adapters with different random weights for the tiny model."""
    from tiny_model import build_adapter

    root = tmp_path_factory.mktemp("adapters")
    return {name: build_adapter(tiny_model, root / name, seed) for name, seed in (("alpha", 1), ("beta", 2))}


@pytest.fixture(scope="session")
def engine(tiny_model: Path, tiny_adapters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    """One vLLM engine for the whole session, serving the tiny model and both adapters."""
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    from extractor.adapters import load_adapter
    from extractor.engine import Engine, EngineConfig

    adapters = tuple(load_adapter(n, p) for n, p in tiny_adapters.items())
    return Engine(EngineConfig(model=str(tiny_model), adapters=adapters, max_model_len=2048,
                               kv_cache_bytes=256 << 20, cache_dir=tmp_path_factory.mktemp("engine-cache")))



def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the session's tiny engine run first (otherwise in collection order).

    A test that starts and tears down a vLLM engine of its own in this process (an evaluation, a
    pooling classifier) tears down vLLM's process-wide parallel state, and every later request to
    the session engine would fail.
    """
    items.sort(key=lambda item: "engine" not in getattr(item, "fixturenames", ()))
