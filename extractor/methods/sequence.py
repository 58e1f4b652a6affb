"""The sequence-classification method: a bidirectional decoder with a class head labels each message.

It reads only the message tokens (no instruction, no decoding) through
:class:`extractor.sequence.SequenceClassifier`, the Subject line too when its adapter was trained so
(``reads``, :mod:`extractor.message_input`); each result carries the class of the one class
schema the adapter was trained for (the most probable, within the classifier's minimum scores:
:mod:`extractor.class_decision`) and its softmax score (``class_scores``). No entities: the
recognizers, when on, still add theirs in the pipeline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from ..class_decision import decide
from ..options import ExtractOptions
from ..records import Flush
from ..summary import Summary
from .base import Item, TextResult, batches, reads_of

log = logging.getLogger(__name__)


class SequenceMethod:
    """Texts in batches of ``window`` through a sequence classifier; a batch that fails is retried text by text."""

    name = "sequence"

    def __init__(self, classifier: Any, options: ExtractOptions, class_name: str) -> None:
        self.classifier = classifier
        self.options = options
        self.class_name = class_name
        self.reads = reads_of(classifier)

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        for batch in batches(items, window or self.options.batch_size):
            yield self._run(batch, summary)

    def _run(self, batch: list[Item], summary: Summary) -> list[tuple[Any, TextResult]]:
        t0 = time.perf_counter()
        try:
            texts = [text for _, text, _ in batch]
            lengths = [len(self.classifier.encode(text)) for text in texts]
            out = [(tag, self._result(n, probs)) for (tag, _, _), n, probs
                   in zip(batch, lengths, self.classifier.distributions(texts), strict=True)]
        except Exception as exc:  # noqa: BLE001 - isolate the text that fails, keep the others
            if len(batch) == 1:
                log.warning("sequence classifier failed: %s", exc)
                out = [(batch[0][0], TextResult([], 0, 0, 0, 1,
                                                f"sequence classifier failed: {type(exc).__name__}: {exc}"))]
            else:
                out = [pair for item in batch for pair in self._run([item], summary)]
        summary.stages["engine"] += time.perf_counter() - t0
        return out

    def _result(self, prompt_tokens: int, probs: dict[str, float]) -> TextResult:
        label = decide(probs, self.classifier.min_scores)
        return TextResult([], 0, prompt_tokens, 0, 1, classes={self.class_name: label},
                          class_scores={self.class_name: round(probs[label], 6)},
                          class_probs={self.class_name: {lab: round(p, 6) for lab, p in probs.items()}})
