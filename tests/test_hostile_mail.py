"""Hostile mail: every case ends as a Message with text or a reasoned error, in bounded time.

The cases (deep nesting, thousands of parts, a big attachment, huge headers and bodies, HTML
bombs, quadratic-regex bait, a file with no line ends over the size limit, ...) are built in
memory by :mod:`benchmarks.hostile_mail`, written to a temporary mbox or .eml file and read
through ``sources.files.iter_path`` and ``mail.parse_message``. ``benchmarks/bench_mail_corpus.py``
measures the same cases' time and peak memory.
"""

from __future__ import annotations

import time

import pytest

from benchmarks.hostile_mail import CASES, MARKER, HostileCase, outcomes
from extractor.errors import MessageError
from extractor.mail import (
    MAX_HEADER_CHARS,
    MAX_HEADER_PARAMS,
    MAX_TEXT_CHARS,
    html_to_text,
    parse_message,
    strip_quotes,
)
from extractor.mail.html import _strip_tags
from extractor.mail.raw import parse_bytes
from extractor.records import ErrorRecord, Message, RawMessage

CASE_SECONDS = 20.0
"""Per case, file writing excluded: a hang guard on a slow shared 2-core box, not a benchmark."""


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_message_is_parsed_or_rejected_with_a_reason(case: HostileCase, tmp_path) -> None:
    path = case.write(tmp_path)
    t0 = time.perf_counter()
    results = outcomes(path)
    elapsed = time.perf_counter() - t0
    assert elapsed < CASE_SECONDS, f"{case.name}: {elapsed:.1f} s"
    assert len(results) == 1, f"{case.name}: {len(results)} items from one message"
    (result,) = results
    if case.error is not None:
        assert isinstance(result, (MessageError, ErrorRecord)), f"{case.name}: parsed, an error was expected"
        reason = result.reason if isinstance(result, ErrorRecord) else str(result)
        assert case.error in reason, reason
        return
    assert isinstance(result, Message), f"{case.name}: {result}"
    if case.text is not None:
        assert case.text in result.text, f"{case.name}: marker lost; text starts {result.text[:200]!r}"
        assert "\x00" not in result.text and "\r" not in result.text
    else:
        assert not result.text.strip(), result.text[:200]
    assert len(result.text) <= MAX_TEXT_CHARS
    if case.subject is not None:
        assert result.subject is not None and case.subject in result.subject, result.subject
        assert len(result.subject) <= MAX_HEADER_CHARS
    if case.defect is not None:
        assert any(case.defect in d for d in result.defects), result.defects


def test_headers_only_message_keeps_its_headers() -> None:
    m = parse_message(RawMessage("t", "k", f"From: Mario Rossi <m@example.it>\nSubject: {MARKER}".encode()))
    assert (m.sender, m.subject, m.text) == ("Mario Rossi <m@example.it>", MARKER, "")


# --- the pieces behind the cases, at sizes that were quadratic ----------------------------------


@pytest.mark.parametrize(
    "html",
    ["<script>" * 125_000, "<style>x" * 100_000, "<" * 1_000_000, "<a " * 300_000, "<div>" * 200_000],
    ids=["unclosed-script", "unclosed-style", "lone-brackets", "unclosed-tags", "deep-divs"],
)
def test_html_to_text_and_its_fallback_are_linear(html: str) -> None:
    t0 = time.perf_counter()
    html_to_text(html)
    _strip_tags(html)
    assert time.perf_counter() - t0 < CASE_SECONDS


def test_tag_stripper_drops_hidden_elements_and_keeps_text() -> None:
    html = "<head><title>t</title></head><p>uno</p><script>x()</script><STYLE>p{}</STYLE >due<br>tre<script>resto"
    assert _strip_tags(html).split() == ["uno", "due", "tre"]


def test_strip_quotes_on_lines_that_all_look_like_reply_headers() -> None:
    lines = ["Da: Mario Rossi", "Inviato: lunedì", "On Mon, Jan 8, 2024 Mario wrote:", "-----", "> citato", ""]
    text = "testo nuovo\n" + "\n".join(lines[i % len(lines)] for i in range(2 * MAX_TEXT_CHARS // 16))
    t0 = time.perf_counter()
    assert strip_quotes(text) == "testo nuovo"
    assert time.perf_counter() - t0 < CASE_SECONDS


def test_many_content_type_parameters_are_cut_at_parse_time() -> None:
    params = "".join(f"; p{i}=1" for i in range(5 * MAX_HEADER_PARAMS))
    data = f"From: a@example.it\nContent-Type: text/plain; charset=utf-8{params}\n\n{MARKER}\n".encode()
    msg = parse_bytes(data)
    assert msg.get_content_charset() == "utf-8"
    assert len(msg.get_params()) == MAX_HEADER_PARAMS + 1  # the type, then the parameters kept
    assert parse_message(RawMessage("t", "k", data)).text.strip() == MARKER


def test_text_budget_skips_text_parts_past_it() -> None:
    big = "parola " * (2 * MAX_TEXT_CHARS // 7 + 1)
    parts = "".join(f"--b\nContent-Type: text/plain\n\n{big if i == 0 else MARKER}\n" for i in range(3))
    data = f'From: a@example.it\nContent-Type: multipart/mixed; boundary="b"\n\n{parts}--b--\n'.encode()
    m = parse_message(RawMessage("t", "k", data))
    assert len(m.text) == MAX_TEXT_CHARS and MARKER not in m.text
    assert any("text parts after the first" in d for d in m.defects), m.defects
