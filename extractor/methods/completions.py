"""Completions to grounded entities: parse each chunk's JSON, ground it in the text, merge chunks.

Shared by the generative method and the scripted one, so both produce records the same way.
"""

from __future__ import annotations

from typing import Any

from ..chunking import Chunk
from ..classify import classes_of, vote
from ..engine import Generation
from ..errors import MessageError
from ..grounding import ground, resolve_overlaps
from ..options import ExtractOptions
from ..outputs import parse_answer
from ..records import Entity
from .base import TextResult


def ground_completions(text: str, pairs: list[tuple[Chunk, Generation]], schema_model: Any,
                       options: ExtractOptions) -> TextResult:
    """One text's result from its chunks' completions: parsed, grounded at text offsets, merged.

    A chunk whose completion is unusable is skipped (the result is then ``truncated``); when
    every chunk failed, the result carries the first chunk's error. The classes asked in
    ``options.classes`` are voted over the chunks that answered.
    """
    entities: list[Entity] = []
    dropped = ptoks = ctoks = 0
    errors: list[str] = []
    answers: list[dict[str, str]] = []
    truncated = looped = False
    for chunk, gen in pairs:
        ptoks += gen.prompt_tokens
        ctoks += gen.completion_tokens
        try:
            parsed, cut = parse_answer(gen, schema_model, options.max_tokens)
        except MessageError as exc:
            errors.append(str(exc))
            continue
        preds = [(e.text, e.label) for e in parsed.entities]
        answers.append(classes_of(parsed, options.classes))
        truncated |= cut is not None
        looped |= cut == "repetition"
        res = ground(chunk.text, preds, offset=chunk.start, keep_ungrounded=options.keep_ungrounded)
        entities.extend(res.entities)
        dropped += res.dropped
    grounded = resolve_overlaps([e for e in entities if e.grounded])
    ungrounded = list({(e.text, e.label): e for e in entities if not e.grounded}.values())
    error = None
    if errors and len(errors) == len(pairs):
        error = errors[0]
    return TextResult(grounded + ungrounded, dropped, ptoks, ctoks, len(pairs), error,
                      truncated or bool(errors), looped, vote(answers, options.classes))
