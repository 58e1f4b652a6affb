"""The counts and timings of one run, for people (one line) and machines (JSON)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


@dataclass
class Summary:
    """Counts and timings of one run."""

    messages: int = 0
    entities: int = 0
    errors: int = 0
    skipped: int = 0
    duplicates: int = 0
    dropped_ungrounded: int = 0
    invalid_dropped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    looped: int = 0
    error_reasons: dict[str, int] = field(default_factory=dict)
    """Why texts failed, counted by reason (evaluation reports list them)."""
    options: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("parse", "prompt", "engine", "ground", "write"), 0.0))

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def to_dict(self) -> dict[str, Any]:
        secs = max(self.seconds, 1e-9)
        return {
            "messages": self.messages,
            "entities": self.entities,
            "errors": self.errors,
            "skipped_done": self.skipped,
            "duplicates": self.duplicates,
            "dropped_ungrounded": self.dropped_ungrounded,
            "invalid_dropped": self.invalid_dropped,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "looped": self.looped,
            **self.options,
            "seconds": round(secs, 3),
            "messages_per_s": round(self.messages / secs, 3),
            "tokens_per_s": round((self.prompt_tokens + self.completion_tokens) / secs, 1),
            "stage_seconds": {k: round(v, 3) for k, v in self.stages.items()},
        }

    def line(self, errors_at: str | None = None) -> str:
        """One readable line: what was written, what failed and where to look, how fast."""
        secs = max(self.seconds, 1e-9)
        parts = [f"done: {_plural(self.messages, 'message')}, {_plural(self.entities, 'entity', 'entities')}"]
        if self.errors:
            parts.append(_plural(self.errors, "error") + (f" (see {errors_at})" if errors_at else ""))
        if self.skipped:
            parts.append(f"{self.skipped} already done")
        if self.duplicates:
            parts.append(_plural(self.duplicates, "duplicate") + " skipped")
        if self.looped:
            parts.append(f"{self.looped} looped")
        if self.dropped_ungrounded:
            parts.append(f"{self.dropped_ungrounded} ungrounded dropped")
        line = ", ".join(parts) + f" in {secs:.1f} s ({self.messages / secs:.2f} msg/s)"
        if self.options:
            line += "; " + ", ".join(f"{k} {v}" for k, v in self.options.items())
        return line
