"""Entity schemas shared by training, serving and evaluation.

``load_schema`` takes a built-in name, a JSON Schema file, or ``module:Attribute`` (an
:class:`EntitySchema` instance or a pydantic model class); ``none`` asks for no entities
(only the message classes of ``schemas.classes``).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from pydantic import BaseModel

from extractor.errors import ConfigError

from .base import EntitySchema, FewShot, schema_from_json_schema, schema_from_model
from .italian_email import KIND
from .italian_email import SCHEMA as ITALIAN_EMAIL

NO_ENTITIES = EntitySchema(name="none", labels={})
"""No entity labels: the model is asked only for the message classes."""
BUILTIN: dict[str, EntitySchema] = {"italian_email": ITALIAN_EMAIL, "kind": KIND, "none": NO_ENTITIES}
DEFAULT_SCHEMA = "italian_email"


class SchemaError(ConfigError, ValueError):
    """A schema spec that cannot be loaded; the message says why."""


def load_schema(spec: str | None) -> EntitySchema:
    """Resolve ``spec`` (built-in name, ``.json`` file, or ``module:Attribute``) to a schema."""
    spec = spec or DEFAULT_SCHEMA
    if spec in BUILTIN:
        return BUILTIN[spec]
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".json" or path.exists():
        if not path.is_file():
            raise SchemaError(f"schema file {spec} does not exist")
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            return schema_from_json_schema(doc, name=path.stem)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SchemaError(f"schema file {spec} is not valid JSON: {exc}") from exc
        except ValueError as exc:
            raise SchemaError(f"schema file {spec}: {exc}") from exc
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise SchemaError(f"cannot import schema {spec}: {exc}") from exc
        if isinstance(obj, EntitySchema):
            return obj
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            try:
                return schema_from_model(obj)
            except ValueError as exc:
                raise SchemaError(f"schema {spec}: {exc}") from exc
        raise SchemaError(f"{spec} is neither an EntitySchema nor a pydantic model class")
    raise SchemaError(
        f"unknown schema {spec!r}: use one of {', '.join(sorted(BUILTIN))}, a JSON Schema file, or module:Class"
    )


__all__ = [
    "BUILTIN",
    "DEFAULT_SCHEMA",
    "NO_ENTITIES",
    "EntitySchema",
    "FewShot",
    "SchemaError",
    "load_schema",
    "schema_from_json_schema",
    "schema_from_model",
]
