"""One exception root for the library; the CLI turns these into one-line messages."""

from __future__ import annotations


class ExtractError(Exception):
    """Root of every error the library raises on purpose.

    The message is meant for a user: it says what went wrong and what to do next.
    """


class ConfigError(ExtractError):
    """Bad options: unknown alias, bad schema file, mismatched adapter, bad route."""


class InputError(ExtractError):
    """Unreadable or empty input: a missing path, an empty mailbox."""


class ModelNotFoundError(ConfigError):
    """A model's weights are not on this machine and cannot be fetched."""


class EngineError(ExtractError):
    """The inference engine failed to start or to serve a request."""


class ServerError(EngineError):
    """A running server cannot serve this run (down, misconfigured, refusing the key): the run stops.

    Methods let it through instead of recording their texts as failed, so the next run resumes.
    """


class MessageError(ExtractError):
    """One message could not be parsed or extracted; becomes an error record, never a crash."""
