"""How much of a mailbox a source may hold in memory at once; the limits on parsing are in :mod:`extractor.mail.limits`."""

from __future__ import annotations

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""Messages larger than this become error records instead of being read into memory."""
READ_CHUNK_BYTES = 1024 * 1024
"""mbox files are read a line at a time, and lines longer than this in pieces of this size."""
