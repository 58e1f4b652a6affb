"""What a person watching a run sees on stderr: a bar on a terminal, a status line elsewhere."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

STATUS_INTERVAL_S = 30.0
"""Seconds between status lines when stderr is not a terminal."""


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class ProgressDisplay:
    """Messages done (of the total, once known), entities (unless ``entities`` is false), errors, msg/s and ETA.

    On a terminal a tqdm bar; otherwise one status line every ``interval`` seconds (from a
    ticker thread), so a log file shows a run moving without a line per message.
    """

    def __init__(self, stream: TextIO, *, tty: bool | None = None, interval: float = STATUS_INTERVAL_S,
                 clock: Any = time.monotonic, ticker: bool = True, entities: bool = True) -> None:
        self.stream = stream
        self.show_entities = entities
        self.tty = stream.isatty() if tty is None else tty
        self.interval = interval
        self.clock = clock
        self.done = self.entities = self.errors = 0
        self.total: int | None = None
        self._pending_total: int | None = None
        self._started = clock()
        self._bar: Any = None
        self._closed = threading.Event()
        if self.tty:
            from tqdm import tqdm

            self._bar = tqdm(unit="msg", file=stream, dynamic_ncols=True, desc="messages")
        elif ticker:
            threading.Thread(target=self._tick, daemon=True).start()

    def _tick(self) -> None:
        """A status line every ``interval`` seconds, also while no message finishes (long ones)."""
        while not self._closed.wait(self.interval):
            self._apply_total()
            self.stream.write(self.status_line() + "\n")
            self.stream.flush()

    def set_total(self, total: int) -> None:
        """The number of messages, once counted (may be called from another thread)."""
        self._pending_total = total

    def _apply_total(self) -> None:
        if self._pending_total is not None and self.total is None:
            self.total = self._pending_total
            if self._bar is not None:
                self._bar.total = self.total
                self._bar.refresh()

    def advance(self, done: int, entities: int = 0, errors: int = 0) -> None:
        self._apply_total()
        self.done += done
        self.entities += entities
        self.errors += errors
        if self._bar is not None:
            counts = {"entities": self.entities} if self.show_entities else {}
            self._bar.set_postfix(**counts, errors=self.errors, refresh=False)
            self._bar.update(done)

    def status_line(self, now: float | None = None) -> str:
        elapsed = max((self.clock() if now is None else now) - self._started, 1e-9)
        rate = self.done / elapsed
        of = f"/{self.total}" if self.total is not None else ""
        found = f"{self.entities} entities, " if self.show_entities else ""
        line = (f"progress: {self.done}{of} messages, {found}{self.errors} errors, "
                f"{rate:.2f} msg/s, {_duration(elapsed)} elapsed")
        if self.total is not None and rate > 0 and self.done < self.total:
            line += f", ETA {_duration((self.total - self.done) / rate)}"
        return line

    def close(self) -> None:
        self._closed.set()
        if self._bar is not None:
            self._bar.close()


@contextmanager
def watch(total: int, enabled: bool = True, stream: TextIO | None = None, *,
          entities: bool = True) -> Iterator[ProgressDisplay | None]:
    """A display of ``total`` messages on ``stream`` (default stderr) while the block runs; ``None`` if not enabled."""
    if not enabled:
        yield None
        return
    display = ProgressDisplay(stream or sys.stderr, entities=entities)
    display.set_total(total)
    try:
        yield display
    finally:
        display.close()
