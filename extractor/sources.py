"""Message sources: mbox, Maildir, .eml files and directories, streamed one message at a time.

Every source yields :class:`RawMessage` (or :class:`ErrorRecord` for what it cannot read)
and never holds a whole mailbox in memory. IMAP sources live in :mod:`extractor.imap`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InputError
from .records import ErrorRecord, RawMessage

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Messages larger than this become error records instead of being read into memory."""

_MBOX_FROM = b"From "
_BOM = b"\xef\xbb\xbf"
_ENVELOPE = re.compile(
    rb"^From (?:- *\r?$|\S+@\S+ *\r?$|\S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d{2})"
)
"""An envelope line: sender and asctime date, a bare address, or Netscape's ``From -``."""
_HEADER = re.compile(rb"^[!-9;-~]+:")
"""A header line (RFC 5322 field name then a colon)."""


def is_imap_url(spec: str) -> bool:
    return spec.startswith(("imap://", "imaps://"))


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
    ``>From `` quoting is undone; oversized messages become error records.
    """
    source = str(path)
    start: int | None = None
    buf: list[bytes] = []
    size = 0
    too_big = False

    def add(line: bytes) -> None:
        nonlocal size, too_big, buf
        if too_big:
            return
        if line.startswith(b">") and line.lstrip(b">").startswith(_MBOX_FROM):
            line = line[1:]
        size += len(line)
        if size > max_bytes:
            too_big, buf = True, []
        else:
            buf.append(line)

    with open(path, "rb") as fh:
        offset = 0
        prev_blank = True
        pending: tuple[int, bytes] | None = None  # an envelope-like line awaiting its next line
        for line in fh:
            raw_len = len(line)
            if offset == 0:
                line = line.removeprefix(_BOM)
            if pending is not None:
                if _HEADER.match(line):
                    yield _mbox_message(source, start, buf, too_big, max_bytes)  # type: ignore[arg-type]
                    start, buf, size, too_big = pending[0], [], 0, False
                else:
                    add(pending[1])
                pending = None
            blank = line in (b"\n", b"\r\n")
            envelope = line.startswith(_MBOX_FROM) and (start is None or _ENVELOPE.match(line) is not None)
            if envelope and (prev_blank or start is None):
                if start is not None:
                    yield _mbox_message(source, start, buf, too_big, max_bytes)
                start, buf, size, too_big = offset, [], 0, False
            elif envelope:
                pending = (offset, line)
            elif start is not None:
                add(line)
            offset += raw_len
            prev_blank = blank
        if pending is not None:
            add(pending[1])
        if start is not None:
            yield _mbox_message(source, start, buf, too_big, max_bytes)


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


def iter_sources(specs: Iterable[str], max_bytes: int = MAX_MESSAGE_BYTES) -> Iterator[RawMessage | ErrorRecord]:
    """Messages from every input the user named, in order. IMAP URLs go to :mod:`extractor.imap`."""
    for spec in specs:
        if is_imap_url(spec):
            from .imap import iter_imap_spec

            yield from iter_imap_spec(spec)
        else:
            yield from iter_path(Path(spec).expanduser(), max_bytes)
