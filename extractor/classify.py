"""Message classes beside entities: one JSON schema, one output model, one answer per text.

When classes are asked the model answers one object: a field per class schema (a string
constrained to its labels) and, when the entity schema has labels, ``entities``, so entities
and classes cost one constrained generation. Class fields come first: the label is decided
right after the message, and an output cut at ``max_tokens`` keeps it. With no entity labels
(``--schema none``) the completion is the class fields alone, a few tokens.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from schemas import EntitySchema
from schemas.classes import ClassSchema

Classes = tuple[ClassSchema, ...]


def check_classes(schema: EntitySchema, classes: Classes) -> None:
    """Raise ``ValueError`` when the request asks for nothing or names a class field twice."""
    names = [c.name for c in classes]
    if len(set(names)) != len(names):
        raise ValueError(f"class schemas named twice: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    if not schema.labels and not classes:
        raise ValueError("--schema none asks for no entities: add --classify NAME (e.g. --classify sentiment)")


def task_json_schema(schema: EntitySchema, classes: Classes) -> dict[str, Any]:
    """The JSON Schema decoding is constrained to: the class fields, then ``entities`` if any labels."""
    if not classes:
        return schema.json_schema()
    properties: dict[str, Any] = {c.name: c.json_property() for c in classes}
    if schema.labels:
        properties["entities"] = schema.json_schema()["properties"]["entities"]
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def task_output_model(schema: EntitySchema, classes: Classes) -> type[BaseModel]:
    """A pydantic model validating the answer; ``entities`` (empty when not asked) is always readable."""
    if not classes:
        return schema.output_model()
    fields: dict[str, Any] = {c.name: (c.literal(), ...) for c in classes}
    if schema.labels:
        fields["entities"] = (schema.output_model().model_fields["entities"].annotation,
                              Field(default_factory=list, max_length=schema.max_entities))
    else:
        fields["entities"] = (list[Any], Field(default_factory=list, max_length=0))
    return create_model(f"{schema.name}_classes_output", __config__=ConfigDict(extra="forbid"), **fields)


def classes_of(parsed: BaseModel, classes: Classes) -> dict[str, str]:
    """The class fields of a validated answer, by class schema name."""
    return {c.name: str(getattr(parsed, c.name)) for c in classes}


def vote(per_chunk: Sequence[Mapping[str, str]], classes: Classes) -> dict[str, str] | None:
    """One label per class over a long text's chunks: the most frequent; a tie goes to the earliest chunk."""
    if not classes or not per_chunk:
        return None
    out: dict[str, str] = {}
    for c in classes:
        labels = [chunk[c.name] for chunk in per_chunk if c.name in chunk]
        if labels:
            counts = Counter(labels)
            best = max(counts.values())
            out[c.name] = next(lab for lab in labels if counts[lab] == best)
    return out


def class_instruction(classes: Classes, with_entities: bool) -> list[str]:
    """Instruction lines that ask for each class (the entity lines, if any, come before)."""
    lines = ["Also classify the whole message." if with_entities else "Classify the message."]
    for c in classes:
        lines.append(f'"{c.name}"' + (f": {c.question}" if c.question else "") + "; one of:")
        lines += [f"- {label}: {desc}" for label, desc in c.labels.items()]
    fields = ", ".join(f'"{c.name}": ...' for c in classes)
    shape = "{" + fields + (', "entities": [{"text": ..., "label": ...}]' if with_entities else "") + "}"
    lines.append(f"Answer only with JSON of the form {shape}.")
    return lines


def class_answer(name: str, label: str) -> str:
    """The answer text of one class example: compact JSON with that class field."""
    return json.dumps({name: label}, ensure_ascii=False)


def class_shots(classes: Classes, shots: int) -> Iterable[tuple[str, str]]:
    """Up to ``shots`` examples of each class schema as (text, answer) turns, schema by schema."""
    for c in classes:
        for ex in c.examples[:shots]:
            yield ex.text, class_answer(c.name, ex.label)
