"""The run's state store: which messages are done, for exactly-once export and resume.

SQLite (WAL) next to the output (``<output>.state.sqlite``) or under the cache dir for stdout
runs. The JSONL files stay the source of truth: :meth:`StateStore.reconcile` re-reads them on
resume, so a crash between writing a line and committing its key can neither lose nor double
a message. Sources with cursors of their own (IMAP folders) keep them in the ``meta`` table.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Self

_SCHEMA = """
CREATE TABLE IF NOT EXISTS done (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    message_id TEXT,
    PRIMARY KEY (source, key)
);
CREATE INDEX IF NOT EXISTS done_message_id ON done(message_id) WHERE message_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def create_private(path: Path) -> None:
    """Create ``path`` (if missing) readable and writable by the owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class StateStore:
    """Done-keys and cursors of one run, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        create_private(path)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clear(self) -> None:
        """Forget everything (``--restart``)."""
        self._db.executescript("DELETE FROM done; DELETE FROM meta;")

    def is_done(self, source: str, key: str) -> bool:
        row = self._db.execute("SELECT 1 FROM done WHERE source=? AND key=?", (source, key)).fetchone()
        return row is not None

    def seen_message_id(self, message_id: str) -> bool:
        """True when a message with this Message-ID (or content hash) is already done."""
        return self._db.execute("SELECT 1 FROM done WHERE message_id=? LIMIT 1", (message_id,)).fetchone() is not None

    def mark_done(self, items: Iterable[tuple[str, str, str, str | None]]) -> None:
        """Record ``(source, key, status, message_id)`` rows in one transaction."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO done VALUES (?, ?, ?, ?)", list(items))

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM done").fetchone()[0]

    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def reconcile(self, *jsonl_files: Path | None) -> int:
        """Repair torn last lines of ``jsonl_files`` and mark every record in them done.

        Returns how many records were found. Records need ``source`` and ``key``.
        """
        rows = []
        for path in jsonl_files:
            if path is None or not path.exists():
                continue
            repair_torn_tail(path)
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(rec, dict) and "source" in rec and "key" in rec:
                        status = "error" if "reason" in rec else "ok"
                        rows.append((rec["source"], rec["key"], status, rec.get("dedup_key")))
        self.mark_done(rows)
        return len(rows)


def repair_torn_tail(path: Path) -> bool:
    """Cut a last line that has no newline (a write torn by a kill); True if it cut."""
    size = path.stat().st_size
    if size == 0:
        return False
    with open(path, "rb+") as fh:
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return False
        # Walk back to the previous newline in blocks.
        pos = size
        while pos > 0:
            step = min(65536, pos)
            fh.seek(pos - step)
            block = fh.read(step)
            idx = block.rfind(b"\n")
            if idx >= 0:
                fh.truncate(pos - step + idx + 1)
                return True
            pos -= step
        fh.truncate(0)
        return True
