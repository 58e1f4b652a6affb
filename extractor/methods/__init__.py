"""Extraction methods: text in, grounded entities out. One protocol, one registry.

A method turns ``(tag, text, adapter)`` items into :class:`TextResult` objects as they finish
(a list per step); the pipeline owns everything around it (sources, dedup, routing, resume,
recognizers, records, sinks). Methods are resolved by name in :func:`build_method`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..summary import Summary
from .base import Item, Method, TextResult


@dataclass(frozen=True)
class MethodSpec:
    """A registered method: its name, whether it needs an inference engine, how to build it."""

    name: str
    needs_engine: bool
    build: Callable[..., Method]
    summary: str


def _generative(**kw: Any) -> Method:
    from .generative import GenerativeMethod

    return GenerativeMethod(kw["engine"], kw["options"], kw.get("prompt_format", "chat"))


def _tokens(**kw: Any) -> Method:
    from .tokens import TokenMethod

    return TokenMethod(kw["classifier"], kw["options"])


def _server(**kw: Any) -> Method:
    from .server import ServerMethod

    return ServerMethod(**kw)


def _sequence(**kw: Any) -> Method:
    from .sequence import SequenceMethod

    return SequenceMethod(kw["classifier"], kw["options"], kw["class_name"])


def _ray(**kw: Any) -> Method:
    from ..raydata.method import RayMethod

    return RayMethod(**kw)


def _fake(**kw: Any) -> Method:
    from .fake import FakeMethod

    return FakeMethod(kw["options"], kw["script"])


METHODS: dict[str, MethodSpec] = {
    "generative": MethodSpec("generative", True, _generative,
                             "prompt + vLLM generation constrained to the schema's JSON, parsed and grounded"),
    "tokens": MethodSpec("tokens", False, _tokens,
                         "a bidirectional decoder with a BIO head (LoRA, merged) tags every token: exact spans"),
    "server": MethodSpec("server", False, _server,
                         "the generative method's prompts completed by a running vLLM server (--server)"),
    "sequence": MethodSpec("sequence", False, _sequence,
                           "a bidirectional decoder with a class head (LoRA, merged) labels each message, with a score"),
    "ray": MethodSpec("ray", False, _ray,
                      "the generative method's prompts completed by Ray Data LLM's vLLM replicas (--ray)"),
    "fake": MethodSpec("fake", False, _fake, "scripted (surface, label) answers, grounded like the generative one"),
}
"""Method name -> spec. The registry is data; :func:`build_method` is the one place it is read."""


def build_method(name: str, **kw: Any) -> Method:
    """The method registered as ``name``, built from keyword arguments (engine, options, ...)."""
    try:
        spec = METHODS[name]
    except KeyError:
        raise ConfigError(f"unknown method {name!r}; known: {', '.join(METHODS)}") from None
    return spec.build(**kw)


def extract_all(method: Method, texts: Sequence[str], adapters: Sequence[str | None] | None,
                summary: Summary) -> list[TextResult]:
    """Every text's result in input order, in one pass (the window holds them all)."""
    results: dict[int, TextResult] = {}
    items = ((i, t, adapters[i] if adapters else None) for i, t in enumerate(texts))
    for done in method.stream(items, summary, window=max(len(texts), 1)):
        results.update(done)
    return [results[i] for i in range(len(texts))]


__all__ = ["METHODS", "Item", "Method", "MethodSpec", "TextResult", "build_method", "extract_all"]
