"""IMAP URLs: ``imap[s]://user@host[:port]/FOLDER[,FOLDER...]`` to an :class:`ImapTarget` and back."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from . import PASSWORD_ENV, ImapError

DEFAULT_PORTS = {"imap": 143, "imaps": 993}


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

