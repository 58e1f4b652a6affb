"""Entities from one completion: JSON parsing, schema validation, salvage of cut outputs."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from .engine import Generation
from .errors import MessageError


def parse_output(gen: Generation, schema_model: Any, max_tokens: int) -> tuple[list[tuple[str, str]], str | None]:
    """Entities from one completion, and why it was cut (``None``, ``"length"`` or ``"repetition"``)."""
    parsed, cut = parse_answer(gen, schema_model, max_tokens)
    return [(e.text, e.label) for e in parsed.entities], cut


def parse_answer(gen: Generation, schema_model: Any, max_tokens: int) -> tuple[Any, str | None]:
    """The validated answer (an instance of ``schema_model``) of one completion, and why it was cut.

    A completion cut at ``max_tokens``, or stopped because it repeated itself (``LoopStop``), is
    salvaged up to its last complete entity. Raises ``MessageError`` when the output is unusable.
    """
    if gen.error is not None:
        raise MessageError(gen.error)
    text = gen.text.strip()
    if not text:
        raise MessageError("the engine returned empty text (schema compilation or decoding failed)")
    cut = None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        if gen.finish_reason not in ("length", "repetition"):
            raise MessageError(f"model output is not valid JSON: {text[:80]!r}") from None
        data, cut = _salvage(text), gen.finish_reason
        if data is None:
            why = f"cut at max_tokens={max_tokens}" if cut == "length" else "stopped repeating itself"
            raise MessageError(f"model output {why} before the first entity") from None
    try:
        parsed = schema_model.model_validate(data)
    except ValidationError as exc:
        raise MessageError(f"model output does not match the schema: {exc.errors()[0]['msg']}") from None
    return parsed, cut


def _salvage(text: str) -> dict[str, Any] | None:
    cut = text.rfind("}")
    while cut > 0:
        try:
            return json.loads(text[: cut + 1] + "]}")
        except json.JSONDecodeError:
            cut = text.rfind("}", 0, cut)
    return None
