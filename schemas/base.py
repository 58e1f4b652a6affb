"""The entity-schema object shared by serving, training and evaluation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model


@dataclass(frozen=True)
class FewShot:
    """One built-in example: a text and the entities (surface form, label) it contains."""

    text: str
    entities: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EntitySchema:
    """Labels with one-line descriptions, plus the bounds of the engine's JSON schema.

    Attributes:
        name: short name, recorded in every output record and adapter.
        labels: label -> one-line description (order is the prompt's order).
        max_entities: ``maxItems`` of the entity list; bounds output length.
        examples: few-shot examples for the prompt builder.
        instruction: optional extra sentence for the prompt.
    """

    name: str
    labels: dict[str, str]
    max_entities: int = 48
    examples: tuple[FewShot, ...] = ()
    instruction: str = ""
    validated: dict[str, str] = field(default_factory=dict)
    """label -> validator name (``codice_fiscale``, ``partita_iva``, ``iban``)."""

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema the engine constrains decoding with.

        Deliberately no ``maxLength`` on strings: with the Outlines backend it made vLLM's
        regex compilation time out on a 151k-token vocabulary, and requests came back empty.
        """
        return {
            "type": "object",
            "properties": {
                "entities": {
                    "type": "array",
                    "maxItems": self.max_entities,
                    "items": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string"},
                            "label": {"type": "string", "enum": list(self.labels)},
                        },
                        "required": ["text", "label"],
                        "additionalProperties": False,
                    },
                }
            },
            "required": ["entities"],
            "additionalProperties": False,
        }

    def output_model(self) -> type[BaseModel]:
        """A pydantic model that validates the engine's output for this schema."""
        label_type = Literal[tuple(self.labels)]  # type: ignore[valid-type]
        entity = create_model(
            f"{self.name}_entity", __config__=ConfigDict(extra="forbid"), text=(str, ...), label=(label_type, ...)
        )
        return create_model(
            f"{self.name}_output",
            __config__=ConfigDict(extra="forbid"),
            entities=(list[entity], Field(default_factory=list, max_length=self.max_entities)),  # type: ignore[valid-type]
        )

    def fingerprint(self) -> str:
        """A short hash of what the model is asked for; adapters record it."""
        blob = json.dumps({"labels": self.labels, "schema": self.json_schema()}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def restrict(self, labels: list[str]) -> EntitySchema:
        """The same schema limited to ``labels`` (e.g. KIND's PER/LOC/ORG)."""
        unknown = [lab for lab in labels if lab not in self.labels]
        if unknown:
            raise ValueError(f"labels not in schema {self.name}: {', '.join(unknown)}")
        keep = set(labels)
        return EntitySchema(
            name=f"{self.name}[{','.join(labels)}]",
            labels={k: v for k, v in self.labels.items() if k in keep},
            max_entities=self.max_entities,
            examples=tuple(
                FewShot(ex.text, tuple(e for e in ex.entities if e[1] in keep)) for ex in self.examples
            ),
            instruction=self.instruction,
            validated={k: v for k, v in self.validated.items() if k in keep},
        )


def schema_from_model(model: type[BaseModel], name: str | None = None) -> EntitySchema:
    """Build an :class:`EntitySchema` from a pydantic model of one entity or of the output.

    The model must have a ``label`` field typed as ``Literal[...]`` or an ``Enum`` (or an
    ``entities: list[<such a model>]`` field). Label descriptions come from the class's
    ``label_descriptions`` attribute when present.
    """
    fields = model.model_fields
    if "entities" in fields and "label" not in fields:
        args = get_args(fields["entities"].annotation)
        if not args or not isinstance(args[0], type) or not issubclass(args[0], BaseModel):
            raise ValueError(f"{model.__name__}.entities must be list[<pydantic model with a label field>]")
        max_items = _max_length(fields["entities"]) or 48
        inner = schema_from_model(args[0], name or model.__name__)
        descriptions = getattr(model, "label_descriptions", None) or inner.labels
        return EntitySchema(name=inner.name, labels=dict(descriptions), max_entities=max_items)
    if "label" not in fields:
        raise ValueError(f"{model.__name__} has neither a 'label' nor an 'entities' field")
    labels = _label_values(fields["label"].annotation)
    descriptions: dict[str, str] = dict(getattr(model, "label_descriptions", {}) or {})
    return EntitySchema(name=name or model.__name__, labels={lab: descriptions.get(lab, lab) for lab in labels})


def _label_values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(a) for a in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    raise ValueError("the 'label' field must be a Literal[...] or an Enum")


def _max_length(info: Any) -> int | None:
    for meta in getattr(info, "metadata", []):
        value = getattr(meta, "max_length", None)
        if value is not None:
            return int(value)
    return None


def schema_from_json_schema(doc: dict[str, Any], name: str) -> EntitySchema:
    """Read an :class:`EntitySchema` from a JSON Schema document of our output shape.

    Labels come from ``properties.entities.items.properties.label.enum``; descriptions from
    ``x-label-descriptions`` (label -> text) when present.
    """
    try:
        entities = doc["properties"]["entities"]
        labels = entities["items"]["properties"]["label"]["enum"]
    except (KeyError, TypeError) as exc:
        raise ValueError("expected properties.entities.items.properties.label.enum") from exc
    if not labels or not all(isinstance(x, str) for x in labels):
        raise ValueError("label.enum must be a non-empty list of strings")
    desc = doc.get("x-label-descriptions") or {}
    return EntitySchema(
        name=doc.get("title") or name,
        labels={lab: str(desc.get(lab, lab)) for lab in labels},
        max_entities=int(entities.get("maxItems", 48)),
    )
