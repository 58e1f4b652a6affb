"""The password of an IMAP account: environment, netrc, or a prompt; never the URL."""

from __future__ import annotations

import getpass
import netrc
import os
import sys
from pathlib import Path

from . import PASSWORD_ENV, ImapError
from .url import ImapTarget, display_url


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
