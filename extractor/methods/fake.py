"""A scripted method: the pipeline's logic without a model (for tests and dry runs).

``script(text)`` answers for one chunk of text: a list of ``(surface, label)`` pairs, a raw
completion string (JSON as a model would write it), a dict (the answer object, e.g. with
class fields), or a ``(completion, finish_reason)`` pair;
raising :class:`~extractor.errors.MessageError` fails that chunk. The answers are parsed,
grounded and merged by the same code as the generative method's completions, so records come
out exactly as they would from a model that said the same. Texts longer than ``chunk_chars``
are split into chunks the same way long messages are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..chunking import Chunk, split_text
from ..engine import Generation
from ..errors import MessageError
from ..options import ExtractOptions
from ..records import Flush
from ..summary import Summary
from .base import Item, TextResult
from .completions import ground_completions

Answer = list[tuple[str, str]] | str | tuple[str, str] | dict[str, Any]
Script = Callable[[str], Answer]


def _completion(answer: Answer) -> tuple[str, str]:
    if isinstance(answer, list):
        return json.dumps({"entities": [{"text": t, "label": lab} for t, lab in answer]}, ensure_ascii=False), "stop"
    if isinstance(answer, tuple):
        return answer
    if isinstance(answer, dict):  # a whole answer object, e.g. class fields beside the entities
        return json.dumps(answer, ensure_ascii=False), "stop"
    return answer, "stop"


class FakeMethod:
    """Answers each chunk with ``script``; one result per text, in input order, no engine."""

    name = "fake"

    def __init__(self, options: ExtractOptions, script: Script, chunk_chars: int = 4000) -> None:
        self.options = options
        self.script = script
        self.chunk_chars = chunk_chars
        self._schema_model = options.output_model()

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        for item in items:
            if isinstance(item, Flush):
                continue
            tag, text, _adapter = item
            chunks = split_text(text, self.chunk_chars, len) or [Chunk(0, text)]
            pairs = []
            for chunk in chunks:
                try:
                    completion, finish = _completion(self.script(chunk.text))
                    gen = Generation(completion, len(chunk.text), len(completion), finish)
                except MessageError as exc:
                    gen = Generation.failed(str(exc))
                pairs.append((chunk, gen))
            yield [(tag, ground_completions(text, pairs, self._schema_model, self.options))]
