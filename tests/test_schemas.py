"""Schema loading: built-ins, JSON Schema files, module:Class; the engine schema's shape."""

from __future__ import annotations

import json
from enum import Enum
from typing import ClassVar, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from schemas import EntitySchema, SchemaError, load_schema


class Label(str, Enum):
    PER = "PER"
    ORG = "ORG"


class EnumEntity(BaseModel):
    label_descriptions: ClassVar[dict[str, str]] = {"PER": "persona", "ORG": "organizzazione"}
    text: str
    label: Label


class LiteralOutput(BaseModel):
    entities: list[EnumEntity] = Field(max_length=7)


class LiteralEntity(BaseModel):
    text: str
    label: Literal["A", "B"]


CUSTOM = EntitySchema(name="custom", labels={"X": "x"})


def test_default_schema_labels_and_bounds():
    s = load_schema(None)
    assert s.name == "italian_email"
    for label in ("PER", "ORG", "LOC", "DATE", "MONEY", "EMAIL", "PHONE", "IBAN", "CODICE_FISCALE", "PARTITA_IVA"):
        assert s.labels[label]
    js = s.json_schema()
    ents = js["properties"]["entities"]
    assert ents["maxItems"] == s.max_entities
    assert "maxLength" not in json.dumps(js)  # see EntitySchema.json_schema
    assert ents["items"]["properties"]["label"]["enum"] == list(s.labels)


def test_kind_is_restricted():
    assert list(load_schema("kind").labels) == ["PER", "ORG", "LOC"]


CASES = [
    ("module-instance", "test_schemas:CUSTOM", ["X"], 48),
    ("module-entity-enum", "test_schemas:EnumEntity", ["PER", "ORG"], 48),
    ("module-output-model", "test_schemas:LiteralOutput", ["PER", "ORG"], 7),
    ("module-entity-literal", "test_schemas:LiteralEntity", ["A", "B"], 48),
]


@pytest.mark.parametrize("spec,labels,max_items", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_load_from_module(spec, labels, max_items):
    s = load_schema(spec)
    assert list(s.labels) == labels and s.max_entities == max_items


def test_load_from_json_file(tmp_path):
    doc = load_schema("kind").json_schema()
    doc["title"] = "mine"
    doc["x-label-descriptions"] = {"PER": "una persona"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    s = load_schema(str(path))
    assert s.name == "mine" and s.labels["PER"] == "una persona" and s.labels["ORG"] == "ORG"


ERRORS = [
    ("unknown-name", "nope", "unknown schema"),
    ("missing-json-file", "missing.json", "does not exist"),
    ("bad-module", "no_such_module:X", "cannot import"),
    ("bad-attribute", "test_schemas:Nope", "cannot import"),
    ("not-a-schema", "json:dumps", "neither an EntitySchema"),
]


@pytest.mark.parametrize("spec,message", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_load_errors(spec, message):
    with pytest.raises(SchemaError, match=message):
        load_schema(spec)


def test_output_model_validates_labels():
    model = load_schema("kind").output_model()
    model.model_validate({"entities": [{"text": "Roma", "label": "LOC"}]})
    with pytest.raises(ValidationError):
        model.model_validate({"entities": [{"text": "Roma", "label": "IBAN"}]})


def test_fingerprint_changes_with_labels():
    assert load_schema("kind").fingerprint() != load_schema("italian_email").fingerprint()
