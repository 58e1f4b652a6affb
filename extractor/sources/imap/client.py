"""One logged-in IMAP session at a time: opened on demand, secured, dropped on failure.

Fatal problems (login refused, untrusted certificate, missing folder) raise :class:`ImapError`;
the errors in :data:`TRANSIENT` mean the connection is gone and a new one may work.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, LoginError

from . import PASSWORD_ENV, ImapError
from .options import ImapOptions
from .url import ImapTarget, display_url

log = logging.getLogger(__name__)


class Disconnected(Exception):
    """The server closed the session (BYE, EOF) while we were waiting."""


TRANSIENT = (imaplib.IMAP4.abort, OSError, EOFError, Disconnected)
"""A lost connection: reconnect with backoff."""
_CLOSE_ERRORS = (imaplib.IMAP4.error, OSError, EOFError, ValueError)


class Connection:
    """The session of one account: :meth:`ensure` connects when there is none, :meth:`drop` forgets it."""

    def __init__(self, target: ImapTarget, options: ImapOptions, password: str) -> None:
        self.target = target
        self.options = options
        self._password = password
        self.client: IMAPClient | None = None
        self.selected: str | None = None
        lib_log = logging.getLogger("imapclient")
        if lib_log.level == logging.NOTSET:  # its DEBUG output carries protocol lines
            lib_log.setLevel(logging.INFO)

    def __repr__(self) -> str:
        return f"Connection({self.url!r})"

    @property
    def url(self) -> str:
        return display_url(self.target)

    def ensure(self) -> IMAPClient:
        if self.client is None:
            self.client = self._connect()
            self.selected = None
        return self.client

    def drop(self, logout: bool = False) -> None:
        client, self.client, self.selected = self.client, None, None
        if client is None:
            return
        if logout:
            with contextlib.suppress(*_CLOSE_ERRORS):
                client.logout()
                return
        close(client)

    def select(self, client: IMAPClient, name: str) -> dict[bytes, object]:
        try:
            info = client.select_folder(name, readonly=not self.options.mark_seen)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            self.selected = None
            if not client.folder_exists(name):
                names = sorted(str(f[2]) for f in client.list_folders())
                shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
                raise ImapError(f"{self.url}: no folder {name!r} on the server (folders: {shown})") from None
            raise ImapError(f"{self.url}: cannot open folder {name!r}: {exc}") from None
        self.selected = name
        return info

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
            close(client)
            raise ImapError(
                f"{self.url}: TLS certificate not trusted ({exc.verify_message}); pass the server's CA with "
                "--ca-file, or --insecure only on a network you trust"
            ) from None
        except CapabilityError:
            close(client)
            raise ImapError(f"{self.url}: the server does not offer STARTTLS; use imaps:// instead") from None
        except LoginError as exc:
            close(client)
            text = str(exc)
            if "UNAVAILABLE" in text.upper():  # e.g. auth service restarting: transient
                raise Disconnected(f"login temporarily unavailable: {text}") from None
            raise ImapError(
                f"{self.url}: login failed for user {t.user!r}: wrong user name or password "
                f"(check {PASSWORD_ENV} or your netrc entry)"
            ) from None
        except imaplib.IMAP4.abort:
            close(client)
            raise
        except imaplib.IMAP4.error as exc:
            close(client)
            raise ImapError(f"{self.url}: the server refused the session: {exc}") from None
        except BaseException:
            close(client)
            raise
        log.info("%s: connected", self.url)
        return client


def close(client: IMAPClient | None) -> None:
    """Shut a session's socket without a word to the server."""
    if client is not None:
        with contextlib.suppress(*_CLOSE_ERRORS):
            client.shutdown()


def why(exc: BaseException) -> str:
    """An exception as a log line of at most about 200 characters."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."
