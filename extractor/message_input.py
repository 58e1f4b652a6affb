"""What a whole-message classifier reads of a message: its body, or its Subject line and then its body.

Entity methods read the body alone: their entities are grounded to its offsets. A sequence adapter
records what it was trained to read (metadata ``reads``) and is served the same; adapters from
before this was recorded read the body.
"""

from __future__ import annotations

BODY = "body"
SUBJECT_BODY = "subject+body"
READS = (BODY, SUBJECT_BODY)


def message_input(body: str, subject: str | None, reads: str) -> str:
    """The text a classifier reading ``reads`` gets: ``Subject: ...``, a blank line, the body (the body
    alone when ``reads`` is ``body`` or there is no subject)."""
    if reads not in READS:
        raise ValueError(f"reads must be one of {', '.join(READS)}, got {reads!r}")
    subject = " ".join((subject or "").split())
    if reads == BODY or not subject:
        return body
    return f"Subject: {subject}\n\n{body}"
