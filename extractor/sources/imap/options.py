"""How to read an IMAP source, and how long to wait before a reconnect."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from ...config import cli
from ...errors import ConfigError
from ..limits import MAX_MESSAGE_BYTES

_BACKOFF_BASE = 0.5


@dataclass(frozen=True)
class ImapOptions:
    """How to read an IMAP source.

    ``watch`` keeps the source open, waking every ``interval`` seconds or, with ``idle`` and a
    server that offers IDLE, as soon as mail arrives. ``retries`` bounds reconnects in one-pass
    mode; a watching source retries forever with backoff capped at ``max_backoff``.
    """

    insecure: bool = field(default=False, metadata=cli("--insecure", "IMAP: do not verify the server's TLS certificate."))
    ca_file: str | os.PathLike[str] | None = field(default=None, metadata=cli(
        "--ca-file", "IMAP: trust this CA (a PEM file).", path=True))
    watch: bool = field(default=False, metadata=cli("--watch", "IMAP: keep polling (IDLE when offered)."))
    interval: float = field(default=60.0, metadata=cli("--interval", "IMAP: seconds between polls.", min=1.0))
    idle: bool = True
    mark_seen: bool = field(default=False, metadata=cli("--mark-seen", "IMAP: set \\Seen on messages once extracted."))
    batch_size: int = 25
    max_backoff: float = 60.0
    timeout: float = 60.0
    retries: int = 5
    max_bytes: int = MAX_MESSAGE_BYTES

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError("IMAP batch size must be at least 1")
        if self.interval <= 0 or self.timeout <= 0 or self.max_backoff <= 0:
            raise ConfigError("IMAP interval, timeout and max backoff must be positive")
        if self.retries < 0:
            raise ConfigError("IMAP retries must not be negative")
        if self.ca_file is not None and not Path(self.ca_file).expanduser().is_file():
            raise ConfigError(f"{self.ca_file}: CA file not found")


def backoff_delay(attempt: int, max_backoff: float, rand: float | None = None) -> float:
    """Seconds to wait before reconnect ``attempt`` (1-based): 0.5 s doubling, capped, jittered.

    The jitter keeps the delay within ``[cap/2, cap]`` of the capped exponential value.
    """
    cap = min(max_backoff, _BACKOFF_BASE * 2 ** max(0, min(attempt - 1, 30)))
    r = random.random() if rand is None else rand
    return cap * (0.5 + 0.5 * r)
