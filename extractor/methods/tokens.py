"""The token-classification method: a bidirectional decoder tags every token, BIO -> exact spans.

It reads only the message tokens (no instruction, no few-shot, no decoding) through
:class:`extractor.tokens.TokenClassifier` (vLLM's pooling runner, or transformers where vLLM
cannot load the architecture); spans are character offsets of the text by construction.
Entities of labels outside the run's schema are dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import ServerError
from ..options import ExtractOptions
from ..records import Flush
from ..summary import Summary
from .base import Item, TextResult, batches

log = logging.getLogger(__name__)


class TokenMethod:
    """Texts in batches of ``window`` through a token classifier; a batch that fails is retried text by text."""

    name = "tokens"

    def __init__(self, classifier: Any, options: ExtractOptions) -> None:
        self.classifier = classifier
        self.options = options
        self._labels = frozenset(options.schema.labels)

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        for batch in batches(items, window or self.options.batch_size):
            yield self._run(batch, summary)

    def _run(self, batch: list[Item], summary: Summary) -> list[tuple[Any, TextResult]]:
        t0 = time.perf_counter()
        try:
            texts = [text for _, text, _ in batch]
            encoded = [self.classifier.encode(text) for text in texts]
            found = self.classifier.extract_texts(texts, encoded)
            out = [(tag, self._result(entities, len(enc.ids)))
                   for (tag, _, _), enc, entities in zip(batch, encoded, found, strict=True)]
        except ServerError:
            raise  # the server is down or cannot serve: stop, the next run resumes
        except Exception as exc:  # noqa: BLE001 - isolate the text that fails, keep the others
            if len(batch) == 1:
                log.warning("token classifier failed: %s", exc)
                tag = batch[0][0]
                out = [(tag, TextResult([], 0, 0, 0, 1, f"token classifier failed: {type(exc).__name__}: {exc}"))]
            else:
                out = [pair for item in batch for pair in self._run([item], summary)]
        summary.stages["engine"] += time.perf_counter() - t0
        return out

    def _result(self, entities: list[Any], tokens: int) -> TextResult:
        return TextResult([e for e in entities if e.label in self._labels], 0, tokens, 0, 1)
