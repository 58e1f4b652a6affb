"""Record sinks: JSONL files (0600, flushed and fsynced per batch) or a text stream."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from .state import create_private


class JsonlSink:
    """Appends one JSON object per line to a file (created 0600) or a stream."""

    def __init__(self, path: Path | None, stream: TextIO | None = None) -> None:
        self.path = path
        if path is not None:
            create_private(path)
            self._fh: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the sink
        else:
            self._fh = stream or sys.stdout
        self.count = 0

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1

    def commit(self) -> None:
        """Make what was written durable before the state store records it as done."""
        self._fh.flush()
        if self.path is not None:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self.commit()
        if self.path is not None:
            self._fh.close()
