"""Every bound on the work spent parsing one message, in one place.

A mailbox is untrusted input: nothing the parser meets is recursed into, scanned or copied
without one of these limits. What goes over a limit is cut, with a defect that names the
limit, wherever the rest of the message stays readable. The size of the raw message is
bounded by the source (:data:`extractor.sources.limits.MAX_MESSAGE_BYTES`).

* Structure: :data:`MAX_LINES` lines, :data:`MAX_PARTS` parts and :data:`MAX_CONTAINERS`
  containers are parsed (the raw bytes are cut before the next one), :data:`MAX_DEPTH` levels
  walked.
* Headers: :data:`MAX_HEADER_CHARS` characters per value are kept from the parse on (the
  stdlib's parameter parser is quadratic, and ``Content-*`` headers also keep at most
  :data:`MAX_HEADER_PARAMS` parameters); :data:`MAX_ADDRESSES` addresses per To/Cc.
* Text: the text parts decoded per message stop at twice :data:`MAX_TEXT_CHARS` characters
  (quote removal only shortens, so text past that can never be kept), and the body is then cut
  to :data:`MAX_TEXT_CHARS`. A huge plain-text mail thus keeps its beginning, with the defect
  ``body truncated to <MAX_TEXT_CHARS> characters``, rather than failing: the start of a mail
  is where its parties, dates and amounts are. Raise :data:`MAX_TEXT_CHARS` to keep more. At
  most :data:`MAX_HTML_CHARS` characters of HTML are rendered per message, all parts together.
* Quotes: reply headers are matched on lines cut to :data:`MAX_PROBE_LINE` characters.

The code reads these as ``limits.NAME`` at call time, so a test can patch them here.
"""

from __future__ import annotations

MAX_PARTS = 1000
"""MIME parts parsed per message; the raw bytes are cut before the next ``Content-Type`` line."""
MAX_CONTAINERS = 100
"""``multipart/*`` and ``message/*`` containers parsed per message (bounds nesting, recursion and parse time)."""
MAX_LINES = 1_000_000
"""Lines parsed per message; the raw bytes are cut after it (the stdlib parser keeps one string object per
line, so a message of very short lines costs many times its size)."""
MAX_DEPTH = 24
"""Nesting depth walked; deeper parts are skipped with a defect."""
MAX_TEXT_CHARS = 100_000
"""Longer body text is truncated, with a defect; text parts past twice this are not decoded."""
MAX_HTML_CHARS = 1_000_000
"""HTML rendered per message, all parts together (rendering time grows with it)."""
MAX_HEADER_CHARS = 16_384
"""Header values longer than this are cut at parse time and before decoding, with a defect."""
MAX_HEADER_PARAMS = 100
"""Parameters kept per ``Content-*`` header (RFC 2231 continuations included); the stdlib parses them quadratically."""
MAX_ADDRESSES = 500
"""Addresses kept per To/Cc header."""
MAX_PROBE_LINE = 300
"""Lines are cut to this many characters for reply-header matching (longer lines are never headers)."""
