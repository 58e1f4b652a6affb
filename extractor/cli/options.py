"""Click options built from the option groups' field metadata (``extractor.config``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import click


def options_of(cls: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator adding one click option per field of ``cls`` that declares its flag."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for f in reversed(fields(cls)):
            spec = f.metadata.get("cli")
            if spec is None:
                continue
            default = f.default if f.default is not MISSING else None
            kw: dict[str, Any] = {"default": default, "show_default": True, "help": spec["help"]}
            flag = spec["flag"]
            if "choices" in spec:
                kw["type"] = click.Choice(list(spec["choices"]))
            elif isinstance(spec.get("min"), float):
                kw["type"] = click.FloatRange(spec["min"])
            elif "min" in spec:
                kw["type"] = click.IntRange(spec["min"])
            elif spec.get("path"):
                kw["type"] = click.Path(exists=True, dir_okay=False, path_type=Path)
                kw.pop("show_default")
            elif isinstance(default, bool) and "/" not in flag:
                kw["is_flag"] = True
                kw.pop("show_default")
            command = click.option(flag, f.name, **kw)(command)
        return command

    return decorate
