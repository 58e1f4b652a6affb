"""What every extraction method shares: the item it takes, the result it gives, the protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..message_input import BODY
from ..records import Entity, Flush
from ..summary import Summary

Item = tuple[Any, str, "str | None"]
"""``(tag, text, adapter)``: the caller's tag comes back with the text's result."""


@dataclass(frozen=True)
class TextResult:
    """Entities found in one text, or why none could be read from the model.

    ``classes`` holds the label of each class schema asked (``None`` when none was asked);
    ``class_scores`` the probability of that label, for methods that give one (the sequence head), and
    ``class_probs`` every label's (what an evaluator sweeps a minimum score over; not written to records).
    """

    entities: list[Entity]
    dropped: int
    prompt_tokens: int
    completion_tokens: int
    chunks: int
    error: str | None = None
    truncated: bool = False
    looped: bool = False
    classes: dict[str, str] | None = None
    class_scores: dict[str, float] | None = None
    class_probs: dict[str, dict[str, float]] | None = None


class Method(Protocol):
    """What the pipeline needs from an extraction method.

    A method may say what it ``reads`` of a message (:data:`extractor.message_input.READS`); one that
    does not reads the body (:func:`reads_of`).
    """

    name: str

    def stream(self, items: Iterable[Item | Flush], summary: Summary,
               window: int | None = None) -> Iterator[list[tuple[Any, TextResult]]]:
        """Results of items as they finish, a list at a time; a :class:`Flush` drains what is in flight."""
        ...


def reads_of(reader: object) -> str:
    """What a method (or a classifier) reads of a message: its ``reads``, else the body (entity methods
    ground to it)."""
    return str(getattr(reader, "reads", BODY))


def batches(items: Iterable[Item | Flush], window: int) -> Iterator[list[Item]]:
    """Items in batches of at most ``window``; a :class:`Flush` ends the batch in hand early."""
    batch: list[Item] = []
    for item in items:
        if isinstance(item, Flush):
            if batch:
                yield batch
                batch = []
            continue
        batch.append(item)
        if len(batch) >= window:
            yield batch
            batch = []
    if batch:
        yield batch
