"""IMAP source: ``imap://`` / ``imaps://`` URLs read incrementally by UID, optionally watched.

``imaps://user@host[:port]/INBOX,Archive`` (``imap://`` upgrades with STARTTLS). TLS is
verified unless ``insecure``; the password never comes from the URL but from
``$EXTRACT_ENTITIES_IMAP_PASSWORD``, a netrc file, or a prompt on a terminal.

Per folder, the state store's ``meta`` table keeps ``imap:<url>:<folder>:uidvalidity`` and
``:last_uid``; the consumer marks each message done (``source``, ``key``) after writing it,
and the source only moves ``last_uid`` over UIDs that are done, so a crash or a dropped
connection can neither lose nor double a message. Messages are fetched with ``BODY.PEEK[]``
(flags untouched); ``mark_seen`` sets ``\\Seen`` once a message is done.

Modules: :mod:`.url` (URLs), :mod:`.auth` (passwords), :mod:`.options` (options, backoff),
:mod:`.client` (one logged-in session), :mod:`.source` (polling, IDLE, reconnects, state).
"""

from __future__ import annotations

from ...errors import InputError

PASSWORD_ENV = "EXTRACT_ENTITIES_IMAP_PASSWORD"
"""The environment variable an IMAP password is read from first."""


class ImapError(InputError):
    """An IMAP input cannot be read: bad URL, login refused, untrusted TLS, missing folder."""
