"""Run-level option groups, each frozen, documented and given its CLI form once.

A field's ``metadata`` names its command-line flag and help text; ``extractor.cli.options``
turns a whole group into click options, so ``extract`` and ``evaluate`` share one definition
(and one default) of every engine option.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .engine import DECODING_BACKENDS


def cli(flag: str, help: str, **extra: Any) -> dict[str, Any]:
    """Field metadata: the option's flag (``--x`` or ``--x/--no-x``), help text, ``choices`` or ``min``."""
    return {"cli": {"flag": flag, "help": help, **extra}}


@dataclass(frozen=True)
class EngineOptions:
    """How a run's engine is started: the part of a run that shapes vLLM.

    Attributes:
        decoding_backend: vLLM structured-outputs backend for JSON-schema decoding.
        max_model_len: context the engine reserves per sequence (prompt + completion).
        eager: skip torch.compile: a much faster start on CPU, a little slower per token
            (benchmarks/RESULTS.md); the better trade for a few dozen messages.
        loop_stop: end completions that repeat themselves (:class:`extractor.engine.LoopStop`).
    """

    decoding_backend: str = field(default="outlines", metadata=cli(
        "--decoding-backend", "vLLM structured-outputs backend for JSON-schema decoding.", choices=DECODING_BACKENDS))
    max_model_len: int = field(default=4096, metadata=cli(
        "--max-model-len", "Context per sequence (prompt + completion).", min=256))
    eager: bool = field(default=False, metadata=cli(
        "--eager", "Skip torch.compile: a much faster engine start on CPU, a little slower per token (small jobs)."))
    loop_stop: bool = field(default=True, metadata=cli(
        "--loop-stop/--no-loop-stop", "End a completion that keeps repeating the same entities instead of running "
                                      "it to --max-tokens."))

    def __post_init__(self) -> None:
        if self.decoding_backend not in DECODING_BACKENDS:
            raise ValueError(f"decoding backend must be one of {', '.join(DECODING_BACKENDS)}")


def take(cls: type, values: dict[str, Any]) -> Any:
    """An instance of the option group ``cls`` from the matching keys of ``values`` (removed from it)."""
    return cls(**{f.name: values.pop(f.name) for f in fields(cls) if f.name in values})
