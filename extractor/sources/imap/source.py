"""Reading an IMAP account's folders by UID: polling, IDLE, reconnects, and the state they keep.

The package docstring (:mod:`extractor.sources.imap`) says how the state store keeps a crash
or a dropped connection from losing or doubling a message.
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

from ...records import ErrorRecord, Flush, RawMessage
from ...state import StateStore
from . import ImapError
from .auth import resolve_password
from .client import TRANSIENT, Connection, Disconnected, why
from .options import ImapOptions, backoff_delay
from .url import ImapTarget, display_url, parse_imap_url

log = logging.getLogger(__name__)

_SEEN = b"\\Seen"
_BODY = "BODY.PEEK[]"
_MID = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.default)


def message_id_of(header: bytes) -> str | None:
    """The Message-ID of a message (or of its header), normalized as the parsed message carries it."""
    try:
        value = _HEADER_PARSER.parsebytes(header).get("Message-ID")
    except (ValueError, TypeError, IndexError, AttributeError, email.errors.MessageError):
        return None  # malformed header values raise from the header registry
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _body_item(data: dict[bytes, object], prefix: bytes) -> bytes | None:
    for name, value in data.items():
        if isinstance(name, bytes) and name.startswith(prefix):
            return value if isinstance(value, bytes) else None
    return None


@dataclass
class _Folder:
    """What the source remembers about one folder in this process (the rest is in ``state``)."""

    name: str
    source: str
    uidvalidity: int | None = None
    yielded_upto: int = 0
    pending: list[int] = field(default_factory=list)

    def key(self, uid: int) -> str:
        return f"{self.name}:{self.uidvalidity}:{uid}"

    def meta(self, what: str) -> str:
        return f"imap:{self.source}:{self.name}:{what}"


class ImapSource:
    """Messages of one IMAP account's folders, read incrementally by UID.

    The consumer marks every yielded item done in the state store (``source``, ``key``) once it
    is written, and flushes its partial batch at each :class:`Flush` (and at the end).
    """

    def __init__(self, target: ImapTarget, options: ImapOptions | None = None, password: str | None = None) -> None:
        self.target = target
        self.options = options or ImapOptions()
        self._conn = Connection(target, self.options, password if password is not None else resolve_password(target))
        self._folders = [_Folder(f, display_url(target, f)) for f in target.folders]

    def __repr__(self) -> str:
        return f"ImapSource({display_url(self.target)!r})"

    @property
    def url(self) -> str:
        return display_url(self.target)

    # -- iteration ------------------------------------------------------------------------

    def iter_messages(
        self, state: StateStore | None, stop: threading.Event | None = None
    ) -> Iterator[RawMessage | ErrorRecord | Flush]:
        """Yield new messages of every folder, then :class:`Flush`; with ``watch``, repeat.

        Stops at the end of the pass (no ``watch``) or soon after ``stop`` is set (checked
        between messages and at least every second while waiting). ``state=None`` uses a
        throw-away store, so nothing is remembered across runs.
        """
        if stop is None:
            stop = threading.Event()
        if state is None:
            with (
                tempfile.TemporaryDirectory(prefix="extract-entities-imap-") as tmp,
                StateStore(Path(tmp) / "state.sqlite") as temp_state,
            ):
                yield from self.iter_messages(temp_state, stop)
            return
        opts = self.options
        phase = "poll"
        failures = 0
        try:
            while True:
                try:
                    client = self._conn.ensure()
                    if phase == "poll":
                        for folder in self._folders:
                            if stop.is_set():
                                break
                            yield from self._poll_folder(client, folder, state, stop)
                        phase = "flush"
                    if phase == "flush":
                        phase = "advance"
                        yield Flush()
                    if phase == "advance":
                        # The consumer flushed at Flush: what it got is done now.
                        for folder in self._folders:
                            self._advance(client, folder, state)
                        failures = 0
                        if stop.is_set() or not opts.watch:
                            return
                        phase = "wait"
                    if phase == "wait":
                        phase = "poll"
                        self._wait(client, stop)
                        if stop.is_set():
                            return
                except TRANSIENT as exc:
                    self._conn.drop()
                    failures += 1
                    if phase == "wait":
                        phase = "poll"
                    if not opts.watch and failures > opts.retries:
                        raise ImapError(f"{self.url}: connection failed {failures} times, giving up: {why(exc)}") from None
                    delay = backoff_delay(failures, opts.max_backoff)
                    log.warning("%s: connection lost (%s); reconnecting in %.1f s", self.url, why(exc), delay)
                    if stop.wait(delay):
                        return
        finally:
            self._conn.drop(logout=True)

    def _poll_folder(
        self, client: IMAPClient, folder: _Folder, state: StateStore, stop: threading.Event
    ) -> Iterator[RawMessage | ErrorRecord]:
        info = self._conn.select(client, folder.name)
        self._check_uidvalidity(client, folder, info, state)
        last = int(state.get_meta(folder.meta("last_uid")) or 0)
        # "UID SEARCH UID n:*" returns the highest UID even when it is below n.
        folder.pending = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        last = self._advance(client, folder, state)
        floor = max(last, folder.yielded_upto)
        todo = [u for u in folder.pending if u > floor and not state.is_done(folder.source, folder.key(u))]
        if not todo:
            return
        log.info("%s: %d new message(s) in %s", self.url, len(todo), folder.name)
        rescan_upto = int(state.get_meta(folder.meta("rescan_upto")) or 0)
        for batch in _chunks(todo, self.options.batch_size):
            if stop.is_set():
                return
            yield from self._fetch_batch(client, folder, batch, state, stop, rescan_upto)

    def _fetch_batch(
        self, client: IMAPClient, folder: _Folder, batch: list[int], state: StateStore, stop: threading.Event,
        rescan_upto: int,
    ) -> Iterator[RawMessage | ErrorRecord]:
        items = ["RFC822.SIZE"]
        if batch[0] <= rescan_upto:
            items.append(_MID)
        meta = client.fetch(batch, items)
        wanted: list[int] = []
        too_big: set[int] = set()
        duplicates: list[tuple[str, str, str, str | None]] = []
        for uid in batch:
            if uid not in meta:
                continue  # expunged meanwhile
            if uid <= rescan_upto:
                mid = message_id_of(_body_item(meta[uid], b"BODY[HEADER") or b"")
                if mid and state.seen_message_id(mid):
                    duplicates.append((folder.source, folder.key(uid), "duplicate", mid))
                    continue
            size = meta[uid].get(b"RFC822.SIZE")
            if isinstance(size, int) and size > self.options.max_bytes:
                too_big.add(uid)
            else:
                wanted.append(uid)
        if duplicates:
            state.mark_done(duplicates)
            log.info("%s: skipped %d message(s) of %s already done under the old UIDVALIDITY",
                     self.url, len(duplicates), folder.name)
        bodies = client.fetch(wanted, [_BODY]) if wanted else {}
        for uid in batch:
            if stop.is_set():
                return
            if uid in too_big:
                folder.yielded_upto = max(folder.yielded_upto, uid)
                yield ErrorRecord(folder.source, folder.key(uid), "read",
                                  f"message larger than {self.options.max_bytes} bytes", folder=folder.name, uid=uid)
                continue
            data = _body_item(bodies.get(uid, {}), b"BODY[]")
            if data is None:
                continue
            folder.yielded_upto = max(folder.yielded_upto, uid)
            yield RawMessage(source=folder.source, key=folder.key(uid), data=data, folder=folder.name, uid=uid)

    def _check_uidvalidity(self, client: IMAPClient, folder: _Folder, info: dict[bytes, object],
                           state: StateStore) -> None:
        uidvalidity = int(info[b"UIDVALIDITY"])  # type: ignore[call-overload]
        stored = state.get_meta(folder.meta("uidvalidity"))
        if stored is not None and int(stored) != uidvalidity:
            uidnext = info.get(b"UIDNEXT")
            upto = int(uidnext) - 1 if isinstance(uidnext, int) else max(client.search(["ALL"]), default=0)
            log.warning("%s: UIDVALIDITY of %s changed (%s -> %d): rescanning, skipping Message-IDs already done",
                        self.url, folder.name, stored, uidvalidity)
            # Cursor first, UIDVALIDITY last: a crash in between repeats this step.
            state.set_meta(folder.meta("rescan_upto"), str(upto))
            state.set_meta(folder.meta("last_uid"), "0")
        if stored is None or int(stored) != uidvalidity:
            state.set_meta(folder.meta("uidvalidity"), str(uidvalidity))
        if folder.uidvalidity != uidvalidity:
            folder.uidvalidity = uidvalidity
            folder.yielded_upto = 0
            folder.pending = []

    def _advance(self, client: IMAPClient, folder: _Folder, state: StateStore) -> int:
        """Move ``last_uid`` over the done prefix of ``folder.pending``; returns the new value."""
        last = int(state.get_meta(folder.meta("last_uid")) or 0)
        passed: list[int] = []
        for uid in folder.pending:
            if uid <= last:
                continue
            if not state.is_done(folder.source, folder.key(uid)):
                break
            passed.append(uid)
        if not passed:
            return last
        if self.options.mark_seen:
            if self._conn.selected != folder.name:
                info = self._conn.select(client, folder.name)
                if int(info[b"UIDVALIDITY"]) != folder.uidvalidity:  # type: ignore[call-overload]
                    return last  # recreated meanwhile: the next poll rescans
            for chunk in _chunks(passed, 500):
                client.add_flags(chunk, [_SEEN], silent=True)
        new_last = passed[-1]
        state.set_meta(folder.meta("last_uid"), str(new_last))
        folder.pending = [u for u in folder.pending if u > new_last]
        return new_last

    def _wait(self, client: IMAPClient, stop: threading.Event) -> None:
        """Block until mail may have arrived, ``interval`` passed, or ``stop`` is set."""
        opts = self.options
        deadline = time.monotonic() + opts.interval
        if not (opts.idle and client.has_capability("IDLE")):
            stop.wait(opts.interval)
            return
        # IDLE watches the selected folder; other folders are polled every interval.
        self._conn.select(client, self._folders[0].name)
        client.idle()
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            step = min(1.0, remaining)
            t0 = time.monotonic()
            responses = client.idle_check(timeout=step)
            if any(r and r[0] == b"BYE" for r in responses):
                raise Disconnected("server closed the session")
            if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                log.debug("%s: IDLE woke up", self.url)
                break
            if not responses and time.monotonic() - t0 < step / 2:
                break  # readable without a line: EOF; DONE below finds out
        client.idle_done()


class ImapUrlSource:
    """An ``imap://`` / ``imaps://`` input: parsed, and its password found, only when read.

    A live source: it cannot be counted up front, and it keeps its place in a state file even
    when the run writes no output file.
    """

    live = True

    def __init__(self, spec: str, options: ImapOptions | None = None) -> None:
        self.spec = spec
        self.options = options

    def __repr__(self) -> str:
        return f"ImapUrlSource({self.spec!r})"

    def check(self) -> None:
        """Nothing to check up front: the URL, the password and the login are checked when read."""

    def count(self, stop: threading.Event | None = None) -> int | None:
        return None

    def iter_messages(
        self, state: StateStore | None, stop: threading.Event | None = None
    ) -> Iterator[RawMessage | ErrorRecord | Flush]:
        """The messages of :class:`ImapSource` on this URL, :class:`Flush` markers included."""
        yield from ImapSource(parse_imap_url(self.spec), self.options).iter_messages(state, stop)
