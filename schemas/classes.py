"""Class schemas: a named set of labels (with descriptions) a whole message is classified into.

Built-ins are data in :data:`BUILTIN_CLASSES`; :func:`load_class_schema` is the one place a
spec (built-in name, ``.json`` file, or ``module:Attribute``) is resolved. A user schema in
Python is a :class:`ClassSchema`, an ``Enum`` class, or a pydantic model with one field typed
``Literal[...]``/``Enum`` (as outlines does classification); descriptions come from a
``label_descriptions`` attribute (label -> text) when present, the question from the docstring.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from extractor.errors import ConfigError

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED = frozenset({"entities"})
"""Field names a class schema cannot take: they are the entity part of the combined output."""


class ClassSchemaError(ConfigError, ValueError):
    """A class schema spec that cannot be loaded; the message says why and what to pass."""


@dataclass(frozen=True)
class ClassExample:
    """One few-shot example of a class schema: a text and its label."""

    text: str
    label: str


@dataclass(frozen=True)
class ClassSchema:
    """A named label set for whole-message classification.

    Attributes:
        name: the field name in the model's JSON and in each record's ``classes``.
        labels: label -> one-line description (order is the prompt's and the enum's order).
        question: what the label answers, one line for the prompt.
        examples: few-shot examples (the evaluator replaces them with training-split ones).
    """

    name: str
    labels: dict[str, str]
    question: str = ""
    examples: tuple[ClassExample, ...] = ()

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name) or self.name in RESERVED:
            raise ValueError(f"class schema name {self.name!r} must be an identifier other than 'entities'")
        if len(self.labels) < 2 or not all(isinstance(x, str) and x for x in self.labels):
            raise ValueError(f"class schema {self.name} needs at least two non-empty string labels")
        bad = [ex.label for ex in self.examples if ex.label not in self.labels]
        if bad:
            raise ValueError(f"class schema {self.name}: example labels not in the label set: {', '.join(bad)}")

    def json_property(self) -> dict[str, Any]:
        """The JSON Schema of this field: a string constrained to the labels."""
        return {"type": "string", "enum": list(self.labels)}

    def literal(self) -> Any:
        """``Literal[label, ...]`` for validating the model's output."""
        return Literal[tuple(self.labels)]  # type: ignore[valid-type]


SENTIMENT = ClassSchema(
    "sentiment",
    {"positive": "the writer is pleased, satisfied or favourable",
     "negative": "the writer is unhappy, angry, complaining or unfavourable",
     "neutral": "factual or informative, no clear opinion",
     "mixed": "both clearly positive and clearly negative opinions"},
    "the overall sentiment the writer expresses",
)
POLARITY = ClassSchema(
    "polarity",
    {"positive": "the writer likes it, a favourable opinion",
     "negative": "the writer dislikes it, an unfavourable opinion"},
    "whether the opinion the writer expresses is positive or negative",
)
SPAM = ClassSchema(
    "spam",
    {"ham": "a genuine message: personal, work, mailing-list discussion, a requested newsletter or notice",
     "spam": "unsolicited bulk mail: advertising, scams, get-rich-quick offers, adult content"},
    "whether the message is unsolicited bulk mail",
)

BUILTIN_CLASSES: dict[str, ClassSchema] = {s.name: s for s in (SENTIMENT, POLARITY, SPAM)}
"""Built-in class schemas by name (``sentiment``: 4 classes; ``polarity``: positive/negative, IMDB's)."""


def load_class_schema(spec: str) -> ClassSchema:
    """Resolve ``spec`` (built-in name, ``.json`` file, or ``module:Attribute``) to a class schema.

    A JSON file holds ``{"name": ..., "labels": {label: description} or [label, ...],
    "question": ..., "examples": [{"text": ..., "label": ...}]}`` (few-shot examples for
    ``--shots``); the name defaults to the file's stem.
    """
    if spec in BUILTIN_CLASSES:
        return BUILTIN_CLASSES[spec]
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".json" or path.is_file():
        return _from_json_file(path, spec)
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ClassSchemaError(f"cannot import class schema {spec}: {exc}") from exc
        try:
            return _from_object(obj, attr)
        except ValueError as exc:
            raise ClassSchemaError(f"class schema {spec}: {exc}") from exc
    raise ClassSchemaError(f"unknown class schema {spec!r}: use one of {', '.join(BUILTIN_CLASSES)}, "
                           "a .json file of labels, or module:Class")


def _from_json_file(path: Path, spec: str) -> ClassSchema:
    if not path.is_file():
        raise ClassSchemaError(f"class schema file {spec} does not exist")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        labels = doc["labels"]
        if isinstance(labels, list):
            labels = {str(x): str(x) for x in labels}
        examples = tuple(ClassExample(str(ex["text"]), str(ex["label"])) for ex in doc.get("examples", ()))
        return ClassSchema(str(doc.get("name") or path.stem), {str(k): str(v) for k, v in labels.items()},
                           str(doc.get("question", "")), examples)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ClassSchemaError(f"class schema file {spec} is not valid JSON: {exc}") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise ClassSchemaError(f'class schema file {spec} needs {{"labels": {{label: description}}}}: {exc}') from exc
    except ValueError as exc:
        raise ClassSchemaError(f"class schema file {spec}: {exc}") from exc


def _from_object(obj: Any, attr: str) -> ClassSchema:
    if isinstance(obj, ClassSchema):
        return obj
    question = " ".join((getattr(obj, "__doc__", "") or "").split())
    descriptions = dict(getattr(obj, "label_descriptions", {}) or {})
    if isinstance(obj, type) and issubclass(obj, Enum):
        return _built(attr.lower(), _values(obj), descriptions, question)
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        fields = obj.model_fields
        if len(fields) != 1:
            raise ValueError(f"{obj.__name__} must have exactly one field typed Literal[...] or an Enum")
        (name, info), = fields.items()
        return _built(name, _values(info.annotation), descriptions, question)
    raise ValueError("expected a ClassSchema, an Enum class, or a pydantic model with one Literal/Enum field")


def _built(name: str, labels: list[str], descriptions: dict[str, str], question: str) -> ClassSchema:
    return ClassSchema(name, {lab: str(descriptions.get(lab, lab)) for lab in labels}, question)


def _values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    raise ValueError("the label field must be typed Literal[...] or an Enum")
