"""The data that flows along the pipeline: raw messages, parsed messages, entities, records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RawMessage:
    """The bytes of one message as a source delivered them.

    ``key`` is stable within ``source`` across runs (mbox byte offset, Maildir key, file
    path, ``UIDVALIDITY:UID``); ``(source, key)`` is what the state store remembers.
    """

    source: str
    key: str
    data: bytes
    folder: str | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int


@dataclass(frozen=True)
class Message:
    """A decoded message: headers plus the body text the model will see."""

    source: str
    key: str
    text: str
    folder: str | None = None
    uid: int | None = None
    message_id: str | None = None
    date: str | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str | None = None
    body_type: str = "text/plain"
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entity:
    """One entity grounded in ``Message.text[start:end]`` (``field`` names a header instead).

    ``source`` says what found it: ``"model"`` (the extraction method) or ``"pattern"``
    (an exact recognizer); ``None`` where nobody asked (evaluation of one layer alone).
    """

    text: str
    label: str
    start: int | None
    end: int | None
    grounded: bool = True
    valid: bool | None = None
    field: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "label": self.label, "start": self.start, "end": self.end}
        if self.source is not None:
            d["source"] = self.source
        if not self.grounded:
            d["grounded"] = False
        if self.valid is not None:
            d["valid"] = self.valid
        if self.field is not None:
            d["field"] = self.field
        return d


@dataclass(frozen=True)
class ErrorRecord:
    """A message that could not be turned into a result, with the reason. Never dropped.

    Errors past the read stage carry the same routing facts as records (``model``,
    ``adapter``, ``folder``), so a user can see which adapter failed on which message.
    """

    source: str
    key: str
    stage: str
    reason: str
    message_id: str | None = None
    folder: str | None = None
    uid: int | None = None
    model: str | None = None
    adapter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class Flush:
    """Marker a live source (IMAP watch) yields before it blocks: process what is pending now."""
