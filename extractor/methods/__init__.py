"""Extraction methods: text in, grounded entities out. One protocol, one registry.

A method turns ``(tag, text, adapter)`` items into :class:`TextResult` objects as they finish
(a list per step); the pipeline owns everything around it (sources, dedup, routing, resume,
recognizers, records, sinks). Methods are resolved by name in :func:`build_method`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ConfigError
from ..records import Entity, Flush
from ..summary import Summary

Item = tuple[Any, str, "str | None"]
"""``(tag, text, adapter)``: the caller's tag comes back with the text's result."""


@dataclass(frozen=True)
class TextResult:
    """Entities found in one text, or why none could be read from the model."""

    entities: list[Entity]
    dropped: int
    prompt_tokens: int
    completion_tokens: int
    chunks: int
    error: str | None = None
    truncated: bool = False
    looped: bool = False


class Method(Protocol):
    """What the pipeline needs from an extraction method."""

    name: str

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        """Results of items as they finish, a list at a time; a :class:`Flush` drains what is in flight."""
        ...


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


def _fake(**kw: Any) -> Method:
    from .fake import FakeMethod

    return FakeMethod(kw["options"], kw["script"])


METHODS: dict[str, MethodSpec] = {
    "generative": MethodSpec("generative", True, _generative,
                             "prompt + vLLM generation constrained to the schema's JSON, parsed and grounded"),
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


__all__ = ["METHODS", "Entity", "Item", "Method", "MethodSpec", "TextResult", "build_method", "extract_all"]
