"""How messages become records: the extraction options shared by every method and the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas import EntitySchema
from schemas.classes import ClassSchema


@dataclass(frozen=True)
class ExtractOptions:
    """How messages become records.

    Attributes:
        schema: labels to extract; its JSON Schema constrains decoding.
        shots: built-in few-shot examples in the prompt.
        max_tokens: bound on each completion.
        batch_size: messages in flight in the engine at once; a new one is submitted as soon as
            one finishes (continuous batching), and its record is written then.
        keep_ungrounded: keep entities not found in the text, flagged ``grounded: false``.
        keep_quotes: keep quoted reply history in the text.
        header_entities: add From/To/Cc names and addresses as entities of their header.
        validate: ``flag`` | ``drop`` | ``off`` for codice fiscale, partita IVA and IBAN.
        include_text: put the text the offsets refer to in each record.
        dedup: process a Message-ID (or content hash) once.
        constrained: JSON-schema constrained decoding (off only for benchmarks).
        recognizers: run the exact recognizers of the schema's pattern labels (EMAIL, PHONE,
            IBAN, CODICE_FISCALE, PARTITA_IVA, MONEY, DATE) on every text and merge them with
            the model's spans (``extractor.recognizers.merge``).
        prompt_labels: ``all`` asks the model for every schema label; ``rest`` (with recognizers
            on) asks it only for the labels no recognizer owns (PER, ORG, LOC...), so its
            completion spends no tokens on what the recognizers find exactly.
        classes: class schemas each message is also classified into, in the same generation
            (``extractor.classify``); with a schema of no labels (``none``) only classes.
        min_scores: ``(label, p)`` pairs: a class label given only when its probability reaches ``p``
            (:mod:`extractor.class_decision`), for the methods that score classes (sequence); empty
            leaves the adapter's recorded minimums, if any.
    """

    schema: EntitySchema
    shots: int = 2
    max_tokens: int = 512
    batch_size: int = 64
    keep_ungrounded: bool = False
    keep_quotes: bool = False
    header_entities: bool = False
    validate: str = "flag"
    include_text: bool = True
    dedup: bool = True
    constrained: bool = True
    recognizers: bool = True
    prompt_labels: str = "all"
    classes: tuple[ClassSchema, ...] = ()
    min_scores: tuple[tuple[str, float], ...] = ()

    def pattern_labels(self) -> frozenset[str]:
        """The schema's labels that an exact recognizer owns (none when recognizers are off)."""
        if not self.recognizers:
            return frozenset()
        from .recognizers import PATTERN_LABELS

        return PATTERN_LABELS & frozenset(self.schema.labels)

    def prompt_schema(self) -> EntitySchema:
        """The schema the model is prompted and constrained with (see ``prompt_labels``)."""
        if self.prompt_labels not in ("all", "rest"):
            raise ValueError(f"prompt_labels must be 'all' or 'rest', not {self.prompt_labels!r}")
        rest = [label for label in self.schema.labels if label not in self.pattern_labels()]
        if self.prompt_labels == "all" or not rest or len(rest) == len(self.schema.labels):
            return self.schema
        return self.schema.restrict(rest)

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema decoding is constrained to: the prompt schema's entities and the classes."""
        from .classify import task_json_schema

        return task_json_schema(self.prompt_schema(), self.classes)

    def output_model(self) -> Any:
        """The pydantic model a completion is validated with (see :meth:`json_schema`)."""
        from .classify import task_output_model

        return task_output_model(self.prompt_schema(), self.classes)
