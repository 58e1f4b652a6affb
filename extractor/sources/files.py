"""Message files: mbox, Maildir, single messages (.eml) and directories of them, streamed.

A file source never holds a whole mailbox in memory: at most one message of
:data:`~extractor.sources.limits.MAX_MESSAGE_BYTES` (larger ones become error records without
being kept), read in lines or pieces of at most :data:`~extractor.sources.limits.READ_CHUNK_BYTES`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..records import ErrorRecord, RawMessage
from .limits import MAX_MESSAGE_BYTES, READ_CHUNK_BYTES

if TYPE_CHECKING:
    from ..state import StateStore

_MBOX_FROM = b"From "
_BOM = b"\xef\xbb\xbf"
_ENVELOPE = re.compile(
    rb"^From (?:- *\r?$|[^\s@]+@\S+ *\r?$|\S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d{2})"
)
"""An envelope line: sender and asctime date, a bare address, or Netscape's ``From -``.

Linear on any line: the address's local part stops at the first ``@`` (``\\S+@\\S+`` backtracks
quadratically over a line of ``a@a@a@...``)."""
_HEADER = re.compile(rb"^[!-9;-~]+:")
"""A header line (RFC 5322 field name then a colon)."""


def looks_like_mbox(path: Path) -> bool:
    """True when a file starts with an mbox ``From `` envelope line."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return head.removeprefix(_BOM).startswith(_MBOX_FROM)


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def iter_mbox(path: Path, max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[RawMessage | ErrorRecord]:
    """Stream an mbox file; the key is the byte offset of each envelope line.

    A message starts at the first line, and at every envelope line (``From addr Mon Jan  1
    ...`` or Netscape's ``From -``) that follows an empty line or is followed by a header line
    (mailers that leave no blank line). Other ``From `` lines are body text (unmunged mbox),
    ``>From `` quoting is undone; oversized messages become error records. The file is read in
    pieces of at most :data:`READ_CHUNK_BYTES`, so a file without line ends cannot fill memory.
    """
    source = str(path)
    start: int | None = None
    buf: list[bytes] = []
    size = 0
    too_big = False

    def add(piece: bytes, line_start: bool = True) -> None:
        nonlocal size, too_big, buf
        if too_big:
            return
        if line_start and piece.startswith(b">") and piece.lstrip(b">").startswith(_MBOX_FROM):
            piece = piece[1:]
        size += len(piece)
        if size > max_bytes:
            too_big, buf = True, []
        else:
            buf.append(piece)

    with open(path, "rb") as fh:
        offset = 0
        prev_blank = True
        line_start = True  # the piece read next begins a line (the previous one ended with a line end)
        long_envelope = False  # the line being read in pieces is the file's first envelope line
        pending: tuple[int, bytes] | None = None  # an envelope-like line awaiting its next line
        while piece := fh.readline(READ_CHUNK_BYTES):
            raw_len = len(piece)
            ends_line = piece.endswith(b"\n") or raw_len < READ_CHUNK_BYTES  # short read without a line end: EOF
            if not line_start:  # the rest of a line longer than one piece: never a boundary
                if not long_envelope:
                    add(piece, line_start=False)
                offset += raw_len
                line_start, prev_blank = ends_line, False
                continue
            line = piece.removeprefix(_BOM) if offset == 0 else piece
            if pending is not None:
                if _HEADER.match(line):
                    done = _mbox_message(source, start, buf, too_big, max_bytes)  # type: ignore[arg-type]
                    start, buf, size, too_big = pending[0], [], 0, False
                    yield done
                else:
                    add(pending[1])
                pending = None
            blank = line in (b"\n", b"\r\n")
            # The first envelope may be any "From " line; later ones must look like one (and fit in a piece).
            envelope = line.startswith(_MBOX_FROM) and (
                start is None or (ends_line and _ENVELOPE.match(line) is not None)
            )
            long_envelope = envelope and start is None and not ends_line
            if envelope and (prev_blank or start is None):
                done = _mbox_message(source, start, buf, too_big, max_bytes) if start is not None else None
                start, buf, size, too_big = offset, [], 0, False  # the lines go before the consumer gets the message
                if done is not None:
                    yield done
            elif envelope:
                pending = (offset, line)
            elif start is not None:
                add(line)
            offset += raw_len
            line_start, prev_blank = ends_line, blank
        if pending is not None:
            add(pending[1])
        if start is not None:
            done = _mbox_message(source, start, buf, too_big, max_bytes)
            buf = []
            yield done


def _mbox_message(source: str, start: int, buf: list[bytes], too_big: bool, max_bytes: int) -> RawMessage | ErrorRecord:
    key = f"offset:{start}"
    if too_big:
        return ErrorRecord(source, key, "read", f"message larger than {max_bytes} bytes")
    data = b"".join(buf)
    # The blank line before the next envelope belongs to the mbox format, not the message.
    if data.endswith(b"\r\n\r\n"):
        data = data[:-2]
    elif data.endswith(b"\n\n"):
        data = data[:-1]
    return RawMessage(source=source, key=key, data=data)


def iter_maildir(path: Path, max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[RawMessage | ErrorRecord]:
    """Walk a Maildir (``cur``/``new`` and ``.Sub.folders``); the key drops the flag suffix."""
    folders = [(None, path)]
    for sub in sorted(path.iterdir()):
        if sub.name.startswith(".") and is_maildir(sub):
            folders.append((sub.name[1:], sub))
    for folder, root in folders:
        for sub in ("new", "cur"):
            for entry in sorted((root / sub).iterdir()):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                key = f"{folder or ''}/{entry.name.split(':2,')[0]}"
                yield _read_file(entry, str(path), key, folder, max_bytes)


def _read_file(path: Path, source: str, key: str, folder: str | None, max_bytes: int) -> RawMessage | ErrorRecord:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return ErrorRecord(source, key, "read", f"message larger than {max_bytes} bytes", folder=folder)
        return RawMessage(source=source, key=key, data=path.read_bytes(), folder=folder)
    except OSError as exc:
        return ErrorRecord(source, key, "read", f"cannot read {path}: {exc.strerror or exc}", folder=folder)


def iter_path(path: Path, max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[RawMessage | ErrorRecord]:
    """Messages under one path: an mbox, a Maildir, a message file, or a directory of them."""
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if is_maildir(path):
        yield from iter_maildir(path, max_bytes)
    elif path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            here = Path(root)
            if is_maildir(here):
                dirs[:] = []
                yield from iter_maildir(here, max_bytes)
                continue
            for name in sorted(files):
                if not name.startswith("."):
                    yield from _iter_file(here / name, max_bytes)
    else:
        yield from _iter_file(path, max_bytes)


def _iter_file(path: Path, max_bytes: int) -> Iterator[RawMessage | ErrorRecord]:
    try:
        mbox = looks_like_mbox(path)
    except OSError as exc:
        yield ErrorRecord(str(path), "file", "read", f"cannot read {path}: {exc.strerror or exc}")
        return
    if mbox:
        yield from iter_mbox(path, max_bytes)
    elif path.stat().st_size == 0:
        yield ErrorRecord(str(path), "file", "read", "empty file")
    else:
        yield _read_file(path, str(path), "file", None, max_bytes)


class FileSource:
    """A path named on the command line: an mbox, a Maildir, a message file or a directory of them."""

    live = False

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.path = Path(spec).expanduser()

    def __repr__(self) -> str:
        return f"FileSource({self.spec!r})"

    def check(self) -> None:
        """Raise :class:`InputError` for a missing path or one without a single message."""
        path = self.path
        if not path.exists():
            raise InputError(f"{self.spec}: no such file or directory")
        if (path.is_file() and path.stat().st_size == 0) or next(iter_path(path), None) is None:
            raise InputError(f"{self.spec}: no messages found (empty mailbox or folder)")

    def count(self, stop: threading.Event | None = None) -> int | None:
        """The number of items :meth:`iter_messages` yields (by reading them); ``None`` once ``stop`` is set."""
        n = 0
        for _ in iter_path(self.path):
            if stop is not None and stop.is_set():
                return None
            n += 1
        return n

    def iter_messages(
        self, state: StateStore | None = None, stop: threading.Event | None = None
    ) -> Iterator[RawMessage | ErrorRecord]:
        """The messages under the path, in order; ends early once ``stop`` is set. ``state`` is not used."""
        for item in iter_path(self.path):
            if stop is not None and stop.is_set():  # SIGTERM/SIGINT: finish the batch in hand, keep the state
                return
            yield item
