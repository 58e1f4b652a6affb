"""IMAP source: ``imap://`` / ``imaps://`` URLs read incrementally by UID, optionally watched.

``imaps://user@host[:port]/INBOX,Archive`` (``imap://`` upgrades with STARTTLS). TLS is
verified unless ``insecure``; the password never comes from the URL but from
``$EXTRACT_ENTITIES_IMAP_PASSWORD``, a netrc file, or a prompt on a terminal.

Per folder, the state store's ``meta`` table keeps ``imap:<url>:<folder>:uidvalidity`` and
``:last_uid``; the consumer marks each message done (``source``, ``key``) after writing it,
and the source only moves ``last_uid`` over UIDs that are done, so a crash or a dropped
connection can neither lose nor double a message. Messages are fetched with ``BODY.PEEK[]``
(flags untouched); ``mark_seen`` sets ``\\Seen`` once a message is done.
"""

from __future__ import annotations

import contextlib
import email.errors
import email.parser
import email.policy
import getpass
import imaplib
import logging
import netrc
import os
import random
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, LoginError

from .errors import ConfigError, InputError
from .records import ErrorRecord, Flush, RawMessage
from .sources import MAX_MESSAGE_BYTES
from .state import StateStore

__all__ = [
    "PASSWORD_ENV",
    "Flush",
    "ImapError",
    "ImapOptions",
    "ImapSource",
    "ImapTarget",
    "backoff_delay",
    "display_url",
    "iter_imap_spec",
    "message_id_of",
    "parse_imap_url",
    "resolve_password",
]

log = logging.getLogger(__name__)

PASSWORD_ENV = "EXTRACT_ENTITIES_IMAP_PASSWORD"
DEFAULT_PORTS = {"imap": 143, "imaps": 993}
_SEEN = b"\\Seen"
_BODY = "BODY.PEEK[]"
_MID = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
_BACKOFF_BASE = 0.5


class ImapError(InputError):
    """An IMAP input cannot be read: bad URL, login refused, untrusted TLS, missing folder."""


class _Disconnected(Exception):
    """The server closed the session (BYE, EOF) while we were waiting."""


_TRANSIENT = (imaplib.IMAP4.abort, OSError, EOFError, _Disconnected)
_CLOSE_ERRORS = (imaplib.IMAP4.error, OSError, EOFError, ValueError)


# -- URLs and passwords ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImapTarget:
    """Where to read: account and folders. Holds no password."""

    scheme: str
    user: str
    host: str
    port: int
    folders: tuple[str, ...] = ("INBOX",)
    starttls: bool = True

    @property
    def tls(self) -> bool:
        """True when the session is encrypted (``imaps://`` or STARTTLS)."""
        return self.scheme == "imaps" or self.starttls


def parse_imap_url(spec: str) -> ImapTarget:
    """Parse ``imap[s]://user@host[:port]/FOLDER[,FOLDER...]``; folders default to ``INBOX``.

    Folder names are percent-decoded after splitting on commas (``%2C`` for a comma in a
    name). A password in the URL is refused: it would end up in shell history and logs.
    """
    try:
        parts = urlsplit(spec.strip())
    except ValueError as exc:
        raise ImapError(f"bad IMAP URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ImapError(f"{spec}: not an IMAP URL (expected imap:// or imaps://)")
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if ":" in userinfo:
        safe = f"{scheme}://{userinfo.split(':', 1)[0]}@{hostport}{parts.path}"
        raise ImapError(
            f"{safe}: do not put the password in the URL; set {PASSWORD_ENV}, add the account to ~/.netrc, "
            "or type it at the prompt"
        )
    if not userinfo:
        raise ImapError(f"{spec}: the URL needs a user name: {scheme}://USER@{hostport or 'HOST'}/INBOX")
    if parts.query or parts.fragment:
        raise ImapError(f"{spec}: unexpected '?' or '#' in an IMAP URL (percent-encode them in folder names)")
    host = parts.hostname
    if not host:
        raise ImapError(f"{spec}: the URL has no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ImapError(f"{spec}: bad port") from None
    path = parts.path.removeprefix("/")
    folders = tuple(unquote(f) for f in path.split(",") if f.strip())
    if not folders:
        folders = ("INBOX",)
    if len(set(folders)) != len(folders):
        raise ImapError(f"{spec}: a folder is named twice")
    return ImapTarget(scheme, unquote(userinfo), host, port, folders, starttls=scheme == "imap")


def display_url(target: ImapTarget, folder: str | None = None) -> str:
    """The URL without any password; with ``folder``, the URL of that one folder.

    ``display_url(target, folder)`` is ``RawMessage.source`` for messages of ``folder``, so a
    folder keeps its done-keys whether it was named alone or in a comma list. The default
    port is left out.
    """
    host = f"[{target.host}]" if ":" in target.host else target.host
    port = "" if target.port == DEFAULT_PORTS.get(target.scheme) else f":{target.port}"
    folders = (folder,) if folder is not None else target.folders
    path = ",".join(quote(f, safe="/") for f in folders)
    return f"{target.scheme}://{quote(target.user, safe='@')}@{host}{port}/{path}"


def resolve_password(target: ImapTarget, *, prompt: bool = True) -> str:
    """The account's password: ``$EXTRACT_ENTITIES_IMAP_PASSWORD``, else netrc, else a prompt.

    netrc is ``$NETRC`` or ``~/.netrc`` (a ``machine HOST login USER password ...`` entry whose
    login is empty or equals the URL's user). The prompt is only shown when stdin is a TTY.
    """
    value = os.environ.get(PASSWORD_ENV)
    if value:
        return value
    value = _netrc_password(target)
    if value:
        return value
    if prompt and sys.stdin is not None and sys.stdin.isatty():
        value = getpass.getpass(f"IMAP password for {target.user}@{target.host}: ")
        if value:
            return value
    raise ImapError(
        f"{display_url(target)}: no password: set {PASSWORD_ENV}, add "
        f"'machine {target.host} login {target.user} password ...' to ~/.netrc (or $NETRC), or run on a terminal"
    )


def _netrc_password(target: ImapTarget) -> str | None:
    path = os.environ.get("NETRC")
    if not path and not (Path.home() / ".netrc").is_file():
        return None
    if path and not Path(path).is_file():
        return None
    try:
        # file=None lets the netrc module refuse a ~/.netrc readable by others.
        auth = netrc.netrc(path or None).authenticators(target.host)
    except (netrc.NetrcParseError, OSError) as exc:
        raise ImapError(f"cannot read netrc file: {exc}") from None
    if auth is None:
        return None
    login, _account, password = auth
    if login and login != target.user:
        return None
    return password or None


# -- options and helpers --------------------------------------------------------------------


@dataclass(frozen=True)
class ImapOptions:
    """How to read an IMAP source.

    ``watch`` keeps the source open, waking every ``interval`` seconds or, with ``idle`` and a
    server that offers IDLE, as soon as mail arrives. ``retries`` bounds reconnects in one-pass
    mode; a watching source retries forever with backoff capped at ``max_backoff``.
    """

    insecure: bool = False
    ca_file: str | os.PathLike[str] | None = None
    watch: bool = False
    interval: float = 60.0
    idle: bool = True
    mark_seen: bool = False
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


_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.default)


def message_id_of(header: bytes) -> str | None:
    """The Message-ID of a message (or of its header), normalized like :mod:`extractor.mime`."""
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


# -- the source -----------------------------------------------------------------------------


class ImapSource:
    """Messages of one IMAP account's folders, read incrementally by UID.

    The consumer marks every yielded item done in the state store (``source``, ``key``) once it
    is written, and flushes its partial batch at each :class:`Flush` (and at the end).
    """

    def __init__(self, target: ImapTarget, options: ImapOptions | None = None, password: str | None = None) -> None:
        self.target = target
        self.options = options or ImapOptions()
        self._password = password if password is not None else resolve_password(target)
        self._client: IMAPClient | None = None
        self._selected: str | None = None
        self._folders = [_Folder(f, display_url(target, f)) for f in target.folders]
        lib_log = logging.getLogger("imapclient")
        if lib_log.level == logging.NOTSET:  # its DEBUG output carries protocol lines
            lib_log.setLevel(logging.INFO)

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
                    client = self._ensure_client()
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
                except _TRANSIENT as exc:
                    self._drop_client()
                    failures += 1
                    if phase == "wait":
                        phase = "poll"
                    if not opts.watch and failures > opts.retries:
                        raise ImapError(f"{self.url}: connection failed {failures} times, giving up: {_why(exc)}") from None
                    delay = backoff_delay(failures, opts.max_backoff)
                    log.warning("%s: connection lost (%s); reconnecting in %.1f s", self.url, _why(exc), delay)
                    if stop.wait(delay):
                        return
        finally:
            self._drop_client(logout=True)

    def _poll_folder(
        self, client: IMAPClient, folder: _Folder, state: StateStore, stop: threading.Event
    ) -> Iterator[RawMessage | ErrorRecord]:
        info = self._select(client, folder.name)
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
            if self._selected != folder.name:
                info = self._select(client, folder.name)
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
        self._select(client, self._folders[0].name)
        client.idle()
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            step = min(1.0, remaining)
            t0 = time.monotonic()
            responses = client.idle_check(timeout=step)
            if any(r and r[0] == b"BYE" for r in responses):
                raise _Disconnected("server closed the session")
            if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                log.debug("%s: IDLE woke up", self.url)
                break
            if not responses and time.monotonic() - t0 < step / 2:
                break  # readable without a line: EOF; DONE below finds out
        client.idle_done()

    # -- connection -----------------------------------------------------------------------

    def _ensure_client(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
            self._selected = None
        return self._client

    def _drop_client(self, logout: bool = False) -> None:
        client, self._client, self._selected = self._client, None, None
        if client is None:
            return
        if logout:
            with contextlib.suppress(*_CLOSE_ERRORS):
                client.logout()
                return
        _close(client)

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        if self.options.ca_file:
            ctx.load_verify_locations(cafile=str(Path(self.options.ca_file).expanduser()))
        if self.options.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _connect(self) -> IMAPClient:
        """Open, secure and log in; fatal problems raise :class:`ImapError`, others are transient."""
        t, opts = self.target, self.options
        ctx = self._ssl_context()
        if opts.insecure:
            log.warning("%s: TLS certificate verification is disabled (--insecure)", self.url)
        client: IMAPClient | None = None
        try:
            client = IMAPClient(t.host, port=t.port, ssl=t.scheme == "imaps", ssl_context=ctx, timeout=opts.timeout)
            if t.scheme == "imap":
                if t.starttls:
                    client.starttls(ctx)
                else:
                    log.warning("%s: plain-text IMAP session, the password travels unencrypted", self.url)
            client.login(t.user, self._password)
        except ssl.SSLCertVerificationError as exc:
            _close(client)
            raise ImapError(
                f"{self.url}: TLS certificate not trusted ({exc.verify_message}); pass the server's CA with "
                "--ca-file, or --insecure only on a network you trust"
            ) from None
        except CapabilityError:
            _close(client)
            raise ImapError(f"{self.url}: the server does not offer STARTTLS; use imaps:// instead") from None
        except LoginError as exc:
            _close(client)
            text = str(exc)
            if "UNAVAILABLE" in text.upper():  # e.g. auth service restarting: transient
                raise _Disconnected(f"login temporarily unavailable: {text}") from None
            raise ImapError(
                f"{self.url}: login failed for user {t.user!r}: wrong user name or password "
                f"(check {PASSWORD_ENV} or your netrc entry)"
            ) from None
        except imaplib.IMAP4.abort:
            _close(client)
            raise
        except imaplib.IMAP4.error as exc:
            _close(client)
            raise ImapError(f"{self.url}: the server refused the session: {exc}") from None
        except BaseException:
            _close(client)
            raise
        log.info("%s: connected", self.url)
        return client

    def _select(self, client: IMAPClient, name: str) -> dict[bytes, object]:
        try:
            info = client.select_folder(name, readonly=not self.options.mark_seen)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            self._selected = None
            if not client.folder_exists(name):
                names = sorted(str(f[2]) for f in client.list_folders())
                shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
                raise ImapError(f"{self.url}: no folder {name!r} on the server (folders: {shown})") from None
            raise ImapError(f"{self.url}: cannot open folder {name!r}: {exc}") from None
        self._selected = name
        return info


def _close(client: IMAPClient | None) -> None:
    if client is not None:
        with contextlib.suppress(*_CLOSE_ERRORS):
            client.shutdown()


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def iter_imap_spec(
    spec: str,
    options: ImapOptions | None = None,
    state: StateStore | None = None,
    stop: threading.Event | None = None,
    *,
    flush: bool = False,
) -> Iterator[RawMessage | ErrorRecord | Flush]:
    """Messages of one IMAP URL (one pass unless ``options.watch``); for :func:`iter_sources`.

    ``state=None`` remembers nothing across runs. :class:`Flush` markers are dropped unless
    ``flush=True``.
    """
    source = ImapSource(parse_imap_url(spec), options)
    for item in source.iter_messages(state, stop):
        if flush or not isinstance(item, Flush):
            yield item
