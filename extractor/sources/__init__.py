"""Message sources: what a run reads mail from, one :class:`Source` per input, chosen by :func:`open_source`.

Every source yields :class:`~extractor.records.RawMessage` (or
:class:`~extractor.records.ErrorRecord` for what it cannot read) one at a time, within the
memory bounds of :mod:`.limits`:

* :mod:`.files`: mbox, Maildir, ``.eml`` files and directories of them;
* :mod:`.imap`: ``imap://`` and ``imaps://`` URLs, read by UID, optionally watched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from ..records import ErrorRecord, Flush, RawMessage
from .files import FileSource

if TYPE_CHECKING:
    from ..state import StateStore
    from .imap.options import ImapOptions

IMAP_SCHEMES = ("imap://", "imaps://")
"""Inputs starting with these are IMAP URLs; anything else is a path."""


class Source(Protocol):
    """One input of a run, as the runner uses it."""

    @property
    def spec(self) -> str:
        """The input as the user named it."""
        ...

    @property
    def live(self) -> bool:
        """Read from a server as it changes: no count up front, and its place is kept in a state
        file even when the run writes no output file."""
        ...

    def check(self) -> None:
        """Before the run: raise :class:`~extractor.errors.InputError` for an input that cannot give a message."""
        ...

    def count(self, stop: threading.Event | None = None) -> int | None:
        """How many items :meth:`iter_messages` will yield, where that is cheap to know; else ``None``
        (also once ``stop`` is set)."""
        ...

    def iter_messages(
        self, state: StateStore | None, stop: threading.Event | None = None
    ) -> Iterator[RawMessage | ErrorRecord | Flush]:
        """The input's messages in order, until the end or soon after ``stop`` is set.

        A live source uses ``state`` to read only what is not done yet, and yields
        :class:`~extractor.records.Flush` before it waits for mail.
        """
        ...


def open_source(spec: str, imap: ImapOptions | None = None) -> Source:
    """The source of one input: an IMAP URL (read with ``imap`` options), else a path.

    Opening reads nothing and checks nothing; see :meth:`Source.check`.
    """
    if spec.startswith(IMAP_SCHEMES):
        from .imap.source import ImapUrlSource  # imports imapclient, only when a run reads IMAP

        return ImapUrlSource(spec, imap)
    return FileSource(spec)
